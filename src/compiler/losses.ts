// Losses: turns loss expressions into one shared value graph (common subexpressions
// are computed once: `G_AB(A)` used by three terms is one value), checking shapes,
// criteria and targets as it goes.
import type { Expr, LossDecl, Span } from "../dsl/ast.js";
import { type Diagnostic, diag, didYouMeanHint } from "../dsl/diagnostics.js";
import { spatialThrough } from "./elaborate.js";
import type { Attrs, IrLoss, IrNode, IrValue } from "../ir/schema.js";
import { GAN_CRITERIA } from "../ir/enums.js";
import { irSpan } from "./ir.js";
import { type Env, HINTED_DIAGNOSTICS } from "./values.js";

export interface NetSig {
  name: string;
  input: { kind: "image" | "vector"; channels: number };
  output: { kind: "image" | "vector"; channels: number };
  nodes: IrNode[];
  sizesText: string;
}

type LVal =
  | { kind: "const"; value: number }
  | { kind: "target"; which: "real" | "fake" }
  | { kind: "tensor"; v: IrValue };

/** Loss functions: name → arity and what they do. Adding one = one entry + runtime + test. */
export const LOSS_FUNCTIONS: Record<string, { args: number | "2+"; doc: string }> = {
  l1: { args: 2, doc: "mean absolute error between two tensors of the same shape" },
  mse: { args: 2, doc: "mean squared error between two tensors of the same shape" },
  l2: { args: 2, doc: "same as mse" },
  bce: { args: 2, doc: "binary cross-entropy with logits; the second argument is a tensor of targets, a constant label in [0, 1] (a classifier's `bce(C(B), 1)`), or `real` (1) / `fake` (0)" },
  lsgan: { args: 2, doc: "least-squares GAN criterion: mse against 1 (`real`) or 0 (`fake`) over the whole output" },
  vanilla: { args: 2, doc: "original GAN criterion: bce with logits against 1 (`real`) or 0 (`fake`)" },
  wgan: { args: 2, doc: "Wasserstein criterion: −mean(x) for `real`, +mean(x) for `fake`" },
  hinge: { args: 2, doc: "hinge criterion for a discriminator: mean(relu(1 − x)) for `real`, mean(relu(1 + x)) for `fake`" },
  mean: { args: 1, doc: "mean of all elements" },
  detach: { args: 1, doc: "the value without gradient (stops backpropagation)" },
  pool: { args: 1, doc: "an image from the history pool of generated images (implies detach)" },
  concat: { args: "2+", doc: "concatenation of images along channels (e.g. a conditional discriminator's input)" },
};
/** The GAN criteria (declared once, in src/ir/enums.ts). */
export const CRITERIA: ReadonlySet<string> = new Set<string>(GAN_CRITERIA);

export interface LossContext {
  env: Env;
  nets: Map<string, NetSig>;
  /** nets whose declaration had errors: uses of them report nothing more */
  broken: Set<string>;
  /** image nets that do not accept the training size (GAN3008 says so once) */
  sizeRejected?: Set<string>;
  domains: Map<string, number>;
  size: number;
  diags: Diagnostic[];
  /** the spec has no `data` section: unknown names are not reported (GAN2019 says it once) */
  noData?: boolean;
}

export class LossGraph {
  readonly values: IrValue[] = [];
  private readonly byKey = new Map<string, IrValue>();
  /** nets applied directly under a GAN criterion */
  readonly critics = new Map<string, Span>();

  add(op: string, inputs: IrValue[], attrs: Attrs, shape: number[], span: Span, grads?: string[]): IrValue {
    const key = JSON.stringify([op, inputs.map((i) => i.id), attrs]);
    const hit = this.byKey.get(key);
    if (hit) return hit;
    const g = grads ?? [...new Set(inputs.flatMap((i) => i.grads))].sort();
    const v: IrValue = { id: `v${this.values.length}`, op, inputs: inputs.map((i) => i.id), attrs, shape, grads: g, span: irSpan(span) };
    this.values.push(v);
    this.byKey.set(key, v);
    return v;
  }
}

const showShape = (s: number[]) => (s.length === 0 ? "a scalar" : s.length === 3 ? `${s[0]}×${s[1]}×${s[2]}` : `[${s.join(", ")}]`);

