// Compile-time values: evaluation of constant expressions (parameters, arithmetic,
// conditions) and binding of call arguments to a signature.
import type { Arg, Expr, Span } from "../dsl/ast.js";
import { type Diagnostic, diag, didYouMeanHint } from "../dsl/diagnostics.js";
import { nameTable } from "./names.js";

/** A symbolic name used as a value, e.g. `unpaired`, `real`, `bilinear`. */
export interface Sym {
  sym: string;
}
/** A reference to a tensor label inside a network body (for `concat(d1)`). */
export interface TensorRef {
  tensor: string;
  span: Span;
}
export type Value = number | boolean | string | Sym | TensorRef;

export function isSym(v: Value | undefined): v is Sym {
  return typeof v === "object" && v !== null && "sym" in v;
}

export function typeName(v: Value): string {
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number";
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "string") return "a string";
  return "sym" in v ? `the name \`${v.sym}\`` : `the tensor \`${v.tensor}\``;
}

/** Lexical scope of compile-time names. */
export class Env {
  private readonly vars = new Map<string, Value>();
  private readonly poisoned = new Set<string>();
  constructor(
    readonly parent?: Env,
    /** names that evaluate to themselves as symbols (e.g. enum values of the setting being read) */
    readonly symbols: ReadonlySet<string> = parent?.symbols ?? new Set(),
  ) {}
  set(name: string, v: Value): void {
    this.vars.set(name, v);
  }
  get(name: string): Value | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
  /** A name whose definition had an error: using it reports nothing more. */
  poison(name: string): void {
    this.poisoned.add(name);
  }
  isPoisoned(name: string): boolean {
    return this.poisoned.has(name) || (this.parent?.isPoisoned(name) ?? false);
  }
  names(): string[] {
    const out = new Set<string>(this.parent?.names() ?? []);
    for (const k of this.vars.keys()) out.add(k);
    return [...out];
  }
  withSymbols(symbols: Iterable<string>): Env {
    const e = new Env(this, new Set([...this.symbols, ...symbols]));
    return e;
  }
}

/** Diagnostics after this many in one list get no did-you-mean hint (the renderer shows 100). */
export const HINTED_DIAGNOSTICS = 100;

type Builtin = (args: number[]) => number;
const BUILTINS: Record<string, { arity: number | "n"; f: Builtin }> = nameTable({
  min: { arity: "n", f: (a) => Math.min(...a) },
  max: { arity: "n", f: (a) => Math.max(...a) },
  floor: { arity: 1, f: (a) => Math.floor(a[0]!) },
  ceil: { arity: 1, f: (a) => Math.ceil(a[0]!) },
  round: { arity: 1, f: (a) => Math.round(a[0]!) },
  pow: { arity: 2, f: (a) => Math.pow(a[0]!, a[1]!) },
});

/**
 * Evaluates a constant expression. Returns undefined (after reporting) when it can't.
 * `labels` are tensor labels visible here: a name that is a label evaluates to a TensorRef.
 */
