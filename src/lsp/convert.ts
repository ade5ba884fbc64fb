// Between the compiler's world (spans with 0-based offsets and 1-based lines/columns) and the
// protocol's (0-based lines, UTF-16 columns; JavaScript strings are UTF-16, so a column is an
// offset within the line).
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type DiagnosticRelatedInformation, type Position, type Range } from "vscode-languageserver";
import type { Span } from "../dsl/ast.js";
import type { Diagnostic, SourceFile } from "../dsl/diagnostics.js";
import type { IrSpan } from "../ir/schema.js";

export function positionAt(source: SourceFile, offset: number): Position {
  const p = source.position(Math.max(0, Math.min(offset, source.text.length)));
  return { line: p.line - 1, character: p.col - 1 };
}

export function offsetAt(source: SourceFile, pos: Position): number {
  const start = source.lineStarts[pos.line];
  if (start === undefined) return source.text.length;
  const next = source.lineStarts[pos.line + 1] ?? source.text.length + 1;
  return Math.min(start + Math.max(0, pos.character), next - 1);
}

export function rangeOf(source: SourceFile, span: Span): Range {
  return { start: positionAt(source, span.start), end: positionAt(source, Math.max(span.start, span.end)) };
}

/** IR spans have lines and columns only (end column inclusive). */
export function rangeOfIr(span: IrSpan): Range {
  return { start: { line: span.line - 1, character: span.col - 1 }, end: { line: span.endLine - 1, character: span.endCol } };
}

/** The key that ties an AST node to the IR nodes and values made from it. */
export function spanKey(s: { line: number; col: number; endLine: number; endCol: number }): string {
  return `${s.line}:${s.col}:${s.endLine}:${s.endCol}`;
}

export function contains(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

/** `64×64×128` for images, `[8]` for vectors, `scalar` for []. */
export function showShape(s: readonly number[] | null | undefined): string {
  if (!s) return "?";
  if (s.length === 0) return "scalar";
  return s.length === 3 ? `${s[0]}×${s[1]}×${s[2]}` : `[${s.join(", ")}]`;
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

/** A place outside the file (e.g. `--set` from the editor settings) is shown at the file's start. */
function isInFile(span: Span, file: string): boolean {
  return span.file === file;
}

/**
 * One compiler diagnostic as the protocol's: code, range and message as `gancc check` prints
 * them; the hint and the notes become related information (the hint at the diagnostic itself).
 */
export function toLspDiagnostic(d: Diagnostic, source: SourceFile, uri: string): LspDiagnostic {
  const here = isInFile(d.span, source.path);
  const range = here ? rangeOf(source, d.span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const related: DiagnosticRelatedInformation[] = [];
  if (d.hint) related.push({ location: { uri, range }, message: `hint: ${d.hint}` });
  for (const r of d.related ?? []) {
    if (isInFile(r.span, source.path)) related.push({ location: { uri, range: rangeOf(source, r.span) }, message: r.message });
  }
  const out: LspDiagnostic = {
    range,
    severity: SEVERITY[d.severity],
    code: d.code,
    source: "gancc",
    message: d.message,
  };
  if (related.length) out.relatedInformation = related;
  if (d.hint) out.data = { hint: d.hint };
  return out;
}
