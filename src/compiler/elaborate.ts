// Network elaboration: expands a network instance (blocks, repeat, if, residual, skip)
// into a flat node list in topological order with stable path names, binding every
// op's arguments against the ops table and inferring every layer's output shape.
import type { Arg, BlockDecl, Layer, LayerCall, NetworkDecl, Span, TypeExpr } from "../dsl/ast.js";
import { type Diagnostic, diag, didYouMeanHint } from "../dsl/diagnostics.js";
import type { Attrs, IrNode, IrParam } from "../ir/schema.js";
import { irSpan } from "./ir.js";
import { OPS, type Shape, isShapeError, shapeArray, showShape } from "./ops.js";
import { Env, type Signature, type Value, bindArgs, evaluate, isSym } from "./values.js";

const MAX_DEPTH = 64;
/** the most layers one network may expand to (the shipped specs have under 200) */
export const MAX_NODES = 20_000;
/** the largest `repeat` count */
export const MAX_REPEAT = 10_000;

/**
 * A lower bound on the layers `layers` add, computed without expanding anything: each op
 * call is one, a residual/skip body one more, a block call its body's bound. `repeat` and
 * `if` count 0 (their counts and conditions need values). Used to refuse a `repeat` whose
 * expansion would pass MAX_NODES before expanding it.
 */
export function minLayers(layers: readonly Layer[], blocks: ReadonlyMap<string, BlockDecl>, memo = new Map<string, number>()): number {
  let n = 0;
  for (const l of layers) {
    switch (l.kind) {
      case "LayerCall": {
        const b = blocks.get(l.callee.name);
        if (b) {
          if (!memo.has(b.name.name)) {
            memo.set(b.name.name, 0); // a recursive block counts 0 for itself
            memo.set(b.name.name, minLayers(b.body, blocks, memo) + (b.form ? 1 : 0));
          }
          n += memo.get(b.name.name)!;
        } else if (Object.hasOwn(OPS, l.callee.name)) n += 1;
        break;
      }
      case "Residual":
      case "Skip":
        n += 1 + minLayers(l.body, blocks, memo);
        break;
      default:
        break;
    }
  }
  return n;
}

export interface ElabInput {
  blocks: Map<string, BlockDecl>;
  diags: Diagnostic[];
  /** receives every block call as it is expanded (for editor tooling: shapes at call sites) */
  onBlockCall?: (call: BlockCallTrace) => void;
}

/** One expanded block call: its call site, the path of its nodes and its shapes ([H, W, C] or [F]). */
export interface BlockCallTrace {
  span: Span;
  /** the nodes of this call are `${path}/…`, e.g. "G_AB/res3" */
  path: string;
  input: number[] | null;
  output: number[] | null;
}

export interface ElabResult {
  nodes: IrNode[];
  params: IrParam[];
  inputShape: Shape;
  output: Shape | null;
}

interface Tensor {
  id: string;
  shape: Shape | null;
}

interface Scope {
  path: string;
  counters: Map<string, number>;
  labels: Map<string, Tensor>;
  env: Env;
  depth: number;
}

/** Evaluates `image[3]` / `vector[8]` to a shape with the given spatial size. */
export function typeShape(t: TypeExpr, env: Env, size: number, diags: Diagnostic[]): Shape | undefined {
  const n = evaluate(t.size, env, diags);
  if (n === undefined) return undefined;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    diags.push(diag("GAN2013", `the channel count of \`${t.name.name}[...]\` must be a positive integer`, t.size.span));
    return undefined;
  }
  if (t.name.name === "image") return { kind: "image", c: n, h: size, w: size };
  if (t.name.name === "vector") return { kind: "vector", f: n };
  diags.push(diag("GAN2001", `unknown tensor type \`${t.name.name}\``, t.name.span, { hint: didYouMeanHint(t.name.name, ["image", "vector"]) ?? "use `image[C]` or `vector[N]`" }));
  return undefined;
}