export function buildLoss(decl: LossDecl, g: LossGraph, ctx: LossContext): IrLoss {
  const terms: IrLoss["terms"] = [];
  const seen = new Map<string, Span>();
  for (const t of decl.terms) {
    if (seen.has(t.name.name)) {
      ctx.diags.push(diag("GAN2002", `loss \`${decl.name.name}\` already has a term \`${t.name.name}\``, t.name.span, { related: [{ message: "first defined here", span: seen.get(t.name.name)! }] }));
      continue;
    }
    seen.set(t.name.name, t.name.span);
    const v = lossExpr(t.value, g, ctx);
    if (!v) continue;
    let tv: IrValue;
    if (v.kind === "const") {
      ctx.diags.push(diag("GAN4014", `loss term \`${t.name.name}\` is a constant; it gives no gradient`, t.value.span, { hint: "a loss term must depend on a network output" }));
      continue;
    } else if (v.kind === "target") {
      ctx.diags.push(diag("GAN4014", `\`${v.which}\` is a target, not a loss`, t.value.span, { hint: `use it as the second argument of a criterion: lsgan(D(x), ${v.which})` }));
      continue;
    } else tv = v.v;
    if (tv.shape.length !== 0) {
      ctx.diags.push(
        diag("GAN4014", `loss term \`${t.name.name}\` is ${showShape(tv.shape)}, not a scalar`, t.value.span, {
          hint: "reduce it with a criterion (l1, mse, lsgan, …) or mean(…)",
        }),
      );
      continue;
    }
    terms.push({ name: t.name.name, value: tv.id, span: irSpan(t.span) });
  }
  return { name: decl.name.name, terms, span: irSpan(decl.span) };
}

function lossExpr(e: Expr, g: LossGraph, ctx: LossContext): LVal | undefined {
  switch (e.kind) {
    case "Number":
      return { kind: "const", value: e.value };
    case "Bool":
    case "String":
    case "Type":
      ctx.diags.push(diag("GAN2013", "this is not a value a loss can use", e.span));
      return undefined;
    case "Name": {
      if (e.name === "real" || e.name === "fake") return { kind: "target", which: e.name };
      const c = ctx.domains.get(e.name);
      if (c !== undefined) {
        return { kind: "tensor", v: g.add("domain", [], { domain: e.name }, [ctx.size, ctx.size, c], e.span, []) };
      }
      const p = ctx.env.get(e.name);
      if (typeof p === "number") return { kind: "const", value: p };
      if (p !== undefined) {
        ctx.diags.push(diag("GAN2007", `parameter \`${e.name}\` is not a number`, e.span));
        return undefined;
      }
      if (ctx.nets.has(e.name)) {
        ctx.diags.push(diag("GAN2013", `\`${e.name}\` is a network; apply it to an image`, e.span, { hint: `write \`${e.name}(x)\`` }));
        return undefined;
      }
      if (ctx.noData) return undefined;
      ctx.diags.push(
        diag("GAN2001", `unknown name \`${e.name}\` in a loss`, e.span, {
          hint: (ctx.diags.length < HINTED_DIAGNOSTICS ? didYouMeanHint(e.name, [...ctx.domains.keys(), ...ctx.nets.keys(), ...ctx.env.names(), "real", "fake"]) : undefined) ??
            `a loss can use the data domains (${[...ctx.domains.keys()].join(", ") || "none declared"}), nets, numeric params, \`real\` and \`fake\``,
        }),
      );
      return undefined;
    }
    case "Unary": {
      if (e.op === "not") {
        ctx.diags.push(diag("GAN2013", "`not` has no meaning in a loss", e.span));
        return undefined;
      }
      const v = lossExpr(e.operand, g, ctx);
      if (!v) return undefined;
      if (v.kind === "const") return { kind: "const", value: -v.value };
      if (v.kind === "target") return badTarget(e.operand.span, ctx);
      return { kind: "tensor", v: g.add("scale", [v.v], { k: -1 }, v.v.shape, e.span) };
    }
    case "Binary":
      return binary(e, g, ctx);
    case "Call":
      return call(e, g, ctx);
  }
}

function outOfRange(span: Span, ctx: LossContext): undefined {
  ctx.diags.push(diag("GAN2013", "this weight is too large (beyond the float range)", span, { hint: "numbers must be below about 1.8e308" }));
  return undefined;
}

