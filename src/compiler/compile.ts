// The compiler driver: source → AST (src/dsl) → resolve → elaborate/check → IR.
// Every stage reports diagnostics; user errors never throw.
import { createHash } from "node:crypto";
import type { Arg, BlockDecl, DataDecl, Decl, Expr, Ident, Layer, LossDecl, NetInstance, NetworkDecl, Span, Spec, StepDecl, TrainDecl } from "../dsl/ast.js";
import { type Diagnostic, SourceFile, diag, didYouMeanHint, hasErrors, sortDiagnostics, syntheticSpan } from "../dsl/diagnostics.js";
import { parse } from "../dsl/index.js";
import { runChecks } from "./checks/index.js";
import { accepts } from "./checks/trainingSize.js";
import { describeSizes, elaborateNetwork, markRootEnv, paramSignature, searchSizes, typeShape } from "./elaborate.js";
import { IR_VERSION, type Ir, type IrData, type IrInit, type IrLoss, type IrNet, type IrOptimizer, type IrSchedule, type IrStep, type IrTrain, type Scalar, irSpan } from "./ir.js";
import { type LossContext, LossGraph, type NetSig, buildLoss } from "./losses.js";
import { OPS, channels } from "./ops.js";
import { DATA_SETTINGS, INITS, OPTIMIZERS, SCHEDULES, TRAIN_SETTINGS } from "./tables.js";
import { type ArgSpec, Env, type Value, bindArgs, coerce, evaluate, evaluateArg, isSym } from "./values.js";
import { validateIr } from "./schema.js";

export const GANCC_VERSION = "0.1.0";
export const MAX_DIAGNOSTICS = 100;

export interface CompileOptions {
  /** `--set name=value` overrides, as raw strings or values */
  set?: Record<string, string | number | boolean>;
  /** the spatial size to check and infer shapes at (default: the data section's crop) */
  size?: number;
}

export interface CompileResult {
  ir?: Ir;
  /** per-stage products, for tools (summary, bindings) */
  spec?: Spec;
  diagnostics: Diagnostic[];
  source: SourceFile;
}

/** Parses a `--set` value: numbers, booleans, and anything else as a string. */
export function parseSetValue(raw: string | number | boolean): Scalar {
  if (typeof raw !== "string") return raw;
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim())) return Number(raw);
  return raw;
}

export function compileSource(text: string, file: string, opts: CompileOptions = {}): CompileResult {
  const parsed = parse(text, file);
  const source = parsed.source;
  const diags: Diagnostic[] = [...parsed.diagnostics];
  if (!parsed.spec || hasErrors(diags)) return finish({ diagnostics: diags, source, spec: parsed.spec });
  const spec = parsed.spec;
  const ir = lowerSpec(spec, text, file, opts, diags);
  return finish({ ir: hasErrors(diags) ? undefined : ir, diagnostics: diags, source, spec });
}

