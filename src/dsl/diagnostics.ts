// Diagnostics: one table of stable codes, one data type, one renderer.
// User errors are always reported as Diagnostics; only internal bugs throw.
import type { Span } from "./ast.js";

export type Severity = "error" | "warning" | "info";

export interface Related {
  message: string;
  span: Span;
}

export interface Diagnostic {
  code: string; // e.g. "GAN3001"
  severity: Severity;
  message: string;
  span: Span;
  hint?: string;
  related?: Related[];
}

/**
 * The table of diagnostic codes. Codes are stable: never renumber, only add.
 * 1xxx syntax, 2xxx names and arguments, 3xxx shapes, 4xxx losses and training,
 * 5xxx data and runtime, 6xxx CLI/configuration. Retired codes, never to be reused:
 * GAN3002, GAN4006, GAN4013 (nothing could report them: GAN3008, GAN2007/GAN2013 and GAN2001 say it).
 */
export const CODES = {
  // 1xxx — syntax
  GAN1001: { severity: "error", title: "unexpected character" },
  GAN1002: { severity: "error", title: "unexpected token" },
  GAN1003: { severity: "error", title: "unterminated string" },
  GAN1004: { severity: "error", title: "invalid number" },
  GAN1005: { severity: "error", title: "missing `gan` header" },
  GAN1006: { severity: "error", title: "nesting too deep" },
  GAN1007: { severity: "error", title: "file too large" },
  // 2xxx — names and arguments
  GAN2001: { severity: "error", title: "unknown name" },
  GAN2002: { severity: "error", title: "duplicate declaration" },
  GAN2003: { severity: "error", title: "unknown layer or block" },
  GAN2004: { severity: "error", title: "unknown argument" },
  GAN2005: { severity: "error", title: "missing argument" },
  GAN2006: { severity: "error", title: "duplicate argument" },
  GAN2007: { severity: "error", title: "argument has the wrong type" },
  GAN2008: { severity: "error", title: "too many arguments" },
  GAN2009: { severity: "error", title: "unknown network" },
  GAN2010: { severity: "error", title: "unknown net instance" },
  GAN2011: { severity: "error", title: "unknown function in a loss" },
  GAN2012: { severity: "error", title: "unknown setting" },
  GAN2013: { severity: "error", title: "invalid value" },
  GAN2014: { severity: "error", title: "recursion too deep" },
  GAN2015: { severity: "error", title: "division by zero" },
  GAN2016: { severity: "error", title: "unknown --set parameter" },
  GAN2017: { severity: "error", title: "positional argument after keyword argument" },
  GAN2018: { severity: "error", title: "unknown tensor label" },
  GAN2019: { severity: "error", title: "missing section" },
  GAN2020: { severity: "warning", title: "unused declaration" },
  GAN2021: { severity: "error", title: "unknown initialiser" },
  GAN2022: { severity: "error", title: "unknown optimizer" },
  // 3xxx — shapes
  GAN3001: { severity: "error", title: "channel mismatch" },
  GAN3003: { severity: "error", title: "residual shape mismatch" },
  GAN3004: { severity: "error", title: "concat shape mismatch" },
  GAN3005: { severity: "error", title: "output does not match the declared type" },
  GAN3006: { severity: "error", title: "non-positive size" },
  GAN3007: { severity: "error", title: "rank mismatch" },
  GAN3008: { severity: "error", title: "training size not accepted by a network" },
  GAN3009: { severity: "error", title: "padding too large for reflection" },
  GAN3010: { severity: "error", title: "input does not match the network's input type" },
  // 4xxx — losses and training
  GAN4001: { severity: "error", title: "loss shapes differ" },
  GAN4002: { severity: "error", title: "GAN criterion not applied to a discriminator output" },
  GAN4003: { severity: "error", title: "net receives no gradient from the step's loss" },
  GAN4004: { severity: "warning", title: "term gives no gradient to any updated net" },
  GAN4005: { severity: "error", title: "unknown loss in a step" },
  GAN4007: { severity: "warning", title: "net is never trained" },
  GAN4008: { severity: "error", title: "clip on a step that updates a generator" },
  GAN4009: { severity: "error", title: "n_critic on a step without a critic" },
  GAN4010: { severity: "warning", title: "net updated by two steps" },
  GAN4011: { severity: "error", title: "target must be `real` or `fake`" },
  GAN4012: { severity: "error", title: "pool of something that is not a generated image" },
  GAN4014: { severity: "error", title: "loss is not a scalar" },
  GAN4015: { severity: "warning", title: "loss is never used by a step" },
  GAN4016: { severity: "error", title: "invalid schedule" },
  GAN4017: { severity: "error", title: "label outside [0, 1]" },
  // 5xxx — data and runtime
  GAN5001: { severity: "error", title: "data folder missing or empty" },
  GAN5002: { severity: "warning", title: "unreadable image skipped" },
  GAN5003: { severity: "error", title: "image smaller than the crop size" },
  GAN5004: { severity: "error", title: "non-finite loss" },
  // 6xxx — CLI and configuration
  GAN6001: { severity: "error", title: "cannot read file" },
  GAN6002: { severity: "error", title: "invalid --set value" },
  GAN6003: { severity: "error", title: "invalid IR file" },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type Code = keyof typeof CODES;

export function diag(
  code: Code,
  message: string,
  span: Span,
  extra: { hint?: string; related?: Related[]; severity?: Severity } = {},
): Diagnostic {
  const d: Diagnostic = { code, severity: extra.severity ?? CODES[code].severity, message: shortenQuoted(message), span };
  if (extra.hint) d.hint = shortenQuoted(extra.hint);
  if (extra.related?.length) d.related = extra.related;
  return d;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** Sort by position, then code; stable for golden files. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      a.span.file.localeCompare(b.span.file) ||
      a.span.start - b.span.start ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}

// ---------------------------------------------------------------- spans

/** Maps offsets to 1-based line/column for one source file. */
export class SourceFile {
  readonly lineStarts: number[];
  constructor(
    readonly path: string,
    readonly text: string,
  ) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }
  position(offset: number): { line: number; col: number } {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo]! + 1 };
  }
  /** Span of [start, end) */
  span(start: number, end: number): Span {
    const s = this.position(start);
    const e = this.position(Math.max(start, end - 1));
    return { file: this.path, start, end, line: s.line, col: s.col, endLine: e.line, endCol: e.col };
  }
  lineText(line: number): string {
    const start = this.lineStarts[line - 1] ?? this.text.length;
    const next = this.lineStarts[line];
    let end = next === undefined ? this.text.length : next - 1;
    if (end > start && this.text.charCodeAt(end - 1) === 13) end--;
    return this.text.slice(start, end);
  }
}