function badTarget(span: Span, ctx: LossContext): undefined {
  ctx.diags.push(diag("GAN4011", "`real` and `fake` can only be the target of a criterion", span, { hint: "e.g. lsgan(D_A(x), real)" }));
  return undefined;
}

function binary(e: Expr & { kind: "Binary" }, g: LossGraph, ctx: LossContext): LVal | undefined {
  const l = lossExpr(e.left, g, ctx);
  const r = lossExpr(e.right, g, ctx);
  if (!l || !r) return undefined;
  if (l.kind === "target") return badTarget(e.left.span, ctx);
  if (r.kind === "target") return badTarget(e.right.span, ctx);
  const op = e.op;
  if (!["+", "-", "*", "/"].includes(op)) {
    ctx.diags.push(diag("GAN2013", `\`${op}\` has no meaning in a loss`, e.span));
    return undefined;
  }
  if (l.kind === "const" && r.kind === "const") {
    if (op === "/" && r.value === 0) {
      ctx.diags.push(diag("GAN2015", "division by zero", e.span));
      return undefined;
    }
    const value = op === "+" ? l.value + r.value : op === "-" ? l.value - r.value : op === "*" ? l.value * r.value : l.value / r.value;
    if (!Number.isFinite(value)) return outOfRange(e.span, ctx);
    return { kind: "const", value };
  }
  if ((op === "*" || op === "/") && (l.kind === "const" || r.kind === "const")) {
    const c = l.kind === "const" ? l : (r as { kind: "const"; value: number });
    const t = l.kind === "tensor" ? l.v : (r as { kind: "tensor"; v: IrValue }).v;
    if (op === "/" && r.kind !== "const") {
      ctx.diags.push(diag("GAN2013", "dividing a number by a loss is not supported", e.span));
      return undefined;
    }
    if (op === "/" && c.value === 0) {
      ctx.diags.push(diag("GAN2015", "division by zero", e.span));
      return undefined;
    }
    const k = op === "*" ? c.value : 1 / c.value;
    if (!Number.isFinite(k)) return outOfRange(e.span, ctx);
    return { kind: "tensor", v: g.add("scale", [t], { k }, t.shape, e.span) };
  }
  const tl = l.kind === "tensor" ? l.v : g.add("const", [], { value: l.value }, [], e.left.span, []);
  const tr = r.kind === "tensor" ? r.v : g.add("const", [], { value: r.value }, [], e.right.span, []);
  if (tl.shape.length !== 0 || tr.shape.length !== 0) {
    const which = tl.shape.length ? e.left : e.right;
    const s = tl.shape.length ? tl.shape : tr.shape;
    ctx.diags.push(
      diag("GAN4001", `\`${op}\` in a loss combines scalars, but this is ${showShape(s)}`, which.span, {
        hint: "reduce the tensor first with l1, mse, a criterion or mean(…)",
      }),
    );
    return undefined;
  }
  const name = { "+": "add", "-": "sub", "*": "mul", "/": "div" }[op as "+" | "-" | "*" | "/"];
  return { kind: "tensor", v: g.add(name, [tl, tr], {}, [], e.span) };
}

