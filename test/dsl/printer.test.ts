import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type * as A from "../../src/dsl/ast.js";
import { format, parse, print, stripSpans } from "../../src/dsl/index.js";

const corpusDir = "test/dsl/corpus";
const files = [
  ...readdirSync("specs").filter((f) => f.endsWith(".gan")).map((f) => join("specs", f)),
  ...readdirSync(corpusDir).filter((f) => f.endsWith(".gan")).map((f) => join(corpusDir, f)),
];

function parseOk(text: string, file: string): A.Spec {
  const r = parse(text, file);
  expect(r.diagnostics.map((d) => `${file}:${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
  return r.spec!;
}

describe("printer round trip", () => {
  it("has a corpus", () => {
    expect(files.length).toBeGreaterThanOrEqual(11);
  });

  for (const file of files) {
    describe(file, () => {
      const text = readFileSync(file, "utf8");

      it("reparses to the same AST", () => {
        const ast = parseOk(text, file);
        const printed = print(ast);
        expect(stripSpans(parseOk(printed, "printed.gan"))).toEqual(stripSpans(ast));
      });

      it("is idempotent", () => {
        const once = print(parseOk(text, file));
        const twice = print(parseOk(once, "printed.gan"));
        expect(twice).toBe(once);
      });

      it("keeps every comment", () => {
        const printed = print(parseOk(text, file));
        const comments = text.match(/#[^\n\r]*/g) ?? [];
        for (const c of comments) expect(printed).toContain(c.trimEnd());
        expect((printed.match(/#[^\n\r]*/g) ?? []).length).toBe(comments.length);
      });

      it("uses 2-space indentation and no trailing whitespace", () => {
        const printed = print(parseOk(text, file));
        for (const line of printed.split("\n")) {
          expect(line).toBe(line.trimEnd());
          expect((line.length - line.trimStart().length) % 2).toBe(0);
        }
        expect(printed.endsWith("\n")).toBe(true);
      });
    });
  }

  it("prints specs/cyclegan.gan stably", () => {
    const x = readFileSync("specs/cyclegan.gan", "utf8");
    const p = print(parseOk(x, "c.gan"));
    expect(print(parseOk(p, "p.gan"))).toBe(p);
    expect(p).toContain("block c7s1(k) { reflect_pad(3) conv(k, 7) instance_norm relu }\n");
    expect(p).toContain("param ngf = 64            # generator filters in the first conv layer\nparam ndf = 64 ");
    expect(p).toContain("  G_AB = ResnetGenerator(res_blocks)  # A -> B  (the paper's G)\n  G_BA = ResnetGenerator(res_blocks)  #");
    // layers the author grouped on one line stay together
    expect(p).toContain("  reflect_pad(1) conv(k, 3) instance_norm relu\n  reflect_pad(1) conv(k, 3) instance_norm\n");
  });
});

describe("printer rules", () => {
  const fmt = (text: string) => {
    const r = format(text, "t.gan");
    expect(r.diagnostics).toEqual([]);
    return r.output!;
  };
  const exprOut = (e: string) => fmt(`gan t param p = ${e}`).split("\n")[2]!.slice("param p = ".length);

  it("uses minimal parentheses", () => {
    expect(exprOut("(a + b) * c")).toBe("(a + b) * c");
    expect(exprOut("a + (b * c)")).toBe("a + b * c");
    expect(exprOut("(a - b) - c")).toBe("a - b - c");
    expect(exprOut("a - (b - c)")).toBe("a - (b - c)");
    expect(exprOut("a / (b * c)")).toBe("a / (b * c)");
    expect(exprOut("(a or b) and c")).toBe("(a or b) and c");
    expect(exprOut("not (a and b)")).toBe("not (a and b)");
    expect(exprOut("(not a) and b")).toBe("not a and b");
    expect(exprOut("-(a + b)")).toBe("-(a + b)");
    expect(exprOut("(-a) * b")).toBe("-a * b");
    expect(exprOut("(a < b) == c")).toBe("(a < b) == c");
    expect(exprOut("a * (not b)")).toBe("a * (not b)");
    expect(exprOut("((f(x)))[0]".replace("[0]", ""))).toBe("f(x)");
  });

  it("keeps the user's spelling of numbers", () => {
    expect(exprOut("2e-4 + .5 + 10.0 + 1E3")).toBe("2e-4 + .5 + 10.0 + 1E3");
  });

  it("prints keyword arguments and strings", () => {
    expect(exprOut('f(1, key:2, name : "a\\tb")')).toBe('f(1, key: 2, name: "a\\tb")');
  });

  it("keeps short bodies on one line and breaks long or commented ones", () => {
    expect(fmt("gan t block b{relu tanh}")).toBe("gan t\n\nblock b { relu tanh }\n");
    expect(fmt("gan t block b{relu\ntanh}")).toBe("gan t\n\nblock b {\n  relu\n  tanh\n}\n");
    expect(fmt("gan t block b{\n  relu tanh\n  relu\n}")).toBe("gan t\n\nblock b {\n  relu tanh\n  relu\n}\n");
    expect(fmt("gan t block b{relu # c\ntanh}")).toBe("gan t\n\nblock b {\n  relu  # c\n  tanh\n}\n");
    const long = `gan t block b { ${"conv(1, 2, 3) ".repeat(8)}}`;
    expect(fmt(long).split("\n").length).toBe(2 + 1 + 2 + 1 + 1);
    expect(fmt(long).split("\n").every((l) => l.length <= 100)).toBe(true);
    expect(fmt("gan t block b { }")).toBe("gan t\n\nblock b {}\n");
    expect(fmt("gan t nets { a = N }")).toBe("gan t\n\nnets {\n  a = N()\n}\n");
  });

  it("prints else-if chains", () => {
    const out = fmt("gan t block b { if a { relu } else { if b { tanh } else { relu } } }");
    expect(out).toBe("gan t\n\nblock b { if a { relu } else if b { tanh } else { relu } }\n");
  });

  it("separates declarations by blank lines and groups params", () => {
    expect(fmt("gan t param a = 1 param b = 2\n\nparam c = 3 loss l = x")).toBe(
      "gan t\n\nparam a = 1\nparam b = 2\n\nparam c = 3\n\nloss l = x\n",
    );
  });

  it("does not format files with syntax errors", () => {
    const r = format("gan t param = 1", "t.gan");
    expect(r.output).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
  });
});
