// Public entry points of the .gan front end.
import type { IRecognitionException, IToken } from "chevrotain";
import type { Spec } from "./ast.js";
import { diag, hasErrors, sortDiagnostics, SourceFile, type Diagnostic } from "./diagnostics.js";
import { checkNesting } from "./depth.js";
import { lex } from "./lexer.js";
import { parseTokens } from "./parser.js";
import { print } from "./printer.js";
import { toAst } from "./toAst.js";

export { print } from "./printer.js";

export const MAX_DIAGNOSTICS = 50;
/** The longest spec text parsed (characters), checked before lexing. */
export const MAX_SOURCE_LENGTH = 1 << 20;

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

const PAIRS = [
  { close: "`}`", open: "{", end: "}", what: "this `{` is not closed" },
  { close: "`)`", open: "(", end: ")", what: "this `(` is not closed" },
  { close: "`]`", open: "[", end: "]", what: "this `[` is not closed" },
] as const;

/** A syntax error that expects a closing bracket gets a note at the innermost one still open there. */
function addOpenerNote(d: Diagnostic, tokens: readonly IToken[], source: SourceFile): void {
  const pair = PAIRS.find((p) => d.message.startsWith("expected") && d.message.split(", found")[0]!.includes(p.close));
  if (!pair) return;
  const open: IToken[] = [];
  for (const t of tokens) {
    if (t.startOffset >= d.span.start) break;
    if (t.image === pair.open) open.push(t);
    else if (t.image === pair.end) open.pop();
  }
  const opener = open[open.length - 1];
  if (opener) d.related = [...(d.related ?? []), { message: pair.what, span: source.span(opener.startOffset, opener.startOffset + 1) }];
}

/** Lexes and parses one .gan file. Never throws on bad input. */
export function parse(text: string, file: string): ParseResult {
  const source = new SourceFile(file, text);
  if (text.length > MAX_SOURCE_LENGTH) {
    // not lexed at all: a spec is a few kilobytes, and lexing megabytes of tokens takes seconds
    const d = diag("GAN1007", `the spec is too large: ${text.length} characters, the limit is ${MAX_SOURCE_LENGTH}`, source.span(MAX_SOURCE_LENGTH, MAX_SOURCE_LENGTH + 1), {
      hint: "a .gan spec describes a model in a few kilobytes; is this the right file?",
    });
    return { diagnostics: [d], source };
  }
  const lexed = lex(source);
  const tooDeep = checkNesting(lexed.tokens, source);
  if (tooDeep) return { diagnostics: sortDiagnostics([...lexed.diagnostics, tooDeep]).slice(0, MAX_DIAGNOSTICS), source };
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
    if (seen.size <= 5) addOpenerNote(d, lexed.tokens, source);
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
