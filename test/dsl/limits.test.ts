// Limits of the front end (issue 13): nesting depth (GAN1006), file size (GAN1007), numbers
// outside the float range (GAN1004), long lines in code frames, long names in messages,
// Python-style strings (one GAN1001), keyword-named loss terms (one GAN1002), notes at an
// unclosed bracket's opener.
import { describe, expect, it } from "vitest";
import { MAX_NESTING } from "../../src/dsl/depth.js";
import { FRAME_WIDTH, SourceFile, codeFrame, diag } from "../../src/dsl/diagnostics.js";
import { MAX_SOURCE_LENGTH, parse } from "../../src/dsl/index.js";
import { numberRangeError } from "../../src/dsl/lexer.js";

const codes = (text: string) => parse(text, "t.gan").diagnostics.map((d) => d.code);
const param = (e: string) => `gan t\nparam p = ${e}\n`;

describe("nesting depth (GAN1006)", () => {
  it(`accepts ${MAX_NESTING} levels and reports the first token past them`, () => {
    expect(codes(param(`${"(".repeat(MAX_NESTING)}1${")".repeat(MAX_NESTING)}`))).toEqual([]);
    const text = param(`${"(".repeat(MAX_NESTING + 1)}1${")".repeat(MAX_NESTING + 1)}`);
    const ds = parse(text, "t.gan").diagnostics;
    expect(ds.map((d) => d.code)).toEqual(["GAN1006"]);
    expect(ds[0]!.span.start).toBe(text.indexOf("(") + MAX_NESTING);
  });

  it("counts prefix minus, not, chained operators, blocks and else-ifs", () => {
    expect(codes(param(`${"-".repeat(MAX_NESTING)}1`))).toEqual([]);
    expect(codes(param(`${"-".repeat(MAX_NESTING + 1)}1`))).toEqual(["GAN1006"]);
    expect(codes(param(`${"not ".repeat(MAX_NESTING + 1)}true`))).toEqual(["GAN1006"]);
    expect(codes(param(`1${" + 1".repeat(MAX_NESTING)}`))).toEqual([]);
    expect(codes(param(`1${" + 1".repeat(MAX_NESTING + 1)}`))).toEqual(["GAN1006"]);
    const net = (body: string) => `gan t\nnetwork N: image[3] -> image[3] {\n  ${body}\n}\n`;
    expect(codes(net(`${"repeat 1 { ".repeat(MAX_NESTING - 1)}relu${" }".repeat(MAX_NESTING - 1)}`))).toEqual([]);
    expect(codes(net(`${"repeat 1 { ".repeat(MAX_NESTING)}relu${" }".repeat(MAX_NESTING)}`))).toEqual(["GAN1006"]);
    expect(codes(net(`if false { }${" else if false { }".repeat(MAX_NESTING + 1)}`))).toEqual(["GAN1006"]);
  });

  it("does not add up separate expressions, layers or declarations", () => {
    const many = Array.from({ length: 300 }, (_, i) => `param p${i} = 1 + 2 * -3`).join("\n");
    expect(codes(`gan t\n${many}\n`)).toEqual([]);
    const layers = `gan t\nnetwork N: image[3] -> image[3] {\n${"  conv(3, 3, pad: 1 + 0) relu\n".repeat(300)}}\n`;
    expect(codes(layers)).toEqual([]);
  });
});

describe("sizes and numbers", () => {
  it("refuses a file over the size limit before lexing it (GAN1007)", () => {
    const text = `gan t\n# ${"x".repeat(MAX_SOURCE_LENGTH)}\n`;
    const t0 = performance.now();
    const ds = parse(text, "t.gan").diagnostics;
    expect(performance.now() - t0).toBeLessThan(500);
    expect(ds.map((d) => d.code)).toEqual(["GAN1007"]);
    expect(ds[0]!.span.start).toBe(MAX_SOURCE_LENGTH);
  });

  it("reports numbers without a faithful float value (GAN1004)", () => {
    for (const bad of ["1e309", "1e-400", "9007199254740993", "123456789012345678901234567890"]) expect(numberRangeError(bad), bad).toBeDefined();
    for (const good of ["1e308", "5e-324", "9007199254740991", "0", "0.0", "0e5", "2e-4"]) expect(numberRangeError(good), good).toBeUndefined();
    expect(codes(param("1e309"))).toEqual(["GAN1004"]);
    expect(codes(param("-1e309"))).toEqual(["GAN1004"]);
  });
});

describe("rendering long lines and names", () => {
  it("cuts a long line around the caret, with the caret under the same character", () => {
    const line = `${"a".repeat(2_000_000)}X${"b".repeat(2_000_000)}`;
    const source = new SourceFile("t.gan", `gan t\n${line}\n`);
    const at = source.text.indexOf("X");
    const frame = codeFrame(source, source.span(at, at + 1));
    expect(frame.length).toBeLessThan(3 * FRAME_WIDTH + 50);
    const [, shown, carets] = frame.split("\n");
    const caretAt = carets!.indexOf("^");
    expect(shown![caretAt]).toBe("X");
    expect(shown).toContain("…");
  });

  it("leaves short lines whole", () => {
    const source = new SourceFile("t.gan", "gan t\nparam p = 1\n");
    expect(codeFrame(source, source.span(16, 17))).toBe("1 | gan t\n2 | param p = 1\n  |           ^");
  });

  it("shortens a long name quoted in a message", () => {
    const d = diag("GAN2001", `unknown name \`${"n".repeat(100_000)}\``, new SourceFile("t.gan", "x").span(0, 1));
    expect(d.message.length).toBeLessThan(200);
    expect(d.message).toMatch(/^unknown name `n{40}…`$/);
  });
});

describe("clearer syntax errors", () => {
  it("a single-quoted string is one GAN1001 with a hint, read as the string it means", () => {
    const r = parse("gan t\nparam s = 'zeros'\n", "t.gan");
    expect(r.diagnostics.map((d) => d.code)).toEqual(["GAN1001"]);
    expect(r.diagnostics[0]!.hint).toBe('write "zeros" instead of \'zeros\'');
    const decl = r.spec!.decls[0]!;
    expect(decl.kind === "ParamDecl" && decl.value.kind === "String" && decl.value.value).toBe("zeros");
  });

  it("a loss term named with a keyword is one GAN1002 at the keyword", () => {
    const text = "gan t\nloss g {\n  gan: l1(A, B)\n  train: l1(A, B)\n}\n";
    const ds = parse(text, "t.gan").diagnostics;
    expect(ds.map((d) => [d.code, d.span.start])).toEqual([
      ["GAN1002", text.indexOf("gan:")],
      ["GAN1002", text.indexOf("train:")],
    ]);
    expect(ds[0]!.message).toBe("`gan` is a keyword and cannot name a loss term");
  });

  it("a keyword that is not a term still ends a loss (missing `}`)", () => {
    const ds = parse("gan t\nloss g {\n  a: l1(A, B)\n\ntrain {\n}\n", "t.gan").diagnostics;
    expect(ds.map((d) => d.code)).toEqual(["GAN1002"]);
    expect(ds[0]!.message).toBe("expected a loss term name or `}`, found `train`");
    expect(ds[0]!.related?.[0]).toMatchObject({ message: "this `{` is not closed", span: { line: 2, col: 8 } });
  });

  it("an unclosed `(` gets a note at its opener", () => {
    const ds = parse("gan t\nparam p = max(1, 2\nparam q = 3\n", "t.gan").diagnostics;
    expect(ds[0]!.related?.[0]).toMatchObject({ message: "this `(` is not closed", span: { line: 2, col: 14 } });
  });
});