function finish(r: CompileResult): CompileResult {
  const seen = new Set<string>();
  const unique = sortDiagnostics(r.diagnostics).filter((d) => {
    const k = `${d.code}|${d.span.file}|${d.span.start}|${d.span.end}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  r.diagnostics = unique.slice(0, MAX_DIAGNOSTICS);
  return r;
}

interface Declarations {
  params: Map<string, { name: Ident; value: Expr }>;
  blocks: Map<string, BlockDecl>;
  networks: Map<string, NetworkDecl>;
  nets: NetInstance[];
  losses: Map<string, LossDecl>;
  data?: DataDecl;
  train?: TrainDecl;
  init?: Expr;
}

/** Collects top-level declarations, reporting duplicates. */
function collect(spec: Spec, diags: Diagnostic[]): Declarations {
  const d: Declarations = { params: new Map(), blocks: new Map(), networks: new Map(), nets: [], losses: new Map() };
  const names = new Map<string, Span>();
  const claim = (id: Ident, what: string) => {
    const prev = names.get(id.name);
    if (prev) {
      diags.push(diag("GAN2002", `\`${id.name}\` is already declared`, id.span, { related: [{ message: "first declared here", span: prev }], hint: `rename this ${what}` }));
      return false;
    }
    names.set(id.name, id.span);
    return true;
  };
  const single = (decl: Decl, what: string, prev: unknown) => {
    if (prev) diags.push(diag("GAN2002", `a spec has one \`${what}\` section`, decl.span, { hint: `merge the two \`${what}\` sections` }));
  };
  for (const decl of spec.decls) {
    switch (decl.kind) {
      case "ParamDecl":
        if (claim(decl.name, "parameter")) d.params.set(decl.name.name, { name: decl.name, value: decl.value });
        break;
      case "BlockDecl":
        if (claim(decl.name, "block")) d.blocks.set(decl.name.name, decl);
        break;
      case "NetworkDecl":
        if (claim(decl.name, "network")) d.networks.set(decl.name.name, decl);
        break;
      case "NetsDecl":
        for (const n of decl.nets) if (claim(n.name, "net")) d.nets.push(n);
        break;
      case "LossDecl":
        if (claim(decl.name, "loss")) d.losses.set(decl.name.name, decl);
        break;
      case "DataDecl":
        single(decl, "data", d.data);
        d.data ??= decl;
        break;
      case "TrainDecl":
        single(decl, "train", d.train);
        d.train ??= decl;
        break;
      case "InitDecl":
        single(decl, "init", d.init);
        d.init ??= decl.value;
        break;
    }
  }
  return d;
}

/** Evaluates spec parameters in order, applying `--set` overrides. */
function specParams(d: Declarations, opts: CompileOptions, diags: Diagnostic[], file: string) {
  const env = new Env();
  markRootEnv(env);
  const values: Record<string, Scalar> = {};
  const overrides: Record<string, Scalar> = {};
  const set = opts.set ?? {};
  const cli = syntheticSpan("<command line>");
  for (const name of Object.keys(set)) {
    if (!d.params.has(name)) {
      diags.push(
        diag("GAN2016", `\`--set ${name}\`: the spec declares no parameter \`${name}\``, cli, {
          hint: didYouMeanHint(name, d.params.keys()) ?? `declared parameters: ${[...d.params.keys()].join(", ") || "none"}`,
        }),
      );
    }
  }
  for (const [name, p] of d.params) {
    let v = evaluate(p.value, env, diags);
    if (name in set) {
      const o = parseSetValue(set[name]!);
      if (v !== undefined && typeof v !== typeof o) {
        diags.push(diag("GAN6002", `\`--set ${name}=${String(set[name])}\`: \`${name}\` is ${typeof v === "number" ? "a number" : typeof v === "boolean" ? "a boolean" : "a string"} (declared at ${file}:${p.name.span.line})`, cli));
      } else {
        v = o;
        overrides[name] = o;
      }
    }
    if (v === undefined || typeof v === "object") {
      if (v !== undefined) diags.push(diag("GAN2013", `parameter \`${name}\` must be a number, boolean or string`, p.value.span));
      env.poison(name);
      continue;
    }
    env.set(name, v);
    values[name] = v;
  }
  return { env, values, overrides };
}

