// One fuzz case through the compiler's in-process API (compileSource from
// src/compiler/compile.ts — the function the public `compileSpec` in src/index.ts calls;
// importing src/index.ts would load TensorFlow.js for nothing), plus the formatter, and
// the invariants every input must keep.
import { compileSource } from "../../src/compiler/compile.js";
import { CODES, type Diagnostic, type SourceFile, renderDiagnostics } from "../../src/dsl/diagnostics.js";
import type { Span } from "../../src/dsl/ast.js";
import { format } from "../../src/dsl/index.js";

/** each public call (compile, format) of a case must finish within this */
export const CASE_LIMIT_MS = 1000;
/** a rendered diagnostic (message, code frame, hint, notes) stays readable however long the line */
export const RENDER_LIMIT = 4000;

export interface Failure {
  /** a short, stable description of the kind of failure (the minimizer keeps it) */
  kind: string;
  detail: string;
}

export interface CaseResult {
  ms: number;
  failures: Failure[];
  codes: string[];
}

function checkSpan(where: string, span: Span, file: string, source: SourceFile, out: Failure[]): void {
  const len = source.text.length;
  if (span.file !== file) {
    // only the command line (`--set`) has a span of its own: a synthetic one at 1:1
    const synthetic = span.file === "<command line>" && span.start === 0 && span.end === 0 && span.line === 1 && span.col === 1;
    if (!synthetic) out.push({ kind: `${where}: span in another file`, detail: span.file });
    return;
  }
  if (!(Number.isInteger(span.start) && Number.isInteger(span.end) && span.start >= 0 && span.start <= span.end && span.end <= len)) {
    out.push({ kind: `${where}: span outside the file`, detail: `${span.start}..${span.end} of ${len}` });
    return;
  }
  const s = source.position(span.start);
  const e = source.position(Math.max(span.start, span.end - 1));
  if (s.line !== span.line || s.col !== span.col || e.line !== span.endLine || e.col !== span.endCol) {
    out.push({ kind: `${where}: line/col inconsistent with offsets`, detail: `${span.line}:${span.col}-${span.endLine}:${span.endCol} vs ${s.line}:${s.col}-${e.line}:${e.col}` });
  }
}

function checkDiagnostics(ds: readonly Diagnostic[], file: string, source: SourceFile, out: Failure[]): void {
  for (const d of ds) {
    if (!/^GAN\d{4}$/.test(d.code) || !(d.code in CODES)) out.push({ kind: "diagnostic without a table code", detail: `${d.code}: ${d.message}` });
    if (!["error", "warning", "info"].includes(d.severity)) out.push({ kind: "bad severity", detail: d.severity });
    if (typeof d.message !== "string" || !d.message) out.push({ kind: "empty message", detail: d.code });
    checkSpan(`${d.code} span`, d.span, file, source, out);
    for (const r of d.related ?? []) checkSpan(`${d.code} note span`, r.span, file, source, out);
  }
}

/** Runs one input; never throws (an exception is a failure). */
export function runCase(text: string, set?: Record<string, string>, file = "fuzz.gan"): CaseResult {
  const failures: Failure[] = [];
  const codes: string[] = [];
  const t0 = performance.now();
  try {
    const r = compileSource(text, file, set ? { set } : {});
    codes.push(...r.diagnostics.map((d) => d.code));
    checkDiagnostics(r.diagnostics, file, r.source, failures);
    if (r.ir === undefined && !r.diagnostics.some((d) => d.severity === "error")) failures.push({ kind: "no IR and no error", detail: "" });
    for (const d of r.diagnostics) {
      const rendered = renderDiagnostics([d], new Map([[file, r.source]]));
      if (rendered.length > RENDER_LIMIT) failures.push({ kind: "rendered diagnostic too long", detail: `${d.code}: ${rendered.length} characters` });
    }
    const compileMs = performance.now() - t0;
    if (compileMs > CASE_LIMIT_MS) failures.push({ kind: "slow", detail: `compile: ${compileMs.toFixed(0)} ms` });
    const t1 = performance.now();
    const f = format(text, file);
    checkDiagnostics(f.diagnostics, file, r.source, failures);
    const formatMs = performance.now() - t1;
    if (formatMs > CASE_LIMIT_MS) failures.push({ kind: "slow", detail: `format: ${formatMs.toFixed(0)} ms` });
  } catch (e) {
    const err = e as Error;
    const first = `${err?.name ?? "Error"}: ${String(err?.message ?? e).split("\n")[0]!.slice(0, 200)}`;
    failures.push({ kind: `exception ${err?.name ?? "?"}: ${String(err?.message ?? e).split("\n")[0]!.replace(/\d+/g, "N").slice(0, 80)}`, detail: `${first}\n${String(err?.stack ?? "").split("\n").slice(1, 8).join("\n")}` });
  }
  const ms = performance.now() - t0;
  return { ms, failures, codes };
}