function ordinalName(scope: Scope, base: string): string {
  const n = (scope.counters.get(base) ?? 0) + 1;
  scope.counters.set(base, n);
  return `${base}${/\d$/.test(base) ? "_" : ""}${n}`;
}

function childScope(parent: Scope, name: string, env: Env): Scope {
  return { path: `${parent.path}/${name}`, counters: new Map(), labels: new Map(), env, depth: parent.depth + 1 };
}

export function paramSignature(what: string, params: { name: { name: string }; default?: import("../dsl/ast.js").Expr }[], env: Env, diags: Diagnostic[]): Signature {
  return {
    what,
    params: params.map((p) => {
      const d = p.default ? evaluate(p.default, env, diags) : undefined;
      return d === undefined ? { name: p.name.name, type: "any" as const } : { name: p.name.name, type: "any" as const, default: d };
    }),
  };
}

/**
 * Expands one net instance. `env` binds spec params and the network's own parameters.
 */
export function elaborateNetwork(
  instance: string,
  decl: NetworkDecl,
  env: Env,
  size: number,
  ctx: ElabInput,
): ElabResult | undefined {
  const inputShape = typeShape(decl.input, env, size, ctx.diags);
  if (!inputShape) return undefined;
  const nodes: IrNode[] = [];
  const params: IrParam[] = [];
  const root: Scope = { path: instance, counters: new Map(), labels: new Map(), env, depth: 0 };
  const input: Tensor = { id: `${instance}/input`, shape: inputShape };
  nodes.push({ id: input.id, op: "input", attrs: {}, inputs: [], shape: shapeArray(inputShape), params: [], span: irSpan(decl.input.span) });
  root.labels.set("input", input);
  let aborted = false;

  const addNode = (id: string, op: string, attrs: Attrs, inputs: Tensor[], shape: Shape | null, span: Span, ps: IrParam[] = []): Tensor => {
    if (nodes.length >= MAX_NODES) {
      if (!aborted) ctx.diags.push(diag("GAN2014", `network \`${decl.name.name}\` expands to more than ${MAX_NODES} layers`, span));
      aborted = true;
      return { id, shape };
    }
    nodes.push({
      id,
      op,
      attrs,
      inputs: inputs.map((t) => t.id),
      shape: shape ? shapeArray(shape) : [],
      params: ps.map((p) => p.name),
      span: irSpan(span),
    });
    params.push(...ps);
    return { id, shape };
  };

  const body = (layers: Layer[], x: Tensor, scope: Scope): Tensor => {
    for (const l of layers) {
      // after an abort nothing is checked further: its shapes would only be wrong
      if (aborted) return { id: x.id, shape: null };
      x = layer(l, x, scope);
    }
    return aborted ? { id: x.id, shape: null } : x;
  };
  const minMemo = new Map<string, number>();

  const setLabel = (label: { name: string; span: Span } | undefined, t: Tensor, scope: Scope) => {
    if (!label) return;
    if (scope.labels.has(label.name)) {
      ctx.diags.push(diag("GAN2002", `the label \`${label.name}\` is already used in this body`, label.span, { hint: "labels name tensors; each must be unique within its block or network" }));
      return;
    }
    scope.labels.set(label.name, t);
  };

  const wrap = (form: "residual" | "skip", x: Tensor, y: Tensor, scope: Scope, span: Span): Tensor => {
    if (form === "residual") {
      let shape: Shape | null = null;
      if (x.shape && y.shape) {
        if (showShape(x.shape) !== showShape(y.shape)) {
          ctx.diags.push(
            diag("GAN3003", `residual block output ${showShape(y.shape)} does not match its input ${showShape(x.shape)}`, span, {
              hint:
                x.shape.kind === "image" && y.shape.kind === "image" && x.shape.c !== y.shape.c
                  ? `the body must end with ${x.shape.c} channels (x + f(x) needs equal shapes)`
                  : "the body must keep the spatial size (x + f(x) needs equal shapes)",
            }),
          );
        } else shape = x.shape;
      }
      return addNode(`${scope.path}/residual_add`, "add", {}, [x, y], shape, span);
    }
    let shape: Shape | null = null;
    if (x.shape && y.shape) {
      if (x.shape.kind !== "image" || y.shape.kind !== "image" || x.shape.h !== y.shape.h || x.shape.w !== y.shape.w) {
        ctx.diags.push(
          diag("GAN3004", `skip connection: the body's output ${showShape(y.shape)} and its input ${showShape(x.shape)} differ in spatial size`, span, {
            hint: "a skip block concatenates x with f(x) on channels, so f must return to the input's H×W (check strides and the input size)",
          }),
        );
      } else shape = { kind: "image", h: x.shape.h, w: x.shape.w, c: x.shape.c + y.shape.c };
    }
    return addNode(`${scope.path}/skip_concat`, "concat", {}, [x, y], shape, span);
  };

  const layer = (l: Layer, x: Tensor, scope: Scope): Tensor => {
    switch (l.kind) {
      case "LayerCall": {
        const out = call(l, x, scope);
        setLabel(l.label, out, scope);
        return out;
      }
      case "Repeat": {
        const n = evaluate(l.count, scope.env, ctx.diags);
        if (n === undefined) return x;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
          ctx.diags.push(diag("GAN2013", `\`repeat\` needs a non-negative integer count, found ${String(typeof n === "object" ? "a name" : n)}`, l.count.span));
          return x;
        }
        // limits checked before expanding: the count itself, then the layers it would add
        if (n > MAX_REPEAT) {
          ctx.diags.push(diag("GAN2014", `\`repeat\` count ${n} is more than the limit of ${MAX_REPEAT}`, l.count.span, { hint: "a network may expand to at most " + MAX_NODES + " layers" }));
          aborted = true;
          return { id: x.id, shape: null };
        }
        const per = minLayers(l.body, ctx.blocks, minMemo);
        if (per > 0 && nodes.length + n * per > MAX_NODES) {
          ctx.diags.push(
            diag("GAN2014", `\`repeat ${n}\` would expand network \`${decl.name.name}\` to more than ${MAX_NODES} layers (at least ${per} per repetition)`, l.count.span, {
              hint: "lower the count",
            }),
          );
          aborted = true;
          return { id: x.id, shape: null };
        }
        for (let i = 0; i < n && !aborted; i++) x = body(l.body, x, scope);
        setLabel(l.label, x, scope);
        return x;
      }
      case "Residual":
      case "Skip": {
        const base = l.kind === "Residual" ? "residual" : "skip";
        const name = l.label?.name ?? ordinalName(scope, base);
        const sub = childScope(scope, name, scope.env);
        sub.labels = new Map(scope.labels);
        const y = body(l.body, x, sub);
        const out = wrap(l.kind === "Residual" ? "residual" : "skip", x, y, sub, l.span);
        setLabel(l.label, out, scope);
        return out;
      }
      case "If": {
        const c = evaluate(l.cond, scope.env, ctx.diags);
        if (c === undefined) return x;
        if (typeof c !== "boolean") {
          ctx.diags.push(diag("GAN2007", "the condition of `if` must be true or false", l.cond.span, { hint: "compare with ==, <, >, ..." }));
          return x;
        }
        const out = c ? body(l.then, x, scope) : l.else ? body(l.else, x, scope) : x;
        setLabel(l.label, out, scope);
        return out;
      }
    }
  };

  const call = (l: LayerCall, x: Tensor, scope: Scope): Tensor => {
    const name = l.callee.name;
    const block = ctx.blocks.get(name);
    if (block) return callBlock(block, l, x, scope);
    const op = OPS[name];
    if (!op) {
      ctx.diags.push(
        diag("GAN2003", `unknown layer \`${name}\``, l.callee.span, {
          hint: didYouMeanHint(name, [...Object.keys(OPS), ...ctx.blocks.keys()]) ?? "declare it with `block`, or see `gancc ops` for the built-in layers",
        }),
      );
      return { id: x.id, shape: null };
    }
    const id = `${scope.path}/${l.label?.name ?? ordinalName(scope, name)}`;
    if (l.label) ordinalName(scope, name);
    const bound = bindArgs({ what: `layer \`${name}\``, params: op.args, variadic: op.variadic }, l.args, l.span, scope.env, ctx.diags, new Set(scope.labels.keys()));
    const attrs: Attrs = Object.create(null);
    const extra: Tensor[] = [];
    for (const [k, v] of bound.values) {
      if (typeof v === "object" && "tensor" in v) continue;
      attrs[k] = isSym(v) ? v.sym : (v as number | boolean | string);
    }
    for (const r of bound.rest.length ? bound.rest : []) {
      const v = r.value as Value;
      if (typeof v === "object" && "tensor" in v) {
        const t = scope.labels.get(v.tensor);
        if (t) extra.push(t);
      }
    }
    if (!bound.ok) return addNode(id, name, attrs, [x, ...extra], null, l.span);
    if (!x.shape || extra.some((t) => !t.shape)) return addNode(id, name, attrs, [x, ...extra], null, l.span);
    if (op.input === "image" && x.shape.kind !== "image") {
      ctx.diags.push(diag("GAN3007", `layer \`${name}\` needs an image, but its input is a vector ${showShape(x.shape)}`, l.span));
      return addNode(id, name, attrs, [x, ...extra], null, l.span);
    }
    const out = op.infer(x.shape, attrs, extra.map((t) => t.shape!));
    if (isShapeError(out)) {
      ctx.diags.push(diag(out.code, out.error, l.span, { hint: out.hint }));
      return addNode(id, name, attrs, [x, ...extra], null, l.span);
    }
    const ps: IrParam[] = (op.params?.(x.shape, attrs) ?? []).map((p) => ({ name: `${id}/${p.name}`, shape: p.shape, init: p.init, trainable: p.trainable }));
    return addNode(id, name, attrs, [x, ...extra], out, l.span, ps);
  };

  const callBlock = (block: BlockDecl, l: LayerCall, x: Tensor, scope: Scope): Tensor => {
    if (scope.depth >= MAX_DEPTH) {
      if (!aborted) {
        ctx.diags.push(
          diag("GAN2014", `block \`${block.name.name}\` nests more than ${MAX_DEPTH} levels deep`, l.span, {
            hint: "a recursive block needs an `if` that stops the recursion",
          }),
        );
      }
      aborted = true;
      return x;
    }
    const sig = paramSignature(`block \`${block.name.name}\``, block.params, rootEnvOf(scope.env), ctx.diags);
    const bound = bindArgs(sig, l.args as Arg[], l.span, scope.env, ctx.diags);
    const benv = new Env(rootEnvOf(scope.env));
    for (const [k, v] of bound.values) benv.set(k, v);
    const name = l.label?.name ?? ordinalName(scope, block.name.name);
    if (l.label) ordinalName(scope, block.name.name);
    const sub = childScope(scope, name, benv);
    sub.labels.set("input", x);
    if (!bound.ok) return { id: x.id, shape: null };
    const y = body(block.body, x, sub);
    const out = block.form ? wrap(block.form, x, y, sub, l.span) : y;
    ctx.onBlockCall?.({ span: l.span, path: sub.path, input: x.shape && shapeArray(x.shape), output: out.shape && shapeArray(out.shape) });
    return out;
  };

  const out = body(decl.body, input, root);
  return { nodes, params, inputShape, output: out.shape };
}