function call(e: Expr & { kind: "Call" }, g: LossGraph, ctx: LossContext): LVal | undefined {
  const fname = e.callee.name;
  if (ctx.broken.has(fname)) return undefined;
  const net = ctx.nets.get(fname);
  for (const a of e.args) {
    if (a.key) {
      ctx.diags.push(diag("GAN2004", `\`${fname}\` takes no keyword arguments in a loss`, a.key.span));
      return undefined;
    }
  }
  const args = e.args.map((a) => lossExpr(a.value, g, ctx));
  if (args.some((a) => a === undefined)) return undefined;
  const vals = args as LVal[];
  if (net) return applyNet(net, e, vals, g, ctx);
  const f = LOSS_FUNCTIONS[fname];
  if (!f) {
    ctx.diags.push(
      diag("GAN2011", `unknown function \`${fname}\` in a loss`, e.callee.span, {
        hint: didYouMeanHint(fname, [...Object.keys(LOSS_FUNCTIONS), ...ctx.nets.keys()]) ?? `losses can call nets and ${Object.keys(LOSS_FUNCTIONS).join(", ")}`,
      }),
    );
    return undefined;
  }
  const arity = f.args;
  if ((arity === "2+" && vals.length < 2) || (typeof arity === "number" && vals.length !== arity)) {
    const want = arity === "2+" ? "at least 2 arguments" : `${arity} argument${arity === 1 ? "" : "s"}`;
    ctx.diags.push(diag(vals.length < (arity === "2+" ? 2 : arity) ? "GAN2005" : "GAN2008", `\`${fname}\` takes ${want}, got ${vals.length}`, e.span));
    return undefined;
  }
  const tensorArg = (i: number): IrValue | undefined => {
    const v = vals[i]!;
    if (v.kind === "tensor") return v.v;
    if (v.kind === "target") return badTarget(e.args[i]!.value.span, ctx);
    ctx.diags.push(diag("GAN2007", `argument ${i + 1} of \`${fname}\` must be a tensor, found the number ${v.value}`, e.args[i]!.value.span));
    return undefined;
  };

  if (CRITERIA.has(fname)) {
    const x = tensorArg(0);
    const t = vals[1]!;
    if (!x) return undefined;
    if (t.kind !== "target") {
      ctx.diags.push(diag("GAN4011", `the target of \`${fname}\` must be \`real\` or \`fake\``, e.args[1]!.value.span));
      return undefined;
    }
    if (x.op !== "apply") {
      ctx.diags.push(
        diag("GAN4002", `\`${fname}\` must be applied to a discriminator's output`, e.args[0]!.value.span, {
          hint: `apply a discriminator first, e.g. ${fname}(D_B(${e.args[0]!.value.kind === "Call" ? "…" : "x"}), ${t.which})`,
        }),
      );
      return undefined;
    }
    const netName = x.attrs.net as string;
    const sig = ctx.nets.get(netName)!;
    if (sig.output.kind === "image" && sig.output.channels > 1) {
      ctx.diags.push(
        diag("GAN4002", `\`${fname}\` is applied to \`${netName}\`, whose output is an image with ${sig.output.channels} channels: that is a generator, not a discriminator`, e.args[0]!.value.span, {
          hint: `a GAN criterion judges a discriminator's score, e.g. ${fname}(D(${netName}(x)), ${t.which})`,
        }),
      );
      return undefined;
    }
    if (!g.critics.has(netName)) g.critics.set(netName, e.args[0]!.value.span);
    return { kind: "tensor", v: g.add(fname, [x], { target: t.which }, [], e.span) };
  }

  switch (fname) {
    case "l1":
    case "mse":
    case "l2":
    case "bce": {
      const a = tensorArg(0);
      if (!a) return undefined;
      if (fname === "bce" && vals[1]!.kind === "target") {
        return { kind: "tensor", v: g.add("bce", [a], { target: (vals[1] as { which: string }).which }, [], e.span) };
      }
      const label = vals[1]!;
      if (fname === "bce" && label.kind === "const") return constantLabel(a, label.value, e, g, ctx);
      const b = tensorArg(1);
      if (!b) return undefined;
      if (a.shape.join() !== b.shape.join()) {
        ctx.diags.push(
          diag("GAN4001", `\`${fname}\` compares ${showShape(a.shape)} with ${showShape(b.shape)}`, e.span, {
            hint: "both arguments must have the same shape; check the networks' output sizes and channels",
          }),
        );
        return undefined;
      }
      return { kind: "tensor", v: g.add(fname === "l2" ? "mse" : fname, [a, b], {}, [], e.span) };
    }
    case "mean": {
      const a = tensorArg(0);
      return a && { kind: "tensor", v: g.add("mean", [a], {}, [], e.span) };
    }
    case "detach": {
      const a = tensorArg(0);
      return a && { kind: "tensor", v: g.add("detach", [a], {}, a.shape, e.span, []) };
    }
    case "pool": {
      const a = tensorArg(0);
      if (!a) return undefined;
      if (a.op !== "apply" || a.shape.length !== 3) {
        ctx.diags.push(
          diag("GAN4012", "`pool` keeps a history of generated images, so its argument must be a network's image output", e.args[0]!.value.span, {
            hint: "e.g. pool(G_AB(A))",
          }),
        );
        return undefined;
      }
      return { kind: "tensor", v: g.add("pool", [a], {}, a.shape, e.span, []) };
    }
    case "concat": {
      const ts: IrValue[] = [];
      for (let i = 0; i < vals.length; i++) {
        const t = tensorArg(i);
        if (!t) return undefined;
        ts.push(t);
      }
      const [h, w] = ts[0]!.shape;
      for (let i = 0; i < ts.length; i++) {
        const s = ts[i]!.shape;
        if (s.length !== 3 || s[0] !== h || s[1] !== w) {
          ctx.diags.push(diag("GAN3004", `concat needs images of one size; argument ${i + 1} is ${showShape(s)}, argument 1 is ${showShape(ts[0]!.shape)}`, e.args[i]!.value.span));
          return undefined;
        }
      }
      const c = ts.reduce((n, t) => n + t.shape[2]!, 0);
      return { kind: "tensor", v: g.add("concat", ts, {}, [h!, w!, c], e.span) };
    }
  }
  throw new Error(`internal: loss function ${fname} has no case`);
}