function lowerData(d: DataDecl | undefined, env: Env, diags: Diagnostic[]): { data: IrData; cropSpan?: Span; domainSpans: Map<string, Span> } {
  const vals = new Map<string, Value>();
  const spans = new Map<string, Span>();
  const domains: IrData["domains"] = [];
  const domainSpans = new Map<string, Span>();
  for (const item of d?.items ?? []) {
    if (item.kind === "DomainDecl") {
      if (domainSpans.has(item.name.name)) {
        diags.push(diag("GAN2002", `domain \`${item.name.name}\` is declared twice`, item.name.span));
        continue;
      }
      const s = typeShape(item.type, env, 1, diags);
      if (!s) continue;
      if (s.kind !== "image") {
        diags.push(diag("GAN2013", "a data domain is an `image[C]`", item.type.span));
        continue;
      }
      domains.push({ name: item.name.name, channels: channels(s) });
      domainSpans.set(item.name.name, item.name.span);
      continue;
    }
    const spec = DATA_SETTINGS[item.key.name];
    if (!spec) {
      diags.push(diag("GAN2012", `unknown data setting \`${item.key.name}\``, item.key.span, { hint: didYouMeanHint(item.key.name, Object.keys(DATA_SETTINGS)) ?? `data settings: ${Object.keys(DATA_SETTINGS).join(", ")}` }));
      continue;
    }
    if (vals.has(spec.name)) {
      diags.push(diag("GAN2006", `data setting \`${spec.name}\` is given twice`, item.key.span));
      continue;
    }
    const v = evaluateArg(spec, item.value, env, diags, `data setting \`${spec.name}\``);
    if (v !== undefined) {
      vals.set(spec.name, v);
      spans.set(spec.name, item.value.span);
    }
  }
  const get = <T>(k: string): T => {
    const v = vals.get(k) ?? DATA_SETTINGS[k]!.default;
    return (isSym(v) ? v.sym : v) as T;
  };
  const crop = get<number>("crop");
  const data: IrData = {
    layout: get("layout"),
    domains,
    preprocess: get("preprocess"),
    load: (vals.get("load") as number | undefined) ?? crop,
    crop,
    flip: get("flip"),
    direction: get("direction"),
  };
  if (data.load < data.crop && (data.preprocess === "resize_and_crop" || data.preprocess === "scale_width_and_crop")) {
    diags.push(diag("GAN2013", `load size ${data.load} is smaller than the crop size ${data.crop}`, spans.get("load") ?? spans.get("crop") ?? d!.span, { hint: "images are resized to `load`, then cropped to `crop`; use load ≥ crop" }));
  }
  return { data, cropSpan: spans.get("crop"), domainSpans };
}

function bindCall(table: Record<string, { args: ArgSpec[] }>, kind: string, e: Expr, env: Env, diags: Diagnostic[], code: "GAN2021" | "GAN2022" | "GAN4016"): { name: string; values: Map<string, Value> } | undefined {
  let name: string;
  let args: readonly Arg[] = [];
  let nameSpan: Span;
  if (e.kind === "Name") {
    name = e.name;
    nameSpan = e.span;
  } else if (e.kind === "Call") {
    name = e.callee.name;
    args = e.args;
    nameSpan = e.callee.span;
  } else {
    diags.push(diag(code, `expected ${kind} like ${Object.keys(table)[0]}(…)`, e.span));
    return undefined;
  }
  const entry = table[name];
  if (!entry) {
    diags.push(diag(code, `unknown ${kind} \`${name}\``, nameSpan, { hint: didYouMeanHint(name, Object.keys(table)) ?? `${kind}s: ${Object.keys(table).join(", ")}` }));
    return undefined;
  }
  const b = bindArgs({ what: `${kind} \`${name}\``, params: entry.args }, args, e.span, env, diags);
  return b.ok ? { name, values: b.values } : undefined;
}

function plain(values: Map<string, Value>): Record<string, number> {
  const o: Record<string, number> = {};
  for (const [k, v] of values) if (typeof v === "number") o[k] = v;
  return o;
}