/** Blocks see the spec's parameters (their defining scope), not their caller's locals. */
const ROOTS = new WeakMap<Env, Env>();
export function markRootEnv(e: Env): void {
  ROOTS.set(e, e);
}
function rootEnvOf(e: Env): Env {
  let cur: Env | undefined = e;
  while (cur) {
    if (ROOTS.has(cur)) return cur;
    cur = cur.parent;
  }
  return e;
}

// ---------------------------------------------------------------- accepted sizes

/** A node list prepared for fast spatial evaluation: input indices instead of ids. */
interface SpatialPlan {
  ops: ((s: number) => number | null)[];
  inputs: number[][];
  /** nodes whose inputs must all have the same size (add, concat) */
  same: boolean[];
}

const PLANS = new WeakMap<IrNode[], SpatialPlan>();

function planOf(nodes: IrNode[]): SpatialPlan {
  let p = PLANS.get(nodes);
  if (p) return p;
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  p = { ops: [], inputs: [], same: [] };
  for (const n of nodes) {
    const op = OPS[n.op];
    const rule = op?.spatial;
    p.ops.push(n.op === "input" ? (s) => s : rule ? (s) => rule(s, n.attrs) : (s) => s);
    p.inputs.push(n.inputs.map((i) => index.get(i) ?? -1));
    p.same.push(n.op === "add" || n.op === "concat");
  }
  PLANS.set(nodes, p);
  return p;
}