/**
 * `bce(x, 0.9)`: one label for every element of x (a classifier's class, or a smoothed GAN
 * label). Lowered as `bce(x, const)`: the scalar broadcasts over x in every engine, so the
 * IR needs no new op or attribute; only a label in [0, 1] is a probability.
 */
function constantLabel(x: IrValue, label: number, e: Expr & { kind: "Call" }, g: LossGraph, ctx: LossContext): LVal | undefined {
  if (!(label >= 0 && label <= 1)) {
    ctx.diags.push(
      diag("GAN4017", `the label of \`bce\` is ${label}, but a label is a probability in [0, 1]`, e.args[1]!.value.span, {
        hint: "use 1 for the positive class and 0 for the negative one (or e.g. 0.9 for a smoothed label)",
      }),
    );
    return undefined;
  }
  const t = g.add("const", [], { value: label }, [], e.args[1]!.value.span, []);
  return { kind: "tensor", v: g.add("bce", [x, t], {}, [], e.span) };
}

function applyNet(net: NetSig, e: Expr & { kind: "Call" }, vals: LVal[], g: LossGraph, ctx: LossContext): LVal | undefined {
  if (vals.length !== 1) {
    ctx.diags.push(diag("GAN2008", `net \`${net.name}\` takes one input, got ${vals.length}`, e.span, { hint: vals.length > 1 ? "combine inputs with concat(a, b)" : undefined }));
    return undefined;
  }
  const v = vals[0]!;
  if (v.kind !== "tensor") {
    ctx.diags.push(diag("GAN3010", `net \`${net.name}\` takes an image, not ${v.kind === "const" ? "a number" : `\`${v.which}\``}`, e.args[0]!.value.span));
    return undefined;
  }
  const x = v.v;
  const inKind = x.shape.length === 3 ? "image" : "vector";
  const inC = x.shape[x.shape.length - 1];
  if (inKind !== net.input.kind || inC !== net.input.channels) {
    ctx.diags.push(
      diag("GAN3001", `net \`${net.name}\` takes ${net.input.kind}[${net.input.channels}], but this input has ${inC} channel${inC === 1 ? "" : "s"} (${showShape(x.shape)})`, e.args[0]!.value.span, {
        hint: net.input.channels === 2 * (inC ?? 0) ? "a conditional discriminator takes concat(input, output)" : undefined,
      }),
    );
    return undefined;
  }
  let shape: number[];
  if (inKind === "image") {
    const s = x.shape[0]!;
    if (s === ctx.size && ctx.sizeRejected?.has(net.name)) return undefined;
    const out = spatialThrough(net.nodes, s);
    if (out === null) {
      ctx.diags.push(
        diag("GAN3008", `net \`${net.name}\` does not accept a ${s}×${s} input`, e.span, {
          hint: `\`${net.name}\` accepts ${net.sizesText}`,
        }),
      );
      return undefined;
    }
    shape = net.output.kind === "image" ? [out, out, net.output.channels] : [net.output.channels];
  } else shape = net.output.kind === "image" ? [1, 1, net.output.channels] : [net.output.channels];
  return { kind: "tensor", v: g.add("apply", [x], { net: net.name }, shape, e.span, [...new Set([...x.grads, net.name])].sort()) };
}

// looked up by user-written names: no Object.prototype members (`toString`, `__proto__`, …)
Object.setPrototypeOf(LOSS_FUNCTIONS, null);