function lowerTrain(
  t: TrainDecl | undefined,
  env: Env,
  losses: Map<string, IrLoss>,
  netNames: Set<string>,
  broken: Set<string>,
  diags: Diagnostic[],
): { train: IrTrain; steps: StepDecl[]; settingSpans: Map<string, Span>; nCritic: number } {
  const vals = new Map<string, Value>();
  const settingSpans = new Map<string, Span>();
  let schedule: IrSchedule = { kind: "constant" };
  let pool = { size: 0, swap: 0.5 };
  const steps: IrStep[] = [];
  const stepDecls: StepDecl[] = [];
  for (const item of t?.items ?? []) {
    if (item.kind === "StepDecl") {
      const s = lowerStep(item, env, losses, netNames, broken, diags);
      if (s) {
        steps.push(s);
        stepDecls.push(item);
      }
      continue;
    }
    const key = item.key.name;
    const spec = TRAIN_SETTINGS[key];
    if (!spec) {
      diags.push(diag("GAN2012", `unknown train setting \`${key}\``, item.key.span, { hint: didYouMeanHint(key, Object.keys(TRAIN_SETTINGS)) ?? `train settings: ${Object.keys(TRAIN_SETTINGS).join(", ")}` }));
      continue;
    }
    if (settingSpans.has(key)) {
      diags.push(diag("GAN2006", `train setting \`${key}\` is given twice`, item.key.span));
      continue;
    }
    settingSpans.set(key, item.span);
    if (key === "schedule") {
      const b = bindCall(SCHEDULES, "schedule", item.value, env, diags, "GAN4016");
      if (b) schedule = { kind: b.name as IrSchedule["kind"], ...plain(b.values) };
      continue;
    }
    if (key === "pool") {
      if (item.value.kind === "Call" && item.value.callee.name === "pool") {
        const b = bindArgs(
          { what: "`pool`", params: [{ name: "size", type: "int", min: 0 }, { name: "swap", type: "number", min: 0, default: 0.5 }] },
          item.value.args,
          item.value.span,
          env,
          diags,
        );
        if (b.ok) pool = { size: b.values.get("size") as number, swap: b.values.get("swap") as number };
      } else {
        const v = evaluateArg({ name: "pool", type: "int", min: 0 }, item.value, env, diags, "train setting `pool`");
        if (typeof v === "number") pool = { size: v, swap: 0.5 };
      }
      continue;
    }
    const v = evaluateArg(spec, item.value, env, diags, `train setting \`${key}\``);
    if (v !== undefined) vals.set(key, v);
  }
  const num = (k: string) => (vals.get(k) ?? TRAIN_SETTINGS[k]!.default) as number;
  const epochs = num("epochs");
  if (schedule.kind === "linear_decay" && (schedule.after ?? 0) >= epochs) {
    diags.push(diag("GAN4016", `linear_decay(after: ${schedule.after}) starts decaying after the last epoch (${epochs})`, settingSpans.get("schedule")!, { hint: "`after` must be smaller than `epochs`" }));
  }
  const train: IrTrain = { epochs, batch: num("batch"), seed: num("seed"), schedule, pool, steps };
  return { train, steps: stepDecls, settingSpans, nCritic: num("n_critic") };
}

function lowerStep(s: StepDecl, env: Env, losses: Map<string, IrLoss>, netNames: Set<string>, broken: Set<string>, diags: Diagnostic[]): IrStep | undefined {
  let ok = true;
  if (!losses.has(s.loss.name)) {
    diags.push(diag("GAN4005", `step uses an unknown loss \`${s.loss.name}\``, s.loss.span, { hint: didYouMeanHint(s.loss.name, losses.keys()) ?? `losses: ${[...losses.keys()].join(", ") || "none declared"}` }));
    ok = false;
  }
  const updates: string[] = [];
  for (const u of s.updates) {
    if (broken.has(u.name)) ok = false;
    else if (!netNames.has(u.name)) {
      diags.push(diag("GAN2010", `step updates an unknown net \`${u.name}\``, u.span, { hint: didYouMeanHint(u.name, netNames) ?? `nets: ${[...netNames].join(", ")}` }));
      ok = false;
    } else if (updates.includes(u.name)) {
      diags.push(diag("GAN2006", `\`${u.name}\` is listed twice`, u.span));
    } else updates.push(u.name);
  }
  const opt = bindCall(OPTIMIZERS, "optimizer", s.optimizer, env, diags, "GAN2022");
  let repeat = 1;
  if (s.repeat) {
    const v = evaluate(s.repeat, env, diags);
    const c = v === undefined ? undefined : coerce(v, { name: "repeat", type: "int", min: 1 }, "`step`", s.repeat.span, diags);
    if (c === undefined) ok = false;
    else repeat = c as number;
  }
  let clip: IrStep["clip"];
  if (s.clip) {
    const b = bindArgs({ what: "`clip`", params: [{ name: "min", type: "number" }, { name: "max", type: "number" }] }, s.clip, s.clipSpan ?? s.span, env, diags);
    if (!b.ok) ok = false;
    else {
      const [min, max] = [b.values.get("min") as number, b.values.get("max") as number];
      if (min >= max) {
        diags.push(diag("GAN2013", `clip(${min}, ${max}): the lower bound must be below the upper bound`, s.clipSpan ?? s.span));
        ok = false;
      } else clip = { min, max };
    }
  }
  if (!opt || !ok) return undefined;
  const optimizer = { kind: opt.name, ...plain(opt.values) } as IrOptimizer;
  const step: IrStep = { loss: s.loss.name, updates, optimizer, repeat, span: irSpan(s.span) };
  if (clip) step.clip = clip;
  return step;
}