export function evaluate(e: Expr, env: Env, diags: Diagnostic[], labels?: ReadonlySet<string>): Value | undefined {
  switch (e.kind) {
    case "Number":
      return e.value;
    case "String":
      return e.value;
    case "Bool":
      return e.value;
    case "Type":
      diags.push(diag("GAN2013", `a tensor type (\`${e.name.name}[...]\`) is not a value here`, e.span));
      return undefined;
    case "Name": {
      const v = env.get(e.name);
      if (v !== undefined) return v;
      if (env.isPoisoned(e.name)) return undefined;
      if (labels?.has(e.name)) return { tensor: e.name, span: e.span };
      if (env.symbols.has(e.name)) return { sym: e.name };
      // past a screenful of diagnostics, no hints: each would scan every name (quadratic)
      const candidates = diags.length < HINTED_DIAGNOSTICS ? [...env.names(), ...(labels ?? []), ...env.symbols] : [];
      diags.push(
        diag("GAN2001", `unknown name \`${e.name}\``, e.span, {
          hint: diags.length < HINTED_DIAGNOSTICS ? (didYouMeanHint(e.name, candidates) ?? (candidates.length ? undefined : "declare it with `param`")) : undefined,
        }),
      );
      return undefined;
    }
    case "Unary": {
      const v = evaluate(e.operand, env, diags, labels);
      if (v === undefined) return undefined;
      if (e.op === "-") {
        if (typeof v !== "number") return typeError(e.operand.span, "-", "a number", v, diags);
        return -v;
      }
      if (typeof v !== "boolean") return typeError(e.operand.span, "not", "a boolean", v, diags);
      return !v;
    }
    case "Binary": {
      const l = evaluate(e.left, env, diags, labels);
      const r = evaluate(e.right, env, diags, labels);
      if (l === undefined || r === undefined) return undefined;
      switch (e.op) {
        case "and":
        case "or":
          if (typeof l !== "boolean") return typeError(e.left.span, e.op, "a boolean", l, diags);
          if (typeof r !== "boolean") return typeError(e.right.span, e.op, "a boolean", r, diags);
          return e.op === "and" ? l && r : l || r;
        case "==":
          return sameValue(l, r);
        case "!=":
          return !sameValue(l, r);
      }
      if (typeof l !== "number") return typeError(e.left.span, e.op, "a number", l, diags);
      if (typeof r !== "number") return typeError(e.right.span, e.op, "a number", r, diags);
      switch (e.op) {
        case "+":
          return finite(l + r, e.span, diags);
        case "-":
          return finite(l - r, e.span, diags);
        case "*":
          return finite(l * r, e.span, diags);
        case "/":
        case "%": {
          if (r === 0) {
            diags.push(diag("GAN2015", "division by zero", e.span));
            return undefined;
          }
          if (e.op === "%") return finite(l % r, e.span, diags);
          // integer division stays integral when exact, like channel arithmetic `ngf / 2`
          return finite(l / r, e.span, diags);
        }
        case "<":
          return l < r;
        case "<=":
          return l <= r;
        case ">":
          return l > r;
        case ">=":
          return l >= r;
      }
      return undefined;
    }
    case "Call": {
      const b = BUILTINS[e.callee.name];
      if (!b) {
        diags.push(
          diag("GAN2001", `unknown function \`${e.callee.name}\` in a constant expression`, e.callee.span, {
            hint: didYouMeanHint(e.callee.name, Object.keys(BUILTINS)) ?? `constant expressions may call ${Object.keys(BUILTINS).join(", ")}`,
          }),
        );
        return undefined;
      }
      const args: number[] = [];
      for (const a of e.args) {
        if (a.key) {
          diags.push(diag("GAN2004", `\`${e.callee.name}\` takes no keyword arguments`, a.key.span));
          return undefined;
        }
        const v = evaluate(a.value, env, diags, labels);
        if (v === undefined) return undefined;
        if (typeof v !== "number") return typeError(a.value.span, e.callee.name, "a number", v, diags);
        args.push(v);
      }
      if (b.arity !== "n" && args.length !== b.arity) {
        diags.push(diag("GAN2008", `\`${e.callee.name}\` takes ${b.arity} argument${b.arity === 1 ? "" : "s"}, got ${args.length}`, e.span));
        return undefined;
      }
      if (b.arity === "n" && args.length === 0) {
        diags.push(diag("GAN2005", `\`${e.callee.name}\` needs at least one argument`, e.span));
        return undefined;
      }
      return finite(b.f(args), e.span, diags);
    }
  }
}

/** A computed number, or undefined (after reporting) when it left the float range. */
function finite(v: number, span: Span, diags: Diagnostic[]): number | undefined {
  if (Number.isFinite(v)) return v;
  diags.push(
    diag("GAN2013", Number.isNaN(v) ? "this expression has no numeric value (NaN)" : "this expression's value is too large (beyond the float range)", span, {
      hint: Number.isNaN(v) ? "check the arguments of `pow` and the operands of `%`" : "numbers must be below about 1.8e308",
    }),
  );
  return undefined;
}

function sameValue(a: Value, b: Value): boolean {
  if (typeof a === "object" && typeof b === "object") {
    if ("sym" in a && "sym" in b) return a.sym === b.sym;
    if ("tensor" in a && "tensor" in b) return a.tensor === b.tensor;
    return false;
  }
  return a === b;
}

function typeError(span: Span, op: string, want: string, got: Value, diags: Diagnostic[]): undefined {
  diags.push(diag("GAN2007", `\`${op}\` needs ${want}, found ${typeName(got)}`, span));
  return undefined;
}

// ---------------------------------------------------------------- argument binding

/**
 * Evaluates `e` as the value of an argument or setting `spec` and checks it against the
 * spec's type (undefined after reporting). A bare name given for an enum argument is taken
 * as that enum's value, so `pad_mode: reflct` is "must be one of …", not "unknown name".
 */
