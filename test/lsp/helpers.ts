// Positions in test texts, computed independently of the server's own conversions.
import type { Position, Range } from "vscode-languageserver";

/** The position of `offset` in `text` (0-based line and UTF-16 column). */
export function posOf(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

/** The offset of the `nth` occurrence of `needle` (+ `delta`). */
export function offsetOf(text: string, needle: string, nth = 0, delta = 0): number {
  let i = -1;
  for (let k = 0; k <= nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`\`${needle}\` occurs fewer than ${nth + 1} times`);
  }
  return i + delta;
}

/** The position inside the `nth` occurrence of `needle` (+ `delta` characters). */
export function at(text: string, needle: string, nth = 0, delta = 1): Position {
  return posOf(text, offsetOf(text, needle, nth, delta));
}

/** The range of the `nth` occurrence of `needle`. */
export function rangeOfText(text: string, needle: string, nth = 0): Range {
  const i = offsetOf(text, needle, nth);
  return { start: posOf(text, i), end: posOf(text, i + needle.length) };
}

/** Applies LSP text edits (non-overlapping) to a text. */
export function applyEdits(text: string, edits: { range: Range; newText: string }[]): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const off = (p: Position) => (lineStarts[p.line] ?? text.length) + p.character;
  const sorted = [...edits].sort((a, b) => off(b.range.start) - off(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, off(e.range.start)) + e.newText + out.slice(off(e.range.end));
  return out;
}

/** Rejects if `p` takes longer than `ms` (a hang is a failure, not a stuck test run). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