function initOf(e: Expr | undefined, env: Env, diags: Diagnostic[]): IrInit {
  const dflt: IrInit = { kind: "normal", mean: 0, std: 0.02 };
  if (!e) return dflt;
  const b = bindCall(INITS, "initialiser", e, env, diags, "GAN2021");
  return b ? ({ kind: b.name, ...plain(b.values) } as IrInit) : dflt;
}

export function lowerSpec(spec: Spec, text: string, file: string, opts: CompileOptions, diags: Diagnostic[]): Ir | undefined {
  const d = collect(spec, diags);
  const { env, values, overrides } = specParams(d, opts, diags, file);
  const { data, cropSpan, domainSpans } = lowerData(d.data, env, diags);
  const size = opts.size ?? data.crop;
  const defaultInit = initOf(d.init, env, diags);

  // nets
  const nets: IrNet[] = [];
  const sigs = new Map<string, NetSig>();
  const instanceSpans = new Map<string, Span>();
  const sizeCache = new Map<string, ReturnType<typeof describeSizes>>();
  const broken = new Set<string>();
  const sizeErrors = new Map<string, Diagnostic>();
  for (const inst of d.nets) {
    instanceSpans.set(inst.name.name, inst.name.span);
    const decl = d.networks.get(inst.network.name);
    const errorsBefore = diags.filter((x) => x.severity === "error").length;
    const failed = () => {
      broken.add(inst.name.name);
    };
    if (!decl) {
      failed();
      diags.push(
        diag("GAN2009", `unknown network \`${inst.network.name}\``, inst.network.span, {
          hint: didYouMeanHint(inst.network.name, d.networks.keys()) ?? (d.blocks.has(inst.network.name) ? `\`${inst.network.name}\` is a block; nets are instances of a \`network\`` : "declare it with `network`"),
        }),
      );
      continue;
    }
    const sig = paramSignature(`network \`${decl.name.name}\``, decl.params, env, diags);
    const bound = bindArgs(sig, inst.args, inst.span, env, diags);
    if (!bound.ok) {
      failed();
      continue;
    }
    const nenv = new Env(env);
    const args: Record<string, Scalar> = {};
    for (const [k, v] of bound.values) {
      nenv.set(k, v);
      if (typeof v !== "object") args[k] = v;
    }
    const nd: Diagnostic[] = [];
    let r = elaborateNetwork(inst.name.name, decl, nenv, size, { blocks: d.blocks, diags: nd });
    let outShape = r && typeShape(decl.output, nenv, size, nd);
    if (r && outShape && hasErrors(nd)) {
      // shape errors that only the training size causes become one GAN3008 (checkTrainingSize)
      const retry = elaborateAtAcceptedSize(inst.name.name, decl, nenv, size, r, outShape, d.blocks);
      if (retry) {
        sizeErrors.set(inst.name.name, nd.find((x) => x.severity === "error")!);
        [r, outShape] = [retry.r, retry.outShape];
        nd.length = 0;
        nd.push(...retry.diags);
      }
    }
    diags.push(...nd);
    // a net whose layers have errors is left out of the checks that would only repeat them
    if (!r || !outShape || diags.filter((x) => x.severity === "error").length > errorsBefore) {
      failed();
      continue;
    }
    const last = r.nodes[r.nodes.length - 1]!;
    if (r.output) {
      const got = r.output;
      if (got.kind !== outShape.kind || channels(got) !== channels(outShape)) {
        diags.push(
          diag("GAN3005", `network \`${decl.name.name}\` is declared to return ${outShape.kind}[${channels(outShape)}], but its last layer gives ${got.kind}[${channels(got)}]`, decl.output.span, {
            hint: got.kind === outShape.kind ? `make the last layer produce ${channels(outShape)} channels, or declare ${got.kind}[${channels(got)}]` : got.kind === "image" ? "add `global_avg_pool` or `flatten` to get a vector" : undefined,
          }),
        );
      }
    }
    const imageToImage = r.inputShape.kind === "image" && outShape.kind === "image";
    // instances of one network with the same arguments (G_AB, G_BA) share one search
    const key = JSON.stringify([decl.name.name, args]);
    const sizes = sizeCache.get(key) ?? describeSizes(searchSizes(r.nodes, imageToImage).accepted);
    sizeCache.set(key, sizes);
    const net: IrNet = {
      name: inst.name.name,
      network: decl.name.name,
      args,
      input: { kind: r.inputShape.kind, channels: channels(r.inputShape), shape: r.nodes[0]!.shape },
      output: { kind: outShape.kind, channels: channels(outShape), shape: last.shape },
      init: inst.init ? initOf(inst.init, env, diags) : defaultInit,
      role: "other",
      sizes: { min: sizes.min, step: sizes.step, text: sizes.text, ...(sizes.irregular ? { irregular: sizes.irregular } : {}) },
      nodes: r.nodes,
      params: r.params,
      span: irSpan(inst.span),
    };
    nets.push(net);
    sigs.set(net.name, { name: net.name, input: net.input, output: net.output, nodes: net.nodes, sizesText: sizes.text });
  }

  checkUninstantiated(d, env, size, diags);

  // losses; applying a net to a training-size image it does not accept says nothing more
  // than checkTrainingSize's GAN3008
  const sizeRejected = new Set(nets.filter((n) => n.input.kind === "image" && !accepts(n, size)).map((n) => n.name));
  const graph = new LossGraph();
  const lctx: LossContext = { env, nets: sigs, broken, sizeRejected, domains: new Map(data.domains.map((x) => [x.name, x.channels])), size, diags };
  const losses = new Map<string, IrLoss>();
  for (const [name, decl] of d.losses) losses.set(name, buildLoss(decl, graph, lctx));

  // roles
  for (const n of nets) {
    n.role = graph.critics.has(n.name) ? "discriminator" : n.output.kind === "image" && n.input.kind === "image" && n.output.channels > 1 ? "generator" : "other";
  }

  const { train, steps, settingSpans, nCritic } = lowerTrain(d.train, env, losses, new Set(nets.map((n) => n.name)), broken, diags);

  runChecks({
    diags,
    mentioned: {
      losses: new Set(d.train?.items.flatMap((i) => (i.kind === "StepDecl" ? [i.loss.name] : [])) ?? []),
      nets: new Set(d.train?.items.flatMap((i) => (i.kind === "StepDecl" ? i.updates.map((u) => u.name) : [])) ?? []),
    },
    incompleteLosses: new Set([...d.losses.values()].filter((l) => (losses.get(l.name.name)?.terms.length ?? 0) < l.terms.length).map((l) => l.name.name)),
    broken,
    nets,
    values: graph.values,
    losses: [...losses.values()],
    lossDecls: d.losses,
    train,
    stepDecls: steps,
    trainSettingSpans: settingSpans,
    nCritic,
    instanceSpans,
    data,
    cropSpan,
    domainSpans,
    size,
    sizeErrors,
    trainSpan: d.train?.span,
    specSpan: spec.name.span,
  });

  const ir: Ir = {
    irVersion: IR_VERSION,
    generator: `gancc ${GANCC_VERSION}`,
    spec: { name: spec.name.name, file, sha256: sha256(text), params: values, overrides },
    nets,
    values: graph.values,
    losses: [...losses.values()],
    train,
    data,
  };
  if (!hasErrors(diags)) {
    const errs = validateIr(ir);
    if (errs) throw new Error(`internal: the compiler produced an IR that fails its schema: ${errs}`);
  }
  return ir;
}

