// `gancc export`: what it writes and says, and its usage errors (exit 2, a message naming what to do).
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { saveWeightsSync } from "../../src/io/weights.js";
import { gancc } from "../cli/gancc.js";
import { tmpDir } from "./harness.js";

const ir = compileSource(readFileSync("specs/tiny.gan", "utf8"), "specs/tiny.gan").ir!;
const dir = tmpDir("export-cli");
const weights = join(dir, "w.safetensors");
saveWeightsSync(weights, { ir, tensors: new Map(ir.nets.flatMap((n) => n.params.map((p) => [p.name, { shape: p.shape, data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)).fill(0.01) }] as const))) });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("gancc export", () => {
  it("writes the folder from a weights file and says what it wrote (float32 on request: 4 bytes per parameter)", () => {
    const r = gancc("export", weights, "--net", "G_BA", "--web", "-o", join(dir, "web"), "--weights-dtype", "float32");
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/exported G_BA from .*w\.safetensors to .*web: 15 files, .*weights\.bin .* float32; input 16×16\)/);
    expect(r.err).toMatch(/gancc serve /);
    const m = JSON.parse(readFileSync(join(dir, "web", "model.json"), "utf8")) as { dtype: string; net: string };
    expect([m.dtype, m.net]).toEqual(["float32", "G_BA"]);
    const n = ir.nets.find((x) => x.name === "G_BA")!.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
    expect(readFileSync(join(dir, "web", "weights.bin")).length).toBe(4 * n);
    expect(readFileSync(join(dir, "web", "index.html"), "utf8")).toMatch(/<script type="importmap">/);
  }, 60_000);
  it("refuses: no --web, an unknown net, a path that holds no model", () => {
    const noWeb = gancc("export", weights, "--net", "G_AB", "-o", join(dir, "x"));
    expect(noWeb.code).toBe(2);
    expect(noWeb.err).toMatch(/say what to export: --web/);
    const badNet = gancc("export", weights, "--net", "G_XY", "--web", "-o", join(dir, "x"));
    expect(badNet.code).toBe(2);
    expect(badNet.err).toMatch(/no net `G_XY` in .* \(nets: G_AB, G_BA, D_A, D_B\)/);
    const missing = gancc("export", join(dir, "nope"), "--net", "G_AB", "--web", "-o", join(dir, "x"));
    expect(missing.code).toBe(2);
    expect(missing.err).not.toMatch(/internal error/);
  }, 60_000);
});
