// The `nets` section: each instance of a network, elaborated at the training size into an IrNet.
import { emptyRecord } from "../names.js";
import type { BlockDecl, Layer, NetInstance, NetworkDecl, Span } from "../../dsl/ast.js";
import { type Diagnostic, type Related, diag, didYouMeanHint, hasErrors } from "../../dsl/diagnostics.js";
import { type ElabInput, describeSizes, elaborateNetwork, paramSignature, searchSizes, typeShape } from "../elaborate.js";
import type { IrInit, IrNet, IrNode, Scalar } from "../../ir/schema.js";
import { irSpan } from "../ir.js";
import type { NetSig } from "../losses.js";
import { channels } from "../ops.js";
import { Env, bindArgs } from "../values.js";
import { elaborateAtAcceptedSize } from "./acceptedSize.js";
import { initOf } from "./init.js";

export interface NetsInput {
  instances: NetInstance[];
  networks: Map<string, NetworkDecl>;
  blocks: Map<string, BlockDecl>;
  env: Env;
  /** the spatial size the nets are elaborated at */
  size: number;
  /** the `init` section's initialiser, for nets without their own */
  defaultInit: IrInit;
  diags: Diagnostic[];
  /** editor tooling: receives every block call the nets expand */
  onBlockCall?: ElabInput["onBlockCall"];
}

export interface LoweredNets {
  /** the nets that elaborated without errors; roles are set later, from the loss graph */
  nets: IrNet[];
  /** what the losses see of each net */
  sigs: Map<string, NetSig>;
  instanceSpans: Map<string, Span>;
  /** nets whose declaration had errors */
  broken: Set<string>;
  /** nets that failed at the training size only (built at an accepted size): the first error there */
  sizeErrors: Map<string, Diagnostic>;
}

export function lowerNets({ instances, networks, blocks, env, size, defaultInit, diags, onBlockCall }: NetsInput): LoweredNets {
  const nets: IrNet[] = [];
  const sigs = new Map<string, NetSig>();
  const instanceSpans = new Map<string, Span>();
  const sizeCache = new Map<string, ReturnType<typeof describeSizes>>();
  const broken = new Set<string>();
  const sizeErrors = new Map<string, Diagnostic>();
  for (const inst of instances) {
    instanceSpans.set(inst.name.name, inst.name.span);
    const decl = networks.get(inst.network.name);
    const errorsBefore = diags.filter((x) => x.severity === "error").length;
    const failed = () => {
      broken.add(inst.name.name);
    };
    if (!decl) {
      failed();
      diags.push(
        diag("GAN2009", `unknown network \`${inst.network.name}\``, inst.network.span, {
          hint: didYouMeanHint(inst.network.name, networks.keys()) ?? (blocks.has(inst.network.name) ? `\`${inst.network.name}\` is a block; nets are instances of a \`network\`` : "declare it with `network`"),
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
    const args = emptyRecord<Scalar>();
    for (const [k, v] of bound.values) {
      nenv.set(k, v);
      if (typeof v !== "object") args[k] = v;
    }
    const nd: Diagnostic[] = [];
    let r = elaborateNetwork(inst.name.name, decl, nenv, size, { blocks, diags: nd, onBlockCall });
    let outShape = r && typeShape(decl.output, nenv, size, nd);
    if (r && outShape && hasErrors(nd)) {
      // shape errors that only the training size causes become one GAN3008 (checkTrainingSize)
      const retry = elaborateAtAcceptedSize(inst.name.name, decl, nenv, size, r, outShape, blocks);
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
            related: outputNote(r.nodes, decl, blocks, `${got.kind}[${channels(got)}]`),
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
  return { nets, sigs, instanceSpans, broken, sizeErrors };
}

/**
 * GAN3005's note: the layer that set the output's channel (or feature) count — walking back
 * from the last node to the first whose input had another count — or else the last layer.
 */
function outputNote(nodes: readonly IrNode[], decl: NetworkDecl, blocks: ReadonlyMap<string, BlockDecl>, got: string): Related[] | undefined {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const count = (n: IrNode | undefined) => n?.shape[n.shape.length - 1];
  let n: IrNode | undefined = nodes[nodes.length - 1];
  while (n && n.inputs.length && count(byId.get(n.inputs[0]!)) === count(n)) n = byId.get(n.inputs[0]!);
  if (!n || n.op === "input") return undefined;
  // the AST span of that node's layer call (in the network or in a block it calls)
  const key = (s: { line: number; col: number; endLine: number; endCol: number }) => `${s.line}:${s.col}:${s.endLine}:${s.endCol}`;
  const want = key(n.span);
  const stack: unknown[] = [decl.body, ...[...blocks.values()].map((b) => b.body)];
  while (stack.length) {
    const x = stack.pop();
    if (Array.isArray(x)) {
      stack.push(...x);
      continue;
    }
    if (!x || typeof x !== "object") continue;
    const l = x as Layer;
    if (l.kind === "LayerCall" && key(l.span) === want && l.span.file === n.span.file) {
      return [{ message: `\`${l.callee.name}\` here sets the output to ${got}`, span: l.span }];
    }
    for (const [k, v] of Object.entries(x)) if (k !== "span" && v && typeof v === "object") stack.push(v);
  }
  return undefined;
}