/**
 * A net whose elaboration at the training size failed is elaborated again at the nearest
 * size it accepts (its layer structure does not depend on the size, so the size search
 * can run on the failed node list). When that succeeds and the net's sizes follow a
 * divisibility rule, the errors were the training size's fault alone and are reported as
 * one GAN3008 with the rule (checkTrainingSize), the first of them as a note, instead of
 * as a shape error deep inside (a U-Net at 200×200: "feature map 0×0" at the innermost conv).
 */
function elaborateAtAcceptedSize(
  instance: string,
  decl: NetworkDecl,
  env: Env,
  size: number,
  failed: NonNullable<ReturnType<typeof elaborateNetwork>>,
  outShape: NonNullable<ReturnType<typeof typeShape>>,
  blocks: Map<string, BlockDecl>,
): { r: NonNullable<ReturnType<typeof elaborateNetwork>>; outShape: NonNullable<ReturnType<typeof typeShape>>; diags: Diagnostic[] } | undefined {
  if (failed.inputShape.kind !== "image") return undefined;
  const { accepted } = searchSizes(failed.nodes, outShape.kind === "image");
  if (!accepted.length || accepted.includes(size)) return undefined;
  // only a divisibility rule ("multiples of 256"); a layer too large for the map ("any
  // size ≥ 36") is better shown at that layer
  const rule = describeSizes(accepted);
  if (rule.step <= 1 || rule.irregular) return undefined;
  const probe = accepted.find((s) => s > size) ?? accepted[accepted.length - 1]!;
  const diags: Diagnostic[] = [];
  const r = elaborateNetwork(instance, decl, env, probe, { blocks, diags });
  const o = r && typeShape(decl.output, env, probe, diags);
  if (!r || !o || hasErrors(diags)) return undefined;
  // the node list at the probe size must be the one the search ran on
  if (r.nodes.length !== failed.nodes.length || r.nodes.some((n, i) => n.id !== failed.nodes[i]!.id)) return undefined;
  return { r, outShape: o, diags };
}

