// The fuzzer's seeded mutator: takes a base spec (a shipped spec or a wrong spec from the
// golden corpus) and applies 1–3 random mutations. Every case is a pure function of
// (seed, index), so any case can be re-created from its numbers alone.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface Base {
  name: string;
  text: string;
}

/** The shipped specs and the wrong-spec corpus, sorted by name (a stable order for seeds). */
export function loadBases(): Base[] {
  const out: Base[] = [];
  for (const [dir, rel] of [
    [join(ROOT, "specs"), "specs"],
    [join(ROOT, "test", "compiler", "corpus"), "test/compiler/corpus"],
  ] as const) {
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".gan")).sort()) out.push({ name: `${rel}/${f}`, text: readFileSync(join(dir, f), "utf8") });
  }
  return out;
}

/** mulberry32: a small, fast, seedable PRNG (deterministic across platforms). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A per-case seed from the run's seed and the case's index. */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// ---------------------------------------------------------------- tokens (a rough lexer of its own)

const TOKEN_RE = /\s+|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?|"[^"\n]*"|->|==|!=|<=|>=|[^\s]/g;

interface Tok {
  start: number;
  end: number;
  kind: "space" | "comment" | "word" | "number" | "string" | "punct";
}

function tokens(text: string): Tok[] {
  const out: Tok[] = [];
  for (const m of text.matchAll(TOKEN_RE)) {
    const s = m[0];
    const kind = /^\s/.test(s) ? "space" : s[0] === "#" ? "comment" : /^[A-Za-z_]/.test(s) ? "word" : /^[\d.]/.test(s) && s !== "." ? "number" : s[0] === '"' ? "string" : "punct";
    out.push({ start: m.index!, end: m.index! + s.length, kind });
  }
  return out;
}

const splice = (text: string, start: number, end: number, insert: string) => text.slice(0, start) + insert + text.slice(end);

// ---------------------------------------------------------------- mutation vocabulary

export const EXTREME_NUMBERS = [
  "1e309", "-1e308", "1e308", "1e-400", "9007199254740993", "123456789012345678901234567890123456789",
  "0", "-0", "0.0", "1e-320", "4294967297", "2147483648", "-1", "0.5", "1000000000", "1e6", "99999999999999999999e99999",
];
export const JS_NAMES = ["toString", "valueOf", "constructor", "__proto__", "hasOwnProperty", "prototype", "isPrototypeOf", "__defineGetter__", "propertyIsEnumerable", "toLocaleString"];
export const UNICODE = ["\u0000", "é", "\uFEFF", "\u202E", "𝔊", "\uD800", "\uDC00", "😀", "\r", "\t", "\u00A0", "\u2028", "\u0301", "ı", "ẞ", "\u0085", "\v", "\f", "\\", "'", "`", '"', "$", "@", "~", "|"];
const KEYWORDS = ["gan", "param", "block", "network", "nets", "data", "domain", "loss", "train", "step", "updates", "with", "repeat", "clip", "residual", "skip", "if", "else", "init", "true", "false", "and", "or", "not"];
const PUNCT = ["(", ")", "{", "}", "[", "]", ",", ":", "=", "->", "+", "-", "*", "/", "%", "<", ">", "==", "!="];

export interface Mutation {
  name: string;
  apply(text: string, rng: Rng): string;
}

function onToken(pred: (t: Tok) => boolean, f: (text: string, t: Tok, rng: Rng, all: Tok[]) => string): (text: string, rng: Rng) => string {
  return (text, rng) => {
    const all = tokens(text);
    const ts = all.filter(pred);
    if (!ts.length) return text;
    return f(text, rng.pick(ts), rng, all);
  };
}

const notSpace = (t: Tok) => t.kind !== "space";
const isNumber = (t: Tok) => t.kind === "number";
const isWord = (t: Tok) => t.kind === "word";
const lines = (text: string) => text.split("\n");

