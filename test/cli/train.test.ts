// `gancc train` and `gancc translate` end to end through the CLI (tiny spec, tiny data, wasm).
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUnpaired, tempDir } from "../data/fixtures.js";
import { gancc } from "./gancc.js";

let tmp: ReturnType<typeof tempDir>;
let data: string;
beforeAll(async () => {
  tmp = tempDir("gancc-cli-train-");
  data = join(tmp.dir, "data");
  await makeUnpaired(data, 3, 3, 12, 12);
  await makeUnpaired(data, 2, 2, 12, 12, "test");
});
afterAll(() => tmp.cleanup());

const SMALL = ["--set", "nf=2", "--set", "size=8"];

describe("gancc train / translate (CLI)", () => {
  it("trains a spec, or the IR file `gancc compile` wrote, recording the same spec hash", () => {
    const c = gancc("compile", "specs/tiny.gan", "-o", join(tmp.dir, "build"), ...SMALL);
    expect(c.code, c.err).toBe(0);
    const irFile = join(tmp.dir, "build", readdirSync(join(tmp.dir, "build")).find((f) => f.endsWith(".ir.json"))!);
    const a = gancc("train", irFile, "--data", data, "--out", join(tmp.dir, "from-ir"), "--max-iters", "2", "--backend", "wasm");
    expect(a.code, a.err).toBe(0);
    expect(a.err).toContain("gancc: backend wasm");
    const b = gancc("train", "specs/tiny.gan", ...SMALL, "--data", data, "--out", join(tmp.dir, "from-spec"), "--max-iters", "2", "--backend", "wasm");
    expect(b.code, b.err).toBe(0);
    const ra = JSON.parse(readFileSync(join(tmp.dir, "from-ir", "run.json"), "utf8"));
    const rb = JSON.parse(readFileSync(join(tmp.dir, "from-spec", "run.json"), "utf8"));
    expect(ra.specSha256).toBe(rb.specSha256);
    expect(ra.irSha256).toBe(rb.irSha256);
    expect(ra.backend.name).toBe("wasm");
    // same seed, same data, same backend: the same losses
    const last = (d: string) => readFileSync(join(tmp.dir, d, "metrics.jsonl"), "utf8").trim().split("\n").at(-1)!.replace(/"time":[^,]+,/, "");
    expect(last("from-ir")).toBe(last("from-spec"));
    // --set cannot change a compiled IR
    const s = gancc("train", irFile, "--set", "nf=4", "--data", data, "--out", join(tmp.dir, "x"));
    expect(s.code).toBe(2);
    expect(s.err).toContain("--set cannot change an IR file");
  });

  it("translate applies a trained generator to a folder and writes an HTML page", () => {
    const run = join(tmp.dir, "from-spec");
    const out = join(tmp.dir, "translated");
    const r = gancc("translate", run, "--net", "G_AB", "--input", join(data, "testA"), "--output", out, "--backend", "wasm");
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(join(out, "images")).sort()).toEqual(["a000_G_AB.png", "a000_input.png", "a001_G_AB.png", "a001_input.png"]);
    const html = readFileSync(join(out, "index.html"), "utf8");
    expect(html).toContain("images/a000_G_AB.png");
    const bad = gancc("translate", run, "--net", "G_XY", "--input", join(data, "testA"), "--output", out);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("no net `G_XY`");
  });

  it("explains bad input: config errors with file:line, missing data, a spec with errors", () => {
    const cfg = join(tmp.dir, "bad.yaml");
    writeFileSync(cfg, "data: data/emoji\nmax_iters: -3\nbakend: cpu\n");
    const r = gancc("train", "specs/tiny.gan", "--config", cfg);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${cfg}:2:12: max_iters must be >= 1`);
    expect(r.err).toContain(`${cfg}:3:1: unknown setting \`bakend\``);
    const d = gancc("train", "specs/tiny.gan", "--data", join(tmp.dir, "nothing"), "--out", join(tmp.dir, "y"));
    expect(d.code).toBe(1);
    expect(d.err).toContain(join(tmp.dir, "nothing"));
    expect(existsSync(join(tmp.dir, "y", "ir.json"))).toBe(false);
    const e = gancc("train", "specs/tiny.gan", "--set", "nf=0", "--data", data);
    expect(e.code).toBe(1);
    expect(e.err).toContain("nothing was trained");
    const h = gancc("train", "--help");
    expect(h.out).toContain("--resume");
    expect(h.out).toContain("index.html");
  });
});
