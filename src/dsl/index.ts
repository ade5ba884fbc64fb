// Public entry points of the .gan front end.
import type { IRecognitionException, IToken } from "chevrotain";
import type { Spec } from "./ast.js";
import { diag, hasErrors, sortDiagnostics, SourceFile, type Diagnostic } from "./diagnostics.js";
import { lex } from "./lexer.js";
import { parseTokens } from "./parser.js";
import { print } from "./printer.js";
import { toAst } from "./toAst.js";

export { print } from "./printer.js";

export const MAX_DIAGNOSTICS = 50;

export interface ParseResult {
  /** The AST; partial (incomplete pieces dropped) when there were syntax errors. */
  spec?: Spec;
  diagnostics: Diagnostic[];
  source: SourceFile;
}

function syntaxDiagnostic(e: IRecognitionException, source: SourceFile): Diagnostic {
  const t = e.token;
  let span;
  if (Number.isFinite(t.startOffset) && t.image !== "") {
    span = source.span(t.startOffset, t.startOffset + t.image.length);
  } else {
    // end of file (or a token made up by recovery): point just after the previous token
    const prev = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
    const at = prev && Number.isFinite(prev.startOffset) && prev.image ? prev.startOffset + prev.image.length : source.text.length;
    span = source.span(at, at);
  }
  return diag("GAN1002", e.message, span);
}

/** Lexes and parses one .gan file. Never throws on bad input. */
export function parse(text: string, file: string): ParseResult {
  const source = new SourceFile(file, text);
  const lexed = lex(source);
  const { cst, errors } = parseTokens(lexed.tokens);
  const ast = toAst(cst, source, lexed.comments, lexed.tokens[0]);
  const diagnostics: Diagnostic[] = [...lexed.diagnostics, ...ast.diagnostics];
  const missingHeader = ast.diagnostics.some((d) => d.code === "GAN1005");
  const seen = new Set<number>();
  for (const e of errors) {
    const d = syntaxDiagnostic(e, source);
    // one report per position; a missing header already explains an error at the first token
    if (seen.has(d.span.start)) continue;
    if (missingHeader && lexed.tokens[0] && d.span.start === lexed.tokens[0].startOffset) continue;
    seen.add(d.span.start);
    diagnostics.push(d);
  }
  return { spec: ast.spec, diagnostics: sortDiagnostics(diagnostics).slice(0, MAX_DIAGNOSTICS), source };
}

/** Formats one .gan file; `output` is absent when the file has syntax errors. */
export function format(text: string, file: string): { output?: string; diagnostics: Diagnostic[] } {
  const { spec, diagnostics } = parse(text, file);
  if (!spec || hasErrors(diagnostics)) return { diagnostics };
  return { output: print(spec), diagnostics };
}

const STRIPPED = new Set(["span", "clipSpan", "leadingComments", "trailingComment", "trailingComments"]);

/** A deep copy without spans and comments, for comparing ASTs (e.g. round-trip tests). */
export function stripSpans<T>(node: T): T {
  if (Array.isArray(node)) return node.map((x) => stripSpans(x)) as T;
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) if (!STRIPPED.has(k)) out[k] = stripSpans(v);
    return out as T;
  }
  return node;
}