/** A nested construct of depth n around `inner`. */
function nest(kind: string, n: number, inner: string): string {
  switch (kind) {
    case "paren":
      return "(".repeat(n) + inner + ")".repeat(n);
    case "minus":
      return "-".repeat(n) + inner;
    case "spaced-minus":
      return "- ".repeat(n) + inner;
    case "not":
      return "not ".repeat(n) + "true";
    case "bracket":
      return `x${"[".repeat(n)}${inner}${"]".repeat(n)}`;
    case "sum":
      return inner + " + 1".repeat(n);
    case "product":
      return inner + " * 1".repeat(n);
    case "cmp":
      return inner + " == 1 and 1 == 1".repeat(n);
    case "mixed":
      return "(-".repeat(n) + inner + ")".repeat(n);
    default:
      return inner;
  }
}

function nestedBlocks(kind: string, n: number): string {
  const open = kind === "repeat" ? "repeat 1 { " : kind === "if" ? "if true { " : kind === "residual" ? "residual { " : kind === "skip" ? "skip { " : "if false { } else ";
  return kind === "elseif" ? `if false { }${" else if false { }".repeat(n)} else { relu }` : open.repeat(n) + "relu" + " }".repeat(n);
}

const DEPTHS = [10, 64, 100, 150, 181, 500, 3000, 5000];