/** A span for things that come from outside any file (e.g. --set on the command line). */
export function syntheticSpan(file: string): Span {
  return { file, start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
}

// ---------------------------------------------------------------- rendering

export interface RenderOptions {
  color?: boolean;
}

const ansi = (on: boolean) => ({
  red: (s: string) => (on ? `\x1b[31m${s}\x1b[0m` : s),
  yellow: (s: string) => (on ? `\x1b[33m${s}\x1b[0m` : s),
  cyan: (s: string) => (on ? `\x1b[36m${s}\x1b[0m` : s),
  bold: (s: string) => (on ? `\x1b[1m${s}\x1b[0m` : s),
  dim: (s: string) => (on ? `\x1b[2m${s}\x1b[0m` : s),
});

/** Lines longer than this are shown as a window of this many characters around the caret. */
export const FRAME_WIDTH = 120;

/** A code frame: the line before, the line itself, and carets under the span (long lines cut around the caret). */
export function codeFrame(source: SourceFile | undefined, span: Span, color = false): string {
  if (!source || span.end === 0 && span.start === 0 && source.text.length === 0) return "";
  const c = ansi(color);
  const lines: string[] = [];
  const first = Math.max(1, span.line - 1);
  const width = String(span.line + 1).length;
  const lineText = source.lineText(span.line);
  const endCol = span.endLine === span.line ? span.endCol : Math.max(span.col, lineText.length);
  let caretLen = Math.max(1, endCol - span.col + 1);
  // the window [from, from + FRAME_WIDTH) of every shown line: starts a little before the caret
  const from = lineText.length <= FRAME_WIDTH && span.col <= FRAME_WIDTH ? 0 : Math.max(0, span.col - 1 - Math.floor(FRAME_WIDTH / 3));
  const cut = (text: string): string => {
    if (from === 0 && text.length <= FRAME_WIDTH) return text;
    if (text.length <= from) return "";
    const body = text.slice(from, from + FRAME_WIDTH);
    return `${from > 0 ? "…" : ""}${body}${from + FRAME_WIDTH < text.length ? "…" : ""}`;
  };
  for (let ln = first; ln <= span.line; ln++) {
    const text = cut(source.lineText(ln)).replace(/\t/g, " ");
    lines.push(`${c.dim(String(ln).padStart(width))} | ${text}`);
  }
  const caretCol = span.col - 1 - from + (from > 0 ? 1 : 0);
  caretLen = Math.min(caretLen, Math.max(1, FRAME_WIDTH - (span.col - 1 - from)));
  lines.push(`${" ".repeat(width)} | ${" ".repeat(caretCol)}${c.red("^".repeat(caretLen))}`);
  return lines.join("\n");
}

/** Shortens user text quoted in a message (a 1 MB name stays readable). */
function shortenQuoted(message: string): string {
  if (message.length <= 400) return message;
  return message.replace(/`([^`]{60,})`/g, (_, q: string) => `\`${q.slice(0, 40)}…\``).slice(0, 2000);
}

