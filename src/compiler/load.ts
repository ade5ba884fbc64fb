/**
 * What a command is given to work on: a `.gan` spec (compiled here, with `--set`/`--size`) or an
 * IR `.json` that `gancc compile` wrote (validated against the schema). One function for train,
 * the weights commands and the public API.
 */
import { readFileSync } from "node:fs";
import type { Diagnostic, SourceFile } from "../dsl/diagnostics.js";
import { hasErrors } from "../dsl/diagnostics.js";
import { type CompileOptions, compileSource } from "./compile.js";
import type { Ir } from "../ir/schema.js";
import { readIr } from "../ir/validate.js";

export interface LoadedSource {
  /** undefined when the spec has errors (see `diagnostics`) or the IR file is invalid (see `error`) */
  ir?: Ir;
  /** the spec's text (undefined for an IR file) */
  specText?: string;
  /** the spec's diagnostics, errors and warnings (empty for an IR file) */
  diagnostics: Diagnostic[];
  /** the spec as a source file, for rendering `diagnostics` */
  source?: SourceFile;
  /** why an IR file cannot be used (it is not valid JSON, not a valid IR, another version) */
  error?: string;
}

export function isIrPath(path: string): boolean {
  return path.toLowerCase().endsWith(".json");
}

/**
 * Loads a spec or an IR file. A file that cannot be read throws FileReadError; `--set`/`--size`
 * with an IR file (whose parameters are already compiled in) throw SourceOptionsError.
 */
export function loadSpecOrIr(path: string, opts: CompileOptions = {}): LoadedSource {
  const text = readTextFile(path);
  if (isIrPath(path)) {
    if (Object.keys(opts.set ?? {}).length || opts.size !== undefined) {
      throw new SourceOptionsError(`--set cannot change an IR file: ${path} is already compiled, and --set and --size apply to .gan specs (pass its .gan spec, or compile it again with --set)`);
    }
    const r = readIr(text, path);
    return r.ir ? { ir: r.ir, diagnostics: [] } : { diagnostics: [], error: r.error ?? `${path} is not a gancc IR file` };
  }
  const r = compileSource(text, path, opts);
  return { ir: r.ir && !hasErrors(r.diagnostics) ? r.ir : undefined, specText: text, diagnostics: r.diagnostics, source: r.source };
}

/** Options that do not apply to what was given (`--set` or `--size` with an IR file). */
export class SourceOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceOptionsError";
  }
}

/** A file the user named cannot be read; the message names it and why. */
export class FileReadError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = "FileReadError";
  }
}

export function readTextFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory (give a file)" : code === "EACCES" || code === "EPERM" ? "permission denied" : (e as Error).message;
    throw new FileReadError(`cannot read ${path}: ${why}`, path);
  }
}
