// End-to-end CLI behaviour: exit codes, rendered vs JSON diagnostics, written files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readIr } from "../../src/ir/validate.js";
import { gancc } from "./gancc.js";

const tmp = mkdtempSync(join(tmpdir(), "gancc-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


describe("gancc CLI", () => {
  it("check: exit 0 on a good spec", () => {
    const r = gancc("check", "specs/tiny.gan");
    expect(r.code).toBe(0);
    expect(r.err).toContain("ok (4 nets");
  });
  it("check: exit 1 with a code frame on a bad spec, JSON with --json", () => {
    const bad = join(tmp, "bad.gan");
    writeFileSync(bad, readFileSync("specs/tiny.gan", "utf8").replace("instance_norm relu\n  conv(nf * 2", "instance_nrom relu\n  conv(nf * 2"));
    const r = gancc("check", bad);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.gan:19:30 error GAN2003: unknown layer `instance_nrom`/);
    expect(r.err).toContain("^^^^^^^^^^^^^");
    expect(r.err).toContain("hint: did you mean `instance_norm`?");
    const j = gancc("check", bad, "--json");
    expect(j.code).toBe(1);
    const parsed = JSON.parse(j.out) as { diagnostics: { code: string; span: { line: number } }[] };
    expect(parsed.diagnostics[0]).toMatchObject({ code: "GAN2003", span: { line: 19, col: 30 } });
  });
  it("--set overrides parameters and rejects undeclared ones", () => {
    const ok = gancc("summary", "specs/cyclegan.gan", "--set", "ngf=8", "--set", "ndf=8", "--size", "32");
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/G_AB = ResnetGenerator\(\)/);
    const bad = gancc("check", "specs/cyclegan.gan", "--set", "ngff=8");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("did you mean `ngf`?");
    const malformed = gancc("check", "specs/cyclegan.gan", "--set", "ngf");
    expect(malformed.code).toBe(2);
    expect(malformed.err).toContain("--set expects name=value");
  });
  it("compile writes a schema-valid IR and TypeScript bindings", () => {
    const r = gancc("compile", "specs/tiny.gan", "-o", tmp, "--emit", "ir,ts");
    expect(r.code).toBe(0);
    const ir = readIr(readFileSync(join(tmp, "tiny.ir.json"), "utf8"), "tiny.ir.json");
    expect(ir.error).toBeUndefined();
    expect(readFileSync(join(tmp, "tiny.ts"), "utf8")).toContain('export type NetName = "G_AB" | "G_BA" | "D_A" | "D_B";');
  });
  it("fmt --check fails on an unformatted file and fmt fixes it", () => {
    const f = join(tmp, "ugly.gan");
    writeFileSync(f, "gan t   param a=1\n");
    expect(gancc("fmt", "--check", f).code).toBe(1);
    expect(gancc("fmt", f).code).toBe(0);
    expect(readFileSync(f, "utf8")).toBe("gan t\n\nparam a = 1\n");
    expect(gancc("fmt", "--check", f).code).toBe(0);
  });
  it("a missing file is a usage error, not a crash", () => {
    const r = gancc("check", "nope.gan");
    expect(r.code).toBe(2);
    expect(r.err).toContain("cannot read nope.gan: no such file");
  });
});
