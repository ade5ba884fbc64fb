// `loss` declarations: one loss graph over the nets; a net a GAN criterion judges is a critic.
import type { LossDecl } from "../../dsl/ast.js";
import type { Diagnostic } from "../../dsl/diagnostics.js";
import { accepts } from "../checks/trainingSize.js";
import type { IrData, IrLoss, IrNet } from "../../ir/schema.js";
import { type LossContext, LossGraph, type NetSig, buildLoss } from "../losses.js";
import type { Env } from "../values.js";

export interface LossesInput {
  decls: Map<string, LossDecl>;
  env: Env;
  nets: IrNet[];
  sigs: Map<string, NetSig>;
  broken: Set<string>;
  data: IrData;
  size: number;
  diags: Diagnostic[];
  /** false when the spec has no `data` section (GAN2019 says so once; its domains are not reported one by one) */
  dataDeclared?: boolean;
}

export function lowerLosses({ decls, env, nets, sigs, broken, data, size, diags, dataDeclared = true }: LossesInput): { graph: LossGraph; losses: Map<string, IrLoss> } {
  // applying a net to a training-size image it does not accept says nothing more than
  // checkTrainingSize's GAN3008
  const sizeRejected = new Set(nets.filter((n) => n.input.kind === "image" && !accepts(n, size)).map((n) => n.name));
  const graph = new LossGraph();
  const lctx: LossContext = { env, nets: sigs, broken, sizeRejected, domains: new Map(data.domains.map((x) => [x.name, x.channels])), size, diags, noData: !dataDeclared };
  const losses = new Map<string, IrLoss>();
  for (const [name, decl] of decls) losses.set(name, buildLoss(decl, graph, lctx));
  return { graph, losses };
}

/** Sets each net's role: a critic (discriminator) when a GAN criterion judges its output, a generator when it maps images to multi-channel images. */
export function assignRoles(nets: IrNet[], graph: LossGraph): void {
  for (const n of nets) {
    n.role = graph.critics.has(n.name) ? "discriminator" : n.output.kind === "image" && n.input.kind === "image" && n.output.channels > 1 ? "generator" : "other";
  }
}