/** Output H for input H through a node list, or null if some layer rejects it. */
export function spatialThrough(nodes: IrNode[], s: number): number | null {
  const plan = planOf(nodes);
  const sizes = new Float64Array(nodes.length);
  let last: number | null = null;
  for (let k = 0; k < nodes.length; k++) {
    const ins = plan.inputs[k]!;
    let x = s;
    if (ins.length) {
      if (ins[0]! < 0) return null;
      x = sizes[ins[0]!]!;
      if (plan.same[k]) for (let j = 1; j < ins.length; j++) if (ins[j]! < 0 || sizes[ins[j]!] !== x) return null;
    }
    const out = plan.ops[k]!(x);
    if (out === null || out < 1) return null;
    sizes[k] = out;
    last = out;
  }
  return last;
}

export interface SizeSearch {
  accepted: number[];
  preserving: boolean;
}

export const SIZE_SEARCH_LIMIT = 1024;

/**
 * The input sizes (H = W) a network accepts, searched over 1..limit. An image-to-image
 * network that maps some size above 1×1 to itself is taken to be size-preserving, and then
 * only sizes it maps to themselves are accepted (so a generator's output matches its
 * input). A fixed point at 1×1 alone does not count: a discriminator whose stride-2 convs
 * pad like TensorFlow's "SAME" (5×5, pad 2) maps 1×1 to 1×1, and is not a generator.
 */