export function evaluateArg(spec: ArgSpec, e: Expr, env: Env, diags: Diagnostic[], what: string, labels?: ReadonlySet<string>): Value | undefined {
  if (spec.type === "tensor" && e.kind === "Name" && env.get(e.name) === undefined && !env.isPoisoned(e.name) && !labels?.has(e.name)) {
    const known = [...(labels ?? [])];
    diags.push(
      diag("GAN2018", `unknown tensor label \`${e.name}\``, e.span, {
        hint: didYouMeanHint(e.name, known) ?? (known.length ? `labels visible here: ${known.map((l) => `\`${l}\``).join(", ")}` : "label a layer before this one, e.g. `d1: conv(64, 4, stride: 2, pad: 1)`"),
      }),
    );
    return undefined;
  }
  const isEnum = typeof spec.type === "object";
  const v =
    isEnum && e.kind === "Name" && env.get(e.name) === undefined
      ? { sym: e.name }
      : evaluate(e, isEnum ? env.withSymbols((spec.type as { enum: readonly string[] }).enum) : env, diags, labels);
  return v === undefined ? undefined : coerce(v, spec, what, e.span, diags);
}

export type ArgType =
  | "int"
  | "number"
  | "bool"
  | "string"
  | "any"
  | "tensor"
  | { enum: readonly string[] };

export interface ArgSpec {
  name: string;
  type: ArgType;
  /** undefined = required */
  default?: Value;
  /** minimum allowed (numbers) */
  min?: number;
  /** strict lower bound (numbers): value must be > this */
  above?: number;
  /** maximum allowed (numbers) */
  max?: number;
  doc?: string;
}

/** A value as the language writes it: `"text"`, `reflect`, `3`, `true` (empty for undefined). */
export function showValue(v: Value | undefined): string {
  if (v === undefined) return "";
  if (typeof v === "object") return "sym" in v ? v.sym : v.tensor;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** One parameter of a signature: `stride: 1`, or just the name when it is required. */
export function showArg(a: ArgSpec): string {
  return a.default === undefined ? a.name : `${a.name}: ${showValue(a.default)}`;
}

/** A call's signature, e.g. `conv(filters, kernel, stride: 1, …)` (`gancc ops`, editor hovers and completion). */
export function signature(name: string, args: readonly ArgSpec[], variadic = false): string {
  return `${name}(${args.map(showArg).join(", ")}${variadic ? ", …" : ""})`;
}

export interface Signature {
  /** how the callee is described in messages, e.g. "layer `conv`" */
  what: string;
  params: readonly ArgSpec[];
  /** the last positional parameter takes any number of positional arguments */
  variadic?: boolean;
}

export interface BoundArgs {
  values: Map<string, Value>;
  spans: Map<string, Span>;
  /** for variadic signatures, every positional value of the last parameter */
  rest: { value: Value; span: Span }[];
  ok: boolean;
}

function typeText(t: ArgType): string {
  if (typeof t === "object") return `one of ${t.enum.map((x) => `\`${x}\``).join(", ")}`;
  return { int: "an integer", number: "a number", bool: "`true` or `false`", string: "a string", any: "a value", tensor: "a tensor label" }[t];
}

/** Checks and converts a value against an argument type; reports and returns undefined if wrong. */
export function coerce(v: Value, spec: ArgSpec, what: string, span: Span, diags: Diagnostic[]): Value | undefined {
  const t = spec.type;
  const bad = (extra = "") => {
    diags.push(
      diag("GAN2007", `argument \`${spec.name}\` of ${what} must be ${typeText(t)}, found ${typeName(v)}${extra}`, span, {
        hint: typeof t === "object" && isSym(v) ? didYouMeanHint(v.sym, t.enum) : undefined,
      }),
    );
    return undefined;
  };
  if (t === "any") return v;
  if (t === "tensor") return typeof v === "object" && "tensor" in v ? v : bad();
  if (typeof t === "object") {
    const s = isSym(v) ? v.sym : typeof v === "string" ? v : undefined;
    return s !== undefined && t.enum.includes(s) ? { sym: s } : bad();
  }
  if (t === "bool") return typeof v === "boolean" ? v : bad();
  if (t === "string") return typeof v === "string" ? v : bad();
  if (typeof v !== "number") return bad();
  if (t === "int" && !Number.isInteger(v)) return bad();
  if (t === "int" && !Number.isSafeInteger(v)) {
    diags.push(diag("GAN2013", `argument \`${spec.name}\` of ${what} is too large (beyond 2^53)`, span, { hint: `integers must be at most ${Number.MAX_SAFE_INTEGER}` }));
    return undefined;
  }
  if (spec.min !== undefined && v < spec.min) {
    diags.push(diag("GAN2013", `argument \`${spec.name}\` of ${what} must be at least ${spec.min}, found ${v}`, span));
    return undefined;
  }
  if (spec.above !== undefined && v <= spec.above) {
    diags.push(diag("GAN2013", `argument \`${spec.name}\` of ${what} must be greater than ${spec.above}, found ${v}`, span));
    return undefined;
  }
  if (spec.max !== undefined && v > spec.max) {
    diags.push(diag("GAN2013", `argument \`${spec.name}\` of ${what} must be at most ${spec.max}, found ${v}`, span));
    return undefined;
  }
  return v;
}

