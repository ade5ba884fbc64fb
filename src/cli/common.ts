// Shared CLI plumbing: reading specs, --set, printing diagnostics, exit codes.
import type { Command } from "commander";
import { type Diagnostic, SourceFile, renderDiagnostics } from "../dsl/diagnostics.js";
import { type CompileOptions, type CompileResult, compileSource } from "../compiler/compile.js";
import { FileReadError, readTextFile } from "../compiler/load.js";

/**
 * Makes every command and subcommand throw a CommanderError instead of exiting (usage errors
 * then exit 2, --help and --version 0: see main.ts). Commander copies this setting only to
 * subcommands created with `.command()` after it is set, so it is applied to the whole tree.
 */
export function exitOverrideEverywhere(cmd: Command): void {
  cmd.exitOverride();
  for (const c of cmd.commands) exitOverrideEverywhere(c);
}

/** A usage or I/O error: printed as `gancc: message`, exit code 2. */
export class CliError extends Error {}

/** Runs `fn`, turning the library's errors about the user's files (listed in `kinds`) into CliErrors. */
export function asUsageError<T>(fn: () => T, kinds: (abstract new (...a: never[]) => Error)[] = []): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FileReadError || kinds.some((k) => e instanceof k)) throw new CliError((e as Error).message);
    throw e;
  }
}

export function collectSet(value: string, prev: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new CliError(`--set expects name=value, got \`${value}\` (e.g. --set ngf=8)`);
  return { ...prev, [value.slice(0, eq).trim()]: value.slice(eq + 1).trim() };
}

export function parsePositiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${name} expects a positive integer, got \`${v}\``);
    return n;
  };
}

export function readText(path: string): string {
  return asUsageError(() => readTextFile(path));
}

export function compileFile(path: string, opts: CompileOptions): CompileResult {
  return compileSource(readText(path), path, opts);
}

export interface OutputOptions {
  json?: boolean;
}

/** Prints diagnostics (rendered, or JSON with --json) to stderr/stdout. */
export function report(diags: Diagnostic[], source: SourceFile, opts: OutputOptions): void {
  if (opts.json) {
    process.stdout.write(JSON.stringify({ diagnostics: diags }, null, 2) + "\n");
    return;
  }
  if (!diags.length) return;
  const color = process.stderr.isTTY && !process.env.NO_COLOR;
  process.stderr.write(renderDiagnostics(diags, new Map([[source.path, source]]), { color }) + "\n");
}