export const MUTATIONS: Mutation[] = [
  { name: "delete-token", apply: onToken(notSpace, (text, t) => splice(text, t.start, t.end, "")) },
  { name: "duplicate-token", apply: onToken(notSpace, (text, t) => splice(text, t.start, t.start, `${text.slice(t.start, t.end)} `)) },
  {
    name: "swap-tokens",
    apply: (text, rng) => {
      const ts = tokens(text).filter(notSpace);
      if (ts.length < 2) return text;
      const i = rng.int(ts.length - 1);
      const j = Math.min(ts.length - 1, i + 1 + rng.int(3));
      const a = ts[i]!;
      const b = ts[j]!;
      return text.slice(0, a.start) + text.slice(b.start, b.end) + text.slice(a.end, b.start) + text.slice(a.start, a.end) + text.slice(b.end);
    },
  },
  { name: "replace-token-keyword", apply: onToken(notSpace, (text, t, rng) => splice(text, t.start, t.end, rng.pick(KEYWORDS))) },
  { name: "replace-token-punct", apply: onToken(notSpace, (text, t, rng) => splice(text, t.start, t.end, rng.pick(PUNCT))) },
  {
    name: "delete-line",
    apply: (text, rng) => {
      const ls = lines(text);
      ls.splice(rng.int(ls.length), 1 + rng.int(2));
      return ls.join("\n");
    },
  },
  {
    name: "duplicate-line",
    apply: (text, rng) => {
      const ls = lines(text);
      const i = rng.int(ls.length);
      ls.splice(i, 0, ls[i]!);
      return ls.join("\n");
    },
  },
  {
    name: "swap-lines",
    apply: (text, rng) => {
      const ls = lines(text);
      const i = rng.int(ls.length);
      const j = rng.int(ls.length);
      [ls[i], ls[j]] = [ls[j]!, ls[i]!];
      return ls.join("\n");
    },
  },
  {
    name: "insert-unicode",
    apply: (text, rng) => {
      const at = rng.int(text.length + 1);
      return splice(text, at, at, rng.pick(UNICODE));
    },
  },
  {
    name: "insert-nul",
    apply: (text, rng) => {
      const at = rng.int(text.length + 1);
      return splice(text, at, at, "\u0000");
    },
  },
  { name: "truncate", apply: (text, rng) => text.slice(0, rng.int(text.length + 1)) },
  { name: "extreme-number", apply: onToken(isNumber, (text, t, rng) => splice(text, t.start, t.end, rng.pick(EXTREME_NUMBERS))) },
  { name: "number-for-name", apply: onToken(isWord, (text, t, rng) => splice(text, t.start, t.end, rng.pick(EXTREME_NUMBERS))) },
  { name: "js-name", apply: onToken(isWord, (text, t, rng) => splice(text, t.start, t.end, rng.pick(JS_NAMES))) },
  {
    name: "js-name-everywhere",
    apply: (text, rng) => {
      const all = tokens(text).filter(isWord);
      const ws = all.map((t) => text.slice(t.start, t.end)).filter((w) => !KEYWORDS.includes(w));
      if (!ws.length) return text;
      const w = rng.pick(ws);
      const js = rng.pick(JS_NAMES);
      // every occurrence of the word as a whole token, right to left (no regex: a word may be megabytes)
      let out = text;
      for (const t of [...all].reverse()) if (text.slice(t.start, t.end) === w) out = splice(out, t.start, t.end, js);
      return out;
    },
  },
  {
    name: "deep-expression",
    apply: onToken(isNumber, (text, t, rng) => splice(text, t.start, t.end, nest(rng.pick(["paren", "minus", "spaced-minus", "not", "bracket", "sum", "product", "cmp", "mixed"]), rng.pick(DEPTHS), text.slice(t.start, t.end)))),
  },
  {
    name: "deep-blocks",
    apply: (text, rng) => {
      const all = tokens(text);
      const opens = all.filter((t) => text[t.start] === "{");
      if (!opens.length) return text;
      const t = rng.pick(opens);
      return splice(text, t.end, t.end, ` ${nestedBlocks(rng.pick(["repeat", "if", "residual", "skip", "elseif"]), rng.pick(DEPTHS))} `);
    },
  },
  {
    name: "huge-repeat",
    apply: (text, rng) => {
      const all = tokens(text);
      const opens = all.filter((t) => text[t.start] === "{");
      if (!opens.length) return text;
      const t = rng.pick(opens);
      return splice(text, t.end, t.end, ` repeat ${rng.pick(["1000000000", "1e9", "100000", "9007199254740993", "1e309", "-1", "2.5"])} { relu } `);
    },
  },
  {
    name: "long-line",
    apply: (text, rng) => {
      const n = rng.pick([1_000, 10_000, 100_000, 400_000, 1_100_000]);
      const at = lines(text).slice(0, rng.int(lines(text).length)).join("\n").length;
      const kind = rng.int(5);
      const line = kind === 0 ? "x".repeat(n) : kind === 1 ? `# ${"c".repeat(n)}` : kind === 2 ? `param p_long = 1${" + 1".repeat(Math.floor(n / 4))}` : kind === 3 ? `"${"s".repeat(n)}` : `${"9".repeat(n)}`;
      return splice(text, at, at, `\n${line}\n`);
    },
  },
];

export interface FuzzCase {
  index: number;
  seed: number;
  base: string;
  mutations: string[];
  text: string;
  /** `--set` overrides for this case, if any */
  set?: Record<string, string>;
}

const SET_VALUES = ["1e309", "-1e308", "1e-400", "abc", "true", "toString", "9007199254740993", "0", "-1", '"x"', ""];

/** The case number `index` of the run with `seed`. */
export function makeCase(bases: readonly Base[], seed: number, index: number): FuzzCase {
  const rng = new Rng(caseSeed(seed, index));
  const base = rng.pick(bases);
  let text = base.text;
  const mutations: string[] = [];
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const m = rng.pick(MUTATIONS);
    mutations.push(m.name);
    text = m.apply(text, rng);
    if (text.length > 4_000_000) break;
  }
  const c: FuzzCase = { index, seed, base: base.name, mutations, text };
  if (rng.chance(0.1)) {
    const params = [...text.matchAll(/\bparam\s+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
    const name = params.length && rng.chance(0.8) ? rng.pick(params) : rng.pick([...JS_NAMES, "lr", "size", "nope"]);
    c.set = { [name]: rng.pick(SET_VALUES) };
  }
  return c;
}
