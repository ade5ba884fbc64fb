import { describe, expect, it } from "vitest";
import { SourceFile } from "../../src/dsl/diagnostics.js";
import { lex } from "../../src/dsl/lexer.js";

const run = (text: string) => lex(new SourceFile("t.gan", text));
const kinds = (text: string) => run(text).tokens.map((t) => t.tokenType.name);
const images = (text: string) => run(text).tokens.map((t) => t.image);

describe("lexer", () => {
  it("lexes keywords, names and punctuation", () => {
    expect(kinds("gan x param y = 1")).toEqual(["Gan", "Ident", "Param", "Ident", "Eq", "NumberLit"]);
    expect(kinds("network N: image[3] -> image[1] { }")).toEqual([
      "Network", "Ident", "Colon", "Ident", "LBracket", "NumberLit", "RBracket", "Arrow",
      "Ident", "LBracket", "NumberLit", "RBracket", "LCurly", "RCurly",
    ]);
    expect(kinds("== != <= >= < > = + - * / % ( ) , :")).toEqual([
      "EqEq", "NotEq", "LtEq", "GtEq", "Lt", "Gt", "Eq", "Plus", "Minus", "Star", "Slash", "Percent",
      "LParen", "RParen", "Comma", "Colon",
    ]);
    expect(kinds("a->b a - -b")).toEqual(["Ident", "Arrow", "Ident", "Ident", "Minus", "Minus", "Ident"]);
  });

  it("recognises every keyword", () => {
    const words = "gan param block network nets data domain loss train step updates with repeat clip residual skip if else init true false and or not";
    for (const w of words.split(" ")) {
      const t = run(w).tokens;
      expect(t).toHaveLength(1);
      expect(t[0]!.tokenType.name.toLowerCase()).toBe(w);
    }
  });

  it("keeps names that start with a keyword as names", () => {
    expect(kinds("stepper iffy notx gander data_dir trainer init_std real fake image")).toEqual(Array(10).fill("Ident"));
  });

  it("lexes numbers in all forms", () => {
    expect(images("123 1.5 2e-4 .5 1E+3 0.02")).toEqual(["123", "1.5", "2e-4", ".5", "1E+3", "0.02"]);
    expect(kinds("123 1.5 2e-4 .5")).toEqual(Array(4).fill("NumberLit"));
    expect(run("1 2.5 3e3").diagnostics).toEqual([]);
  });

  it("lexes strings with escapes", () => {
    const r = run('"a" "b \\"c\\" \\n" ""');
    expect(r.tokens.map((t) => t.tokenType.name)).toEqual(["StringLit", "StringLit", "StringLit"]);
    expect(r.diagnostics).toEqual([]);
  });

  it("keeps comments in their own group", () => {
    const r = run("# first\nparam x = 1 # second\n#third");
    expect(r.tokens.map((t) => t.image)).toEqual(["param", "x", "=", "1"]);
    expect(r.comments.map((c) => c.text)).toEqual(["# first", "# second", "#third"]);
    expect(r.comments[1]!.span).toMatchObject({ line: 2, col: 13, endLine: 2, endCol: 20 });
  });

  it("reports unexpected characters as GAN1001 with a span, not an exception", () => {
    const r = run("param x = 1\nparam y = 2 @ 3\n$$$");
    expect(r.diagnostics.map((d) => [d.code, d.message, d.span.line, d.span.col])).toEqual([
      ["GAN1001", "unexpected character `@`", 2, 13],
      ["GAN1001", "unexpected characters `$$$`", 3, 1],
    ]);
    expect(r.tokens.map((t) => t.image)).toEqual(["param", "x", "=", "1", "param", "y", "=", "2", "3"]);
  });

  it("reports unterminated strings as GAN1003 and keeps a string token", () => {
    const r = run('param s = "abc\nparam t = 1');
    expect(r.diagnostics.map((d) => [d.code, d.span.line, d.span.col, d.span.endCol])).toEqual([["GAN1003", 1, 11, 14]]);
    expect(r.tokens.map((t) => t.tokenType.name)).toEqual(["Param", "Ident", "Eq", "StringLit", "Param", "Ident", "Eq", "NumberLit"]);
  });

  it("reports invalid numbers as GAN1004", () => {
    const r = run("param x = 3x + 1.2.3 + 1e");
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["GAN1004", "invalid number `3x`"],
      ["GAN1004", "invalid number `1.2.3`"],
      ["GAN1004", "invalid number `1e`"],
    ]);
  });

  it("token types carry labels that speak the language", async () => {
    const T = await import("../../src/dsl/lexer.js");
    expect(T.RCurly.LABEL).toBe("`}`");
    expect(T.Ident.LABEL).toBe("a name");
    expect(T.NumberLit.LABEL).toBe("a number");
    expect(T.Step.LABEL).toBe("`step`");
  });
});