export function searchSizes(nodes: IrNode[], imageToImage: boolean, limit = SIZE_SEARCH_LIMIT): SizeSearch {
  const valid: number[] = [];
  const same: number[] = [];
  for (let s = 1; s <= limit; s++) {
    const o = spatialThrough(nodes, s);
    if (o === null) continue;
    valid.push(s);
    if (o === s) same.push(s);
  }
  if (imageToImage && same.some((s) => s > 1)) return { accepted: same, preserving: true };
  return { accepted: valid, preserving: false };
}

export function describeSizes(accepted: number[], limit = SIZE_SEARCH_LIMIT): { min: number; step: number; text: string; irregular?: number[] } {
  if (!accepted.length) return { min: 0, step: 0, text: "no input size (up to " + limit + ")" };
  const min = accepted[0]!;
  let step = 0;
  for (const s of accepted) step = gcd(step, s - min);
  if (step === 0) return { min, step: 0, text: `only ${min}×${min}` };
  const expected = Math.floor((limit - min) / step) + 1;
  const regular = expected === accepted.length;
  const text =
    step === 1
      ? `any size ≥ ${min}`
      : min % step === 0
        ? `multiples of ${step}${min > step ? ` from ${min}` : ""}`
        : `${min} + k·${step}`;
  return regular ? { min, step, text } : { min, step, text: `irregular: ${accepted.slice(0, 8).join(", ")}, …`, irregular: accepted.slice(0, 16) };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return Math.abs(a);
}
