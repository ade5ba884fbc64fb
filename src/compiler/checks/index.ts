// Checks that run on the lowered program (nets, loss graph, training steps).
// One check per file; each reads the context and returns the diagnostics it reports. A check
// never changes the context: what the compiler does with the program belongs to the lowering
// (src/compiler/lower/), and test/compiler/checks/pure.test.ts holds the checks to that.
import type { Diagnostic } from "../../dsl/diagnostics.js";
import { checkClipTargets } from "./clipTargets.js";
import type { Check, CheckContext } from "./context.js";
import { checkGradientRouting } from "./gradientRouting.js";
import { checkNCritic } from "./nCritic.js";
import { checkSharedUpdates } from "./sharedUpdates.js";
import { checkTrainingSize } from "./trainingSize.js";
import { checkUnusedLosses } from "./unusedLosses.js";
import { checkUntrainedNets } from "./untrainedNets.js";

export type { Check, CheckContext } from "./context.js";

/** In report order; each check is independent of the others. */
export const CHECKS: { name: string; run: Check }[] = [
  { name: "trainingSize", run: checkTrainingSize },
  { name: "gradientRouting", run: checkGradientRouting },
  { name: "untrainedNets", run: checkUntrainedNets },
  { name: "unusedLosses", run: checkUnusedLosses },
  { name: "clipTargets", run: checkClipTargets },
  { name: "nCritic", run: checkNCritic },
  { name: "sharedUpdates", run: checkSharedUpdates },
];

/** The diagnostics of every check, in CHECKS order. */
export function runChecks(ctx: CheckContext): Diagnostic[] {
  return CHECKS.flatMap((c) => c.run(ctx));
}
