// Where a command's style classifier comes from (`gancc eval --classifier`, `gancc train
// --style-classifier`, the `style_classifier:` config key): a run directory or weights file, `auto`
// (the cached classifier for the data, trained first if there is none: src/train/style_classifier.ts),
// or `none`. Loading and messages only.
import type { Ir } from "../ir/schema.js";
import { TrainedModelError, loadTrained } from "../apply/trained.js";
import { WeightsError } from "../io/weights.js";
import { CheckpointError } from "../train/checkpoint.js";
import { StyleError, classifierRoles, type TrainedClassifier } from "../train/style.js";
import { classifierFor } from "../train/style_classifier.js";
import { CliError } from "./common.js";

export async function resolveClassifier(
  source: string | undefined,
  o: { data: string; runIr: Ir; backend: { name: string; reason: string } },
): Promise<TrainedClassifier | undefined> {
  if (source === undefined || source === "none") return undefined;
  try {
    if (source === "auto") {
      process.stderr.write(`gancc: style classifier for ${o.data}: looking in the cache (specs/domain_classifier.gan, trained once per dataset)\n`);
      const c = await classifierFor({ data: o.data, runIr: o.runIr, backend: o.backend, onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
      process.stderr.write(`gancc: style classifier ${c.cached ? "from the cache" : "trained"}: ${c.runDir}\n`);
      return c;
    }
    const t = await loadTrained(source);
    classifierRoles(t.ir, source); // fails early, with what a classifier must be
    return t;
  } catch (e) {
    if (e instanceof StyleError || e instanceof TrainedModelError || e instanceof WeightsError || e instanceof CheckpointError) throw new CliError(e.message);
    throw e;
  }
}