/**
 * Binds call arguments (positional, then keyword) to a signature: unknown, missing,
 * duplicate and wrong-typed arguments are reported. Values are evaluated in `env`.
 */
export function bindArgs(
  sig: Signature,
  args: readonly Arg[],
  callSpan: Span,
  env: Env,
  diags: Diagnostic[],
  labels?: ReadonlySet<string>,
): BoundArgs {
  const out: BoundArgs = { values: new Map(), spans: new Map(), rest: [], ok: true };
  const fail = (d: Diagnostic) => {
    diags.push(d);
    out.ok = false;
  };
  /** parameters given an argument that had an error: not reported as missing too */
  const attempted = new Set<string>();
  let pos = 0;
  let sawKeyword = false;
  const names = sig.params.map((p) => p.name);
  /** the argument's value, evaluated and checked against `p` (undefined after reporting) */
  const valueFor = (p: ArgSpec, a: Arg): Value | undefined => {
    const c = evaluateArg(p, a.value, env, diags, sig.what, p.type === "tensor" || p.type === "any" ? labels : undefined);
    if (c === undefined) out.ok = false;
    return c;
  };
  for (const a of args) {
    if (a.key) {
      sawKeyword = true;
      const p = sig.params.find((q) => q.name === a.key!.name);
      if (!p) {
        fail(diag("GAN2004", `${sig.what} has no argument \`${a.key.name}\``, a.key.span, {
          hint: didYouMeanHint(a.key.name, names) ?? (names.length ? `its arguments are ${names.map((n) => `\`${n}\``).join(", ")}` : `it takes no arguments`),
        }));
        continue;
      }
      attempted.add(p.name);
      if (out.values.has(p.name)) {
        fail(diag("GAN2006", `argument \`${p.name}\` of ${sig.what} is given twice`, a.span, {
          related: [{ message: "first given here", span: out.spans.get(p.name)! }],
        }));
        continue;
      }
      const c = valueFor(p, a);
      if (c === undefined) continue;
      out.values.set(p.name, c);
      out.spans.set(p.name, a.span);
    } else {
      if (sawKeyword) {
        const q = sig.params[pos++];
        if (q) attempted.add(q.name);
        fail(diag("GAN2017", `positional argument after a keyword argument in ${sig.what}`, a.span, {
          hint: "put positional arguments first, or name this one",
        }));
        continue;
      }
      const isRest = sig.variadic && pos >= sig.params.length - 1;
      const p = isRest ? sig.params[sig.params.length - 1] : sig.params[pos];
      pos++;
      if (p) attempted.add(p.name);
      if (!p) {
        fail(diag("GAN2008", `${sig.what} takes ${sig.params.length} argument${sig.params.length === 1 ? "" : "s"}, got more`, a.span, {
          hint: sig.params.length ? `its arguments are ${names.map((n) => `\`${n}\``).join(", ")}` : `write it without arguments`,
        }));
        continue;
      }
      const c = valueFor(p, a);
      if (c === undefined) continue;
      if (isRest) {
        out.rest.push({ value: c, span: a.value.span });
        if (!out.values.has(p.name)) {
          out.values.set(p.name, c);
          out.spans.set(p.name, a.span);
        }
      } else {
        out.values.set(p.name, c);
        out.spans.set(p.name, a.span);
      }
    }
  }
  for (const p of sig.params) {
    if (out.values.has(p.name)) continue;
    if (attempted.has(p.name)) continue;
    if (p.default !== undefined) out.values.set(p.name, p.default);
    else if (!(sig.variadic && p === sig.params[sig.params.length - 1] && out.rest.length)) {
      fail(diag("GAN2005", `${sig.what} is missing argument \`${p.name}\``, callSpan, {
        hint: p.doc ? `\`${p.name}\`: ${p.doc}` : undefined,
      }));
    }
  }
  return out;
}
