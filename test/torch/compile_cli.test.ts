/**
 * `gancc compile spec.gan --emit torch -o DIR` writes the PyTorch folder (no Python needed to
 * generate it), alongside the IR when asked; an unknown kind is a usage error naming the choices.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gancc } from "../cli/gancc.js";

const dir = mkdtempSync(join(tmpdir(), "gancc-torch-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("gancc compile --emit torch", () => {
  it("writes nets.py, losses.py, train.py, launch.py, ir.json and the runtime, with the IR file when asked", () => {
    const out = join(dir, "build");
    const r = gancc("compile", "specs/tiny.gan", "--emit", "ir,torch", "-o", out);
    expect(r.code, r.err).toBe(0);
    for (const f of ["nets.py", "losses.py", "train.py", "launch.py", "ir.json", "tiny.ir.json"]) expect(existsSync(join(out, f)), f).toBe(true);
    const runtime = readdirSync(join(out, "gancc_torch")).sort();
    expect(runtime).toEqual(readdirSync("python/gancc_torch").filter((f) => f.endsWith(".py")).sort());
    expect(readFileSync(join(out, "nets.py"), "utf8")).toMatch(/^class Generator\(nn\.Module\):/m);
    expect(JSON.parse(readFileSync(join(out, "ir.json"), "utf8"))).toEqual(JSON.parse(readFileSync(join(out, "tiny.ir.json"), "utf8")));
    expect(r.err).toContain("train.py");
  });

  it("an unknown kind is a usage error that lists ir, ts and torch", () => {
    const r = gancc("compile", "specs/tiny.gan", "--emit", "ir,onnx", "-o", join(dir, "bad"));
    expect(r.code).toBe(2);
    expect(r.err).toContain("--emit takes ir, ts and torch");
    expect(r.err).toContain("`onnx`");
    expect(existsSync(join(dir, "bad"))).toBe(false);
  });
});
