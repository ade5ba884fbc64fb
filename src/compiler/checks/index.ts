// Checks that run on the lowered program (nets, loss graph, training steps).
// One check per file; each reads the context and reports diagnostics.
import type { LossDecl, Span, StepDecl } from "../../dsl/ast.js";
import type { Diagnostic } from "../../dsl/diagnostics.js";
import type { IrData, IrLoss, IrNet, IrTrain, IrValue } from "../ir.js";
import { checkClipTargets } from "./clipTargets.js";
import { checkGradientRouting } from "./gradientRouting.js";
import { checkNCritic } from "./nCritic.js";
import { checkTrainingSize } from "./trainingSize.js";
import { checkUnusedLosses } from "./unusedLosses.js";
import { checkUntrainedNets } from "./untrainedNets.js";

export interface CheckContext {
  diags: Diagnostic[];
  /** loss and net names the train section mentions (even in steps that had errors) */
  mentioned: { losses: Set<string>; nets: Set<string> };
  /** losses with a term that had an error (their gradient routing is unknown) */
  incompleteLosses: Set<string>;
  /** nets whose declaration had errors (left out of size and routing checks) */
  broken: Set<string>;
  nets: IrNet[];
  values: IrValue[];
  losses: IrLoss[];
  lossDecls: Map<string, LossDecl>;
  train: IrTrain;
  /** the AST of each lowered step, aligned with train.steps */
  stepDecls: StepDecl[];
  trainSettingSpans: Map<string, Span>;
  nCritic: number;
  instanceSpans: Map<string, Span>;
  data: IrData;
  cropSpan?: Span;
  domainSpans: Map<string, Span>;
  size: number;
  /** nets that failed to elaborate at the training size only (built at an accepted size): the first error there */
  sizeErrors?: Map<string, Diagnostic>;
  trainSpan?: Span;
  specSpan: Span;
}

export type Check = (ctx: CheckContext) => void;

/** In order: later checks may rely on earlier ones (n_critic sets step repeats). */
export const CHECKS: { name: string; run: Check }[] = [
  { name: "trainingSize", run: checkTrainingSize },
  { name: "gradientRouting", run: checkGradientRouting },
  { name: "untrainedNets", run: checkUntrainedNets },
  { name: "unusedLosses", run: checkUnusedLosses },
  { name: "clipTargets", run: checkClipTargets },
  { name: "nCritic", run: checkNCritic },
];

export function runChecks(ctx: CheckContext): void {
  for (const c of CHECKS) c.run(ctx);
}
