// A pre-parse scan of nesting depth on the token stream. The parser (Chevrotain's recursive
// descent), the CST→AST builder, the printer and the evaluator all recurse on nesting, so
// input nested deeper than MAX_NESTING is reported here, with a coded diagnostic at the
// token where the limit is passed, and never reaches them (no JS stack overflow).
import type { IToken } from "chevrotain";
import { diag, type Diagnostic, type SourceFile } from "./diagnostics.js";
import * as T from "./lexer.js";

/**
 * The deepest nesting accepted. Each of these counts one level: an open `(`, `[` or `{`;
 * a prefix `-` or `not`; an `else if`; a binary operator chained in the same expression
 * (`a + b + c` nests `(a + b) + c`). Real specs stay far below (the shipped ones under 10).
 */
export const MAX_NESTING = 100;

interface Frame {
  /** depth of everything outside this bracket, including the bracket */
  base: number;
  chain: number;
  pending: number;
  elseIfs: number;
}

const OPERANDS = new Set<unknown>([T.NumberLit, T.StringLit, T.Ident, T.True, T.False]);
const BINARY = new Set<unknown>([T.Plus, T.Star, T.Slash, T.Percent, T.EqEq, T.NotEq, T.LtEq, T.GtEq, T.Lt, T.Gt, T.And, T.Or]);
const OPEN = new Set<unknown>([T.LParen, T.LBracket, T.LCurly]);
const CLOSE = new Set<unknown>([T.RParen, T.RBracket, T.RCurly]);

/** The first place nesting passes `limit`, as a GAN1006 diagnostic; undefined if it never does. */
export function checkNesting(tokens: readonly IToken[], source: SourceFile, limit = MAX_NESTING): Diagnostic | undefined {
  const stack: Frame[] = [];
  let cur: Frame = { base: 0, chain: 0, pending: 0, elseIfs: 0 };
  /** an operand may come next (so `-` is prefix, and an operand does not start a new expression) */
  let expectOperand = true;
  let prev: IToken | undefined;
  const depth = () => cur.base + cur.chain + cur.pending + cur.elseIfs;
  for (const t of tokens) {
    const type = t.tokenType;
    if (OPEN.has(type)) {
      stack.push(cur);
      cur = { base: depth() + 1, chain: 0, pending: 0, elseIfs: 0 };
      expectOperand = true;
    } else if (CLOSE.has(type)) {
      const outer = stack.pop();
      if (outer) cur = outer;
      // a closed group is an operand of the enclosing expression
      cur.pending = 0;
      expectOperand = false;
    } else if (OPERANDS.has(type)) {
      if (!expectOperand) {
        // an operand right after an operand starts a new expression (the next layer, setting, …)
        cur.chain = 0;
      }
      cur.pending = 0;
      expectOperand = false;
    } else if (type === T.Minus) {
      if (expectOperand) cur.pending++;
      else cur.chain++;
      expectOperand = true;
    } else if (type === T.Not) {
      cur.pending++;
      expectOperand = true;
    } else if (BINARY.has(type)) {
      cur.chain++;
      expectOperand = true;
    } else {
      if (type === T.If && prev?.tokenType === T.Else) cur.elseIfs++;
      // keywords and separators (`,`, `:`, `=`, `->`) end an expression
      cur.chain = 0;
      cur.pending = 0;
      expectOperand = true;
    }
    if (depth() > limit) {
      return diag("GAN1006", `nesting too deep: more than ${limit} levels here`, source.span(t.startOffset, t.startOffset + t.image.length), {
        hint: "each `(`, `[`, `{`, prefix `-` or `not`, `else if` and chained operator counts one level; split the expression with `param`s or the layers into blocks",
      });
    }
    prev = t;
  }
  return undefined;
}
