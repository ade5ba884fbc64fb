/** YAML errors of every kind in a run configuration are `file:line:col: error [CODE]: …`, never a crash (issue 13). */
import { describe, expect, it } from "vitest";
import { ConfigError, MAX_ALIAS_COUNT, parseRunConfig } from "../../src/train/config.js";

function fails(text: string): string {
  try {
    parseRunConfig(text, "run.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

const BOMB = ["a: &a [x, x, x, x, x, x, x, x, x]", ...["b", "c", "d", "e", "f", "g", "h", "i"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`), "max_iters: 10", ""].join("\n");

describe("parseRunConfig: YAML errors", () => {
  it("an alias bomb is refused quickly, at the first alias", () => {
    const t0 = Date.now();
    const m = fails(BOMB);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(m).toMatch(/^run\.yaml:2:\d+: error \[ALIAS_COUNT\]: /);
    expect(m).toContain(String(MAX_ALIAS_COUNT));
  });
  it("an unresolved alias names the alias and its line", () => {
    expect(fails("data: d\nout: *nowhere\n")).toMatch(/^run\.yaml:2:6: error \[UNRESOLVED_ALIAS\]: alias \*nowhere/);
  });
  it("parse errors carry the yaml library's code and the line", () => {
    expect(fails("max_iters: 1\nmax_iters: 2\n")).toMatch(/^run\.yaml:2:1: error \[DUPLICATE_KEY\]/);
    expect(fails("data: [a, b\n")).toMatch(/^run\.yaml:\d+:\d+: error \[[A-Z_]+\]/);
    expect(fails("data: x\n\tout: y\n")).toMatch(/^run\.yaml:2:\d+: error \[[A-Z_]+\]/);
    expect(fails("data: x\n---\nout: y\n")).toMatch(/^run\.yaml:\d+:\d+: error \[MULTIPLE_DOCS\]/);
  });
  it("warnings (unknown tags, unsupported versions) are errors too", () => {
    expect(fails("data: !weird x\n")).toMatch(/^run\.yaml:1:\d+: error \[TAG_RESOLVE_FAILED\]/);
    expect(fails("%YAML 9.9\n---\ndata: x\n")).toMatch(/^run\.yaml:1:\d+: error \[BAD_DIRECTIVE\]/);
  });
  it("a few aliases are fine", () => {
    expect(parseRunConfig("set: &s { ngf: 8 }\nmax_iters: 3\n", "run.yaml")).toEqual({ set: { ngf: 8 }, max_iters: 3 });
  });
});
