// One check of one document: the compiler's diagnostics (exactly what `gancc check` prints),
// the AST (partial after syntax errors) and what lowering produced (the IR, also when the
// spec has errors, and every block call with its shapes), for hovers, hints and completion.
import { type CompileTrace, compileSource, lowerSpec } from "../compiler/compile.js";
import type { BlockCallTrace } from "../compiler/elaborate.js";
import type { Spec } from "../dsl/ast.js";
import type { Diagnostic, SourceFile } from "../dsl/diagnostics.js";
import type { Ir } from "../ir/schema.js";

/** What the editor's settings (`gancc.*`) change. */
export interface Settings {
  /** `--set name=value` overrides */
  set: Record<string, string | number | boolean>;
  /** `--size N`: the spatial size to check at (default: the data section's crop) */
  size?: number;
  /** show each layer's output shape at the end of its line */
  inlayHints: boolean;
}

export const DEFAULT_SETTINGS: Settings = { set: {}, inlayHints: true };

export interface Analysis {
  version: number;
  /** the file name the compiler saw (spans carry it) */
  file: string;
  text: string;
  source: SourceFile;
  settings: Settings;
  /** exactly the diagnostics `gancc check` reports for this text and these settings */
  diagnostics: Diagnostic[];
  /** the AST; partial when the text has syntax errors */
  spec?: Spec;
  /** the lowered program (nets with errors left out); after syntax errors, of the partial AST */
  ir?: Ir;
  blockCalls: BlockCallTrace[];
  /** the text had syntax errors (then `ir` comes from the partial AST, if lowering it worked) */
  syntaxErrors: boolean;
  /** how long the check took */
  ms: number;
}

/** Checks one text. Throws only on internal compiler errors (the server keeps its last good state then). */
export function analyze(text: string, file: string, version: number, settings: Settings): Analysis {
  const t0 = performance.now();
  const opts = { set: settings.set, size: settings.size };
  const trace: CompileTrace = { blockCalls: [] };
  const r = compileSource(text, file, { ...opts, trace });
  let syntaxErrors = false;
  if (!trace.ir && r.spec) {
    // syntax errors stop the compiler after parsing; lower the partial AST anyway so hovers
    // and hints keep working on the parts that are complete (its diagnostics are not shown)
    syntaxErrors = true;
    try {
      lowerSpec(r.spec, text, file, { ...opts, trace }, []);
    } catch {
      trace.ir = undefined;
      trace.blockCalls = [];
    }
  }
  return {
    version,
    file,
    text,
    source: r.source,
    settings,
    diagnostics: r.diagnostics,
    spec: r.spec,
    ir: trace.ir,
    blockCalls: trace.blockCalls,
    syntaxErrors,
    ms: performance.now() - t0,
  };
}
