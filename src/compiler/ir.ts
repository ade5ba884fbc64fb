// What ties the IR (src/ir) to the DSL: spans of the AST as IR spans.
import type { Span } from "../dsl/ast.js";
import type { IrSpan } from "../ir/schema.js";

export function irSpan(s: Span): IrSpan {
  return { file: s.file, line: s.line, col: s.col, endLine: s.endLine, endCol: s.endCol };
}