export function renderDiagnostic(d: Diagnostic, sources: Map<string, SourceFile>, opts: RenderOptions = {}): string {
  const c = ansi(opts.color ?? false);
  const sev = d.severity === "error" ? c.red("error") : d.severity === "warning" ? c.yellow("warning") : c.cyan("info");
  const head = `${c.bold(`${d.span.file}:${d.span.line}:${d.span.col}`)} ${sev} ${d.code}: ${d.message}`;
  const parts = [head];
  const frame = codeFrame(sources.get(d.span.file), d.span, opts.color);
  if (frame) parts.push(frame);
  if (d.hint) parts.push(`${c.cyan("hint")}: ${d.hint}`);
  for (const r of d.related ?? []) {
    parts.push(`${c.dim("note")}: ${r.message} (${r.span.file}:${r.span.line}:${r.span.col})`);
  }
  return parts.join("\n");
}

export function renderDiagnostics(ds: Diagnostic[], sources: Map<string, SourceFile>, opts: RenderOptions = {}): string {
  const out = sortDiagnostics(ds).map((d) => renderDiagnostic(d, sources, opts));
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.filter((d) => d.severity === "warning").length;
  if (ds.length) out.push(`${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`);
  return out.join("\n\n");
}

// ---------------------------------------------------------------- did you mean

export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** The closest candidate within a distance proportional to the length, if any. */
/** The most candidates a did-you-mean compares by edit distance (a spec with thousands of names stays linear). */
export const DID_YOU_MEAN_CANDIDATES = 500;

export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let all = [...candidates];
  if (all.length > DID_YOU_MEAN_CANDIDATES) {
    // only names that could be within reach: same first letter, length within the limit
    const reach = Math.max(1, Math.floor(name.length / 3));
    const first = name.slice(0, 1).toLowerCase();
    all = all.filter((c) => c.slice(0, 1).toLowerCase() === first && Math.abs(c.length - name.length) <= reach);
    if (all.length > DID_YOU_MEAN_CANDIDATES) return undefined;
  }
  const lower = name.toLowerCase();
  // a candidate that extends what was typed (`paired` → `paired_ab`, `G_A` → `G_AB`) wins
  if (lower.length >= 3) {
    const ext = all.filter((c) => c.toLowerCase().startsWith(lower) && c.length > name.length).sort((a, b) => a.length - b.length || a.localeCompare(b));
    if (ext.length) return ext[0];
  }
  let best: string | undefined;
  let bestD = Infinity;
  const limit = Math.max(1, Math.floor(name.length / 3));
  for (const c of all) {
    // the distance is at least the difference in length: skip what cannot be within the limit
    if (Math.abs(c.length - name.length) > limit) continue;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= limit ? best : undefined;
}

export function didYouMeanHint(name: string, candidates: Iterable<string>): string | undefined {
  const m = didYouMean(name, candidates);
  return m ? `did you mean \`${m}\`?` : undefined;
}
