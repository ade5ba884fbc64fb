// The shared parser and lexer skip Chevrotain's grammar checks to start fast; these run them.
import { describe, expect, it } from "vitest";
import { createLexer } from "../../src/dsl/lexer.js";
import { GanParser } from "../../src/dsl/parser.js";

describe("grammar checks (skipped at run time)", () => {
  it("the parser's grammar passes Chevrotain's validations (ambiguity, left recursion, unreachable alternatives)", () => {
    // with validations on, Chevrotain throws "Parser Definition Errors detected" listing them
    expect(() => new GanParser(true)).not.toThrow();
  });
  it("the lexer's token definitions pass Chevrotain's validations", () => {
    const l = createLexer(true); // throws on invalid token definitions
    expect(l.tokenize("gan x\nparam a = 1").errors).toEqual([]);
  });
});
