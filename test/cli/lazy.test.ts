// `gancc check` and friends start fast because they load only the compiler: tfjs, sharp, the
// font reader and the training stack are imported by the commands that use them.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "gancc-lazy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The module URLs a `gancc …` process resolved. */
function loads(args: string[]): string[] {
  const out = join(dir, `${args.join("_").replace(/\W+/g, "_")}.txt`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--import", "./test/cli/trace_loads.mjs", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env: { ...process.env, GANCC_TRACE_LOADS: out, NO_COLOR: "1" },
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out, "utf8").split("\n");
}

const HEAVY = [/node_modules\/@tensorflow\//, /node_modules\/sharp\//, /node_modules\/opentype\.js\//, /node_modules\/yaml\//, /\/src\/(runtime|train|data|datasets|apply|report)\/(?!(errors|backend_kinds)\.ts$)/];

describe("commands load only what they use", () => {
  for (const args of [["check", "specs/cyclegan.gan"], ["summary", "specs/cyclegan.gan"], ["fmt", "--check", "specs/cyclegan.gan"], ["--help"], ["train", "--help"], ["data", "--help"], ["weights", "--help"], ["export", "--help"], ["serve", "--help"]]) {
    it(`gancc ${args.join(" ")}: no tfjs, sharp, font reader, YAML or training stack`, () => {
      const urls = loads(args);
      expect(urls.some((u) => u.includes("/src/compiler/") || u.includes("/src/cli/"))).toBe(true);
      expect(urls.filter((u) => HEAVY.some((h) => h.test(u)))).toEqual([]);
    });
  }
  it("the tracer sees heavy modules where a command does load them (gancc data glyphs --help loads nothing heavy, translate does)", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", "--import", "./test/cli/trace_loads.mjs", "src/cli/main.ts", "translate", "nonexistent-run", "--net", "G", "--input", dir, "--output", join(dir, "o"), "--backend", "cpu"], {
      encoding: "utf8",
      env: { ...process.env, GANCC_TRACE_LOADS: join(dir, "translate.txt") },
    });
    expect(r.status).toBe(2);
    const urls = readFileSync(join(dir, "translate.txt"), "utf8");
    expect(urls).toMatch(/node_modules\/@tensorflow\/tfjs/);
  });
});
