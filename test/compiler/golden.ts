// Golden files: compared, never silently created. A missing golden is a failure like a
// changed one; goldens are (re)written only with UPDATE_GOLDEN=1 (then read the diff).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { expect } from "vitest";

export type GoldenOutcome =
  | { status: "match" }
  | { status: "written" }
  | { status: "missing"; message: string }
  | { status: "differs"; expected: string; message: string };

export interface GoldenOptions {
  /** write the golden instead of comparing (default: UPDATE_GOLDEN=1 in the environment) */
  update?: boolean;
  /** how messages name the golden (default: its path) */
  label?: string;
}

/** Compares `actual` with the golden file at `path`; writes it only when updating. */
export function compareGolden(path: string, actual: string, opts: GoldenOptions = {}): GoldenOutcome {
  const update = opts.update ?? process.env.UPDATE_GOLDEN === "1";
  const label = opts.label ?? path;
  const expected = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  if (update) {
    if (expected === actual) return { status: "match" };
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return { status: "written" };
  }
  if (expected === undefined) return { status: "missing", message: `missing golden ${label}; create it with UPDATE_GOLDEN=1 and review it` };
  if (expected !== actual) return { status: "differs", expected, message: `output differs from golden ${label} (if intended, rerun with UPDATE_GOLDEN=1 and review the diff)` };
  return { status: "match" };
}

/** The vitest assertion: fails on a missing golden and on a different one (showing the diff). */
export function expectGolden(path: string, actual: string, opts: GoldenOptions = {}): void {
  const r = compareGolden(path, actual, opts);
  if (r.status === "missing") expect.fail(r.message);
  if (r.status === "differs") expect(actual, r.message).toBe(r.expected);
}
