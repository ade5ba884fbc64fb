// The compiler driver: source → AST (src/dsl) → resolve → elaborate/check → IR.
// Every stage reports diagnostics; user errors never throw. Each section of a spec is
// lowered by its own module in ./lower/; the checks (./checks/) then read the result.
import { createHash } from "node:crypto";
import type { BlockDecl, DataDecl, Decl, Expr, Ident, LossDecl, NetInstance, NetworkDecl, Span, Spec, TrainDecl } from "../dsl/ast.js";
import { type Diagnostic, SourceFile, diag, hasErrors, sortDiagnostics } from "../dsl/diagnostics.js";
import { parse } from "../dsl/index.js";
import { runChecks } from "./checks/index.js";
import type { BlockCallTrace } from "./elaborate.js";
import { IR_VERSION } from "../ir/enums.js";
import type { Ir } from "../ir/schema.js";
import { lowerData } from "./lower/data.js";
import { initOf } from "./lower/init.js";
import { assignRoles, lowerLosses } from "./lower/losses.js";
import { lowerNets } from "./lower/nets.js";
import { lowerParams } from "./lower/params.js";
import { lowerTrain } from "./lower/train.js";
import { checkUninstantiated } from "./lower/uninstantiated.js";
import { validateIr } from "../ir/validate.js";

export { parseSetValue } from "./lower/params.js";

export const GANCC_VERSION = "0.1.0";
export const MAX_DIAGNOSTICS = 100;

export interface CompileOptions {
  /** `--set name=value` overrides, as raw strings or values */
  set?: Record<string, string | number | boolean>;
  /** the spatial size to check and infer shapes at (default: the data section's crop) */
  size?: number;
  /** editor tooling (src/lsp): filled with what lowering produced, also when the spec has errors */
  trace?: CompileTrace;
}

export interface CompileTrace {
  /** every block call the nets expanded, with its shapes */
  blockCalls: BlockCallTrace[];
  /** the lowered program, also when there are errors (nets with errors are left out); unset when parsing failed */
  ir?: Ir;
}

export interface CompileResult {
  ir?: Ir;
  /** per-stage products, for tools (summary, bindings) */
  spec?: Spec;
  diagnostics: Diagnostic[];
  source: SourceFile;
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

/**
 * The stages, in order: declarations, params (with `--set`), data, the default init, nets
 * (at the training size), networks no net uses, losses, roles (from the loss graph), train
 * (with n_critic), then the checks, which read the lowered program and report.
 */
export function lowerSpec(spec: Spec, text: string, file: string, opts: CompileOptions, diags: Diagnostic[]): Ir | undefined {
  const d = collect(spec, diags);
  checkSections(spec, d, diags);
  checkUnusedParams(spec, d, diags);
  const { env, values, overrides } = lowerParams(d.params, opts.set ?? {}, diags, file);
  const { data, cropSpan, domainSpans } = lowerData(d.data, env, diags);
  const size = opts.size ?? data.crop;
  const defaultInit = initOf(d.init, env, diags);
  const trace = opts.trace;
  const { nets, sigs, instanceSpans, broken, sizeErrors } = lowerNets({ instances: d.nets, networks: d.networks, blocks: d.blocks, env, size, defaultInit, diags, onBlockCall: trace && ((c) => trace.blockCalls.push(c)) });
  checkUninstantiated(d.nets, d.networks, d.blocks, env, size, diags);
  const { graph, losses } = lowerLosses({ decls: d.losses, env, nets, sigs, broken, data, size, diags, dataDeclared: d.data !== undefined });
  assignRoles(nets, graph);
  const { train, steps, settingSpans } = lowerTrain(d.train, env, losses, nets, broken, diags);

  diags.push(
    ...runChecks({
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
      instanceSpans,
      data,
      cropSpan,
      domainSpans,
      size,
      sizeErrors,
      trainSpan: d.train?.span,
      specSpan: spec.name.span,
    }),
  );

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
  if (trace) trace.ir = ir;
  if (!hasErrors(diags)) {
    const errs = validateIr(ir);
    if (errs) throw new Error(`internal: the compiler produced an IR that fails its schema: ${errs}`);
  }
  return ir;
}

/**
 * GAN2019: a spec says how it trains (README: "one file says everything needed to reproduce a
 * training run"), so it needs its `data` and `train` sections; without them the domains its
 * losses use are unknown and nothing would be trained.
 */
function checkSections(spec: Spec, d: Declarations, diags: Diagnostic[]): void {
  if (!d.data) {
    diags.push(
      diag("GAN2019", "the spec has no `data` section", spec.name.span, {
        hint: "declare the image domains the losses use, e.g. `data { layout: unpaired  domain A: image[3]  domain B: image[3]  crop: 256 }`",
      }),
    );
  }
  if (!d.train) {
    diags.push(
      diag("GAN2019", "the spec has no `train` section", spec.name.span, {
        hint: "say which loss updates which nets, e.g. `train { step generator updates G with adam(lr: 2e-4) }`",
      }),
    );
  }
}

/** Every name used as a value anywhere in the spec (an explicit stack: no recursion). */
export function namesUsed(spec: Spec): Set<string> {
  const used = new Set<string>();
  const stack: unknown[] = [spec.decls];
  while (stack.length) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      for (const y of x) stack.push(y);
      continue;
    }
    if (!x || typeof x !== "object") continue;
    const node = x as { kind?: string; name?: unknown };
    if (node.kind === "Name" && typeof node.name === "string") used.add(node.name);
    for (const [k, v] of Object.entries(x)) if (k !== "span" && v && typeof v === "object") stack.push(v);
  }
  return used;
}

/** GAN2020: a `param` nothing uses (a value `--set` could change without any effect). */
function checkUnusedParams(spec: Spec, d: Declarations, diags: Diagnostic[]): void {
  // without a data or train section, the params those would use look unused: GAN2019 says enough
  if (!d.params.size || !d.data || !d.train) return;
  const used = namesUsed(spec);
  for (const [name, p] of d.params) {
    if (used.has(name)) continue;
    diags.push(diag("GAN2020", `parameter \`${name}\` is never used`, p.name.span, { hint: "remove it, or use it in an expression (`--set` on it has no effect)" }));
  }
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
