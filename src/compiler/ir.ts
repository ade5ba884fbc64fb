// The IR's contract (types, JSON Schema, enumerations) lives in src/ir/schema.ts. Here is only
// what ties it to the DSL: spans of the AST as IR spans.
import type { Span } from "../dsl/ast.js";
import type { IrSpan } from "../ir/schema.js";

// Transitional: compile.ts (being split) and files written alongside that split import the IR
// types from here; new code imports them from src/ir/schema.ts.
export * from "../ir/schema.js";

export function irSpan(s: Span): IrSpan {
  return { file: s.file, line: s.line, col: s.col, endLine: s.endLine, endCol: s.endCol };
}
