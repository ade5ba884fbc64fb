// Tokens of the .gan language (Chevrotain). Every token type carries a LABEL so that
// parser messages speak the language ("expected `}`", "expected a name").
import type { IToken, TokenType } from "chevrotain";
import { Lexer, createToken } from "./chevrotain.js";
import type { Comment } from "./ast.js";
import { diag, type Diagnostic, type SourceFile } from "./diagnostics.js";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\uFEFF]+/, group: Lexer.SKIPPED });
export const CommentTok = createToken({ name: "Comment", pattern: /#[^\n\r]*/, group: "comments", label: "a comment" });

export const Ident = createToken({ name: "Ident", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

const KEYWORDS = [
  "gan", "param", "block", "network", "nets", "data", "domain", "loss", "train", "step", "updates",
  "with", "repeat", "clip", "residual", "skip", "if", "else", "init", "true", "false", "and", "or", "not",
] as const;
type Keyword = (typeof KEYWORDS)[number];

/** The category of every keyword (a parser rule may take any keyword, to report it clearly). */
export const KeywordCat = createToken({ name: "Keyword", pattern: Lexer.NA, label: "a keyword" });

const kw = (word: Keyword): TokenType =>
  createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Ident, label: `\`${word}\``, categories: [KeywordCat] });

export const Gan = kw("gan");
export const Param = kw("param");
export const Block = kw("block");
export const Network = kw("network");
export const Nets = kw("nets");
export const Data = kw("data");
export const Domain = kw("domain");
export const Loss = kw("loss");
export const Train = kw("train");
export const Step = kw("step");
export const Updates = kw("updates");
export const With = kw("with");
export const Repeat = kw("repeat");
export const Clip = kw("clip");
export const Residual = kw("residual");
export const Skip = kw("skip");
export const If = kw("if");
export const Else = kw("else");
export const Init = kw("init");
export const True = kw("true");
export const False = kw("false");
export const And = kw("and");
export const Or = kw("or");
export const Not = kw("not");

export const KEYWORD_TOKENS: ReadonlySet<TokenType> = new Set([Gan, Param, Block, Network, Nets, Data, Domain, Loss, Train, Step, Updates, With, Repeat, Clip, Residual, Skip, If, Else, Init, True, False, And, Or, Not]);

/** Strict number syntax; NumberLit also swallows trailing name characters so `3x` is one bad number. */
export const NUMBER_RE = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
export const NumberLit = createToken({
  name: "NumberLit",
  pattern: /(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?[A-Za-z0-9_.]*/,
  label: "a number",
});
export const StringLit = createToken({ name: "StringLit", pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: "a string" });
const UnterminatedString = createToken({ name: "UnterminatedString", pattern: /"(?:[^"\\\n\r]|\\.)*\\?/, label: "a string" });
/** A Python-style 'string': reported (GAN1001) and read as the string it means. */
const SingleQuoted = createToken({ name: "SingleQuoted", pattern: /'[^'\n\r]*'/, label: "a string" });

const punct = (name: string, text: string, categories?: TokenType[]): TokenType =>
  createToken({ name, pattern: text, label: `\`${text}\``, ...(categories ? { categories } : {}) });

export const AddOp = createToken({ name: "AddOp", pattern: Lexer.NA, label: "`+` or `-`" });
export const MulOp = createToken({ name: "MulOp", pattern: Lexer.NA, label: "`*`, `/` or `%`" });
export const CmpOp = createToken({ name: "CmpOp", pattern: Lexer.NA, label: "a comparison" });

export const Arrow = punct("Arrow", "->");
export const EqEq = punct("EqEq", "==", [CmpOp]);
export const NotEq = punct("NotEq", "!=", [CmpOp]);
export const LtEq = punct("LtEq", "<=", [CmpOp]);
export const GtEq = punct("GtEq", ">=", [CmpOp]);
export const Lt = punct("Lt", "<", [CmpOp]);
export const Gt = punct("Gt", ">", [CmpOp]);
export const Eq = punct("Eq", "=");
export const Plus = punct("Plus", "+", [AddOp]);
export const Minus = punct("Minus", "-", [AddOp]);
export const Star = punct("Star", "*", [MulOp]);
export const Slash = punct("Slash", "/", [MulOp]);
export const Percent = punct("Percent", "%", [MulOp]);
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LCurly = punct("LCurly", "{");
export const RCurly = punct("RCurly", "}");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");
export const Comma = punct("Comma", ",");
export const Colon = punct("Colon", ":");

/** Token types the parser knows (UnterminatedString is rewritten to StringLit before parsing). */
export const allTokens: TokenType[] = [
  WhiteSpace, CommentTok, StringLit, UnterminatedString, SingleQuoted, NumberLit,
  Gan, Param, Block, Network, Nets, Data, Domain, Loss, Train, Step, Updates, With, Repeat, Clip,
  Residual, Skip, If, Else, Init, True, False, And, Or, Not,
  Ident,
  Arrow, EqEq, NotEq, LtEq, GtEq, Lt, Gt, Eq, Plus, Minus, Star, Slash, Percent,
  LParen, RParen, LCurly, RCurly, LBracket, RBracket, Comma, Colon,
  AddOp, MulOp, CmpOp, KeywordCat,
];

/** The lexer; `validate` runs Chevrotain's token checks (a test does; the shared instance skips them). */
export function createLexer(validate = false): InstanceType<typeof Lexer> {
  return new Lexer(allTokens, { positionTracking: "onlyOffset", ensureOptimizations: false, skipValidations: !validate });
}

const lexer = createLexer();

export interface LexResult {
  tokens: IToken[];
  comments: Comment[];
  diagnostics: Diagnostic[];
}

/** Decodes the contents of a string token (JSON escapes); undefined when an escape is invalid. */
export function decodeString(raw: string): string | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a well-formed number literal has no faithful value (undefined if it has one): beyond
 * the float range (it would be Infinity), a non-zero literal that rounds to 0, or an integer
 * literal beyond 2^53 (it would silently become another integer).
 */
export function numberRangeError(image: string): { message: string; hint: string } | undefined {
  const shown = image.length > 30 ? `${image.slice(0, 30)}…` : image;
  const v = Number(image);
  if (!Number.isFinite(v)) return { message: `number \`${shown}\` is too large`, hint: "numbers must be below about 1.8e308 (the float range)" };
  const mantissa = image.replace(/[eE].*$/, "");
  if (v === 0 && /[1-9]/.test(mantissa)) return { message: `number \`${shown}\` is too small: it rounds to 0`, hint: "numbers other than 0 must be at least about 5e-324 in size" };
  if (/^\d+$/.test(image) && !Number.isSafeInteger(v)) return { message: `integer \`${shown}\` is too large to be exact`, hint: `integers must be at most ${Number.MAX_SAFE_INTEGER}` };
  return undefined;
}

/** Tokenizes `source`; never throws. Lexing problems become GAN1001/1003/1004 diagnostics. */
export function lex(source: SourceFile): LexResult {
  const res = lexer.tokenize(source.text);
  const diagnostics: Diagnostic[] = [];
  for (const e of res.errors) {
    const text = source.text.slice(e.offset, e.offset + e.length);
    const shown = text.length > 20 ? `${text.slice(0, 20)}…` : text;
    diagnostics.push(
      diag(
        "GAN1001",
        text.length === 1 ? `unexpected character \`${shown}\`` : `unexpected characters \`${shown}\``,
        source.span(e.offset, e.offset + e.length),
      ),
    );
  }
  const tokens: IToken[] = [];
  for (const t of res.tokens) {
    const span = () => source.span(t.startOffset, t.startOffset + t.image.length);
    if (t.tokenType === UnterminatedString) {
      diagnostics.push(diag("GAN1003", "unterminated string", span(), { hint: "close the string with `\"` on the same line" }));
      t.tokenType = StringLit;
      t.tokenTypeIdx = StringLit.tokenTypeIdx!;
    } else if (t.tokenType === SingleQuoted) {
      const inner = t.image.slice(1, -1);
      const fixed = `"${inner.replace(/["\\]/g, (c) => `\\${c}`)}"`;
      diagnostics.push(diag("GAN1001", "strings are written in double quotes", span(), { hint: `write ${fixed.length > 60 ? "it" : fixed} instead of ${t.image.length > 60 ? "single quotes" : t.image}` }));
      // read on as that string (same length when nothing needs escaping, so spans stay right)
      if (fixed.length === t.image.length) t.image = fixed;
      t.tokenType = StringLit;
      t.tokenTypeIdx = StringLit.tokenTypeIdx!;
    } else if (t.tokenType === StringLit) {
      if (decodeString(t.image) === undefined) diagnostics.push(diag("GAN1001", "invalid escape sequence in string", span()));
    } else if (t.tokenType === NumberLit) {
      if (!NUMBER_RE.test(t.image)) {
        const shown = t.image.length > 30 ? `${t.image.slice(0, 30)}…` : t.image;
        diagnostics.push(diag("GAN1004", `invalid number \`${shown}\``, span(), { hint: "numbers look like 64, 0.5, .5 or 2e-4" }));
      } else {
        const range = numberRangeError(t.image);
        if (range) diagnostics.push(diag("GAN1004", range.message, span(), { hint: range.hint }));
      }
    }
    tokens.push(t);
  }
  const comments: Comment[] = (res.groups.comments ?? []).map((t) => ({
    text: t.image,
    span: source.span(t.startOffset, t.startOffset + t.image.length),
  }));
  return { tokens, comments, diagnostics };
}
