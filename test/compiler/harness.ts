// Test harness for checks: compile a spec text and assert a diagnostic's code, line and column.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { type CompileOptions, type CompileResult, compileSource } from "../../src/compiler/compile.js";
import type { Diagnostic } from "../../src/dsl/diagnostics.js";

export const TINY = readFileSync(new URL("../../specs/tiny.gan", import.meta.url), "utf8");
export const CYCLEGAN = readFileSync(new URL("../../specs/cyclegan.gan", import.meta.url), "utf8");

export function compile(text: string, opts: CompileOptions = {}): CompileResult {
  return compileSource(text, "test.gan", opts);
}

/** `base` with `from` replaced by `to`; fails the test if `from` is not in `base` exactly once. */
export function edit(base: string, from: string, to: string): string {
  const i = base.indexOf(from);
  if (i < 0 || base.indexOf(from, i + 1) >= 0) throw new Error(`edit: \`${from}\` must occur exactly once`);
  return base.slice(0, i) + to + base.slice(i + from.length);
}

/** 1-based line and column of the `nth` occurrence of `needle` in `text`. */
export function positionOf(text: string, needle: string, nth = 1): { line: number; col: number } {
  let i = -1;
  for (let k = 0; k < nth; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`positionOf: \`${needle}\` (occurrence ${nth}) not found`);
  }
  const before = text.slice(0, i).split("\n");
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

const show = (ds: Diagnostic[]) => ds.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`).join("\n");

/**
 * Asserts that compiling `text` reports `code` at the position of `at` (a substring of
 * `text`, its `nth` occurrence) and returns that diagnostic.
 */
export function expectDiagnostic(text: string, code: string, at: string, opts: CompileOptions & { nth?: number } = {}): Diagnostic {
  const r = compile(text, opts);
  const pos = positionOf(text, at, opts.nth ?? 1);
  const hit = r.diagnostics.find((d) => d.code === code && d.span.line === pos.line && d.span.col === pos.col);
  expect(hit, `expected ${code} at ${pos.line}:${pos.col} (\`${at}\`); got:\n${show(r.diagnostics)}`).toBeDefined();
  return hit!;
}

/** Asserts that `text` compiles without errors and without any diagnostic of `code`. */
export function expectNo(text: string, code?: string, opts: CompileOptions = {}): CompileResult {
  const r = compile(text, opts);
  const bad = r.diagnostics.filter((d) => (code ? d.code === code : d.severity === "error"));
  expect(bad, show(bad)).toEqual([]);
  return r;
}
