// What every check reads: the lowered program and where its parts are in the source.
import type { LossDecl, Span, StepDecl } from "../../dsl/ast.js";
import type { Diagnostic } from "../../dsl/diagnostics.js";
import type { IrData, IrLoss, IrNet, IrTrain, IrValue } from "../../ir/schema.js";

export interface CheckContext {
  /** loss and net names the train section mentions (even in steps that had errors) */
  readonly mentioned: { readonly losses: ReadonlySet<string>; readonly nets: ReadonlySet<string> };
  /** losses with a term that had an error (their gradient routing is unknown) */
  readonly incompleteLosses: ReadonlySet<string>;
  /** nets whose declaration had errors (left out of size and routing checks) */
  readonly broken: ReadonlySet<string>;
  readonly nets: readonly IrNet[];
  readonly values: readonly IrValue[];
  readonly losses: readonly IrLoss[];
  readonly lossDecls: ReadonlyMap<string, LossDecl>;
  /** with n_critic already applied to the steps' repeat counts */
  readonly train: IrTrain;
  /** the AST of each lowered step, aligned with train.steps */
  readonly stepDecls: readonly StepDecl[];
  readonly trainSettingSpans: ReadonlyMap<string, Span>;
  readonly instanceSpans: ReadonlyMap<string, Span>;
  readonly data: IrData;
  readonly cropSpan?: Span;
  readonly domainSpans: ReadonlyMap<string, Span>;
  readonly size: number;
  /** nets that failed to elaborate at the training size only (built at an accepted size): the first error there */
  readonly sizeErrors?: ReadonlyMap<string, Diagnostic>;
  readonly trainSpan?: Span;
  readonly specSpan: Span;
}

export type Check = (ctx: CheckContext) => Diagnostic[];