/**
 * Networks no net instantiates are still checked (with their default arguments), and a
 * layer name no block or op defines is reported even in a block nobody calls.
 */
function checkUninstantiated(d: Declarations, env: Env, size: number, diags: Diagnostic[]): void {
  const used = new Set(d.nets.map((n) => n.network.name));
  for (const [name, decl] of d.networks) {
    if (used.has(name)) continue;
    diags.push(diag("GAN2020", `network \`${name}\` is never instantiated`, decl.name.span, { hint: `add \`nets { X = ${name}() }\`, or remove it` }));
    if (decl.params.some((p) => !p.default)) continue;
    const nenv = new Env(env);
    for (const p of decl.params) {
      const v = evaluate(p.default!, env, diags);
      if (v !== undefined) nenv.set(p.name.name, v);
    }
    elaborateNetwork(name, decl, nenv, size, { blocks: d.blocks, diags });
  }
  const known = (n: string) => n in OPS || d.blocks.has(n);
  const walk = (layers: Layer[]) => {
    for (const l of layers) {
      if (l.kind === "LayerCall") {
        if (!known(l.callee.name)) {
          diags.push(
            diag("GAN2003", `unknown layer \`${l.callee.name}\``, l.callee.span, {
              hint: didYouMeanHint(l.callee.name, [...Object.keys(OPS), ...d.blocks.keys()]) ?? "declare it with `block`, or see `gancc ops` for the built-in layers",
            }),
          );
        }
      } else if (l.kind === "If") {
        walk(l.then);
        walk(l.else ?? []);
      } else walk(l.body);
    }
  };
  for (const b of d.blocks.values()) walk(b.body);
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
