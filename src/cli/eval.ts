// `gancc eval RUN`: prints the held-out L1 and the style score of a run (src/train/eval_run.ts).
import { Command, Option } from "commander";
import { BACKEND_KINDS } from "../runtime/backend_kinds.js";

export function evalCommand(): Command {
  return new Command("eval")
    .description("held-out L1 and style score of a finished or in-progress run, per translation")
    .argument("<run>", "a run directory (its weights.safetensors, else its latest checkpoint) or a gancc weights file")
    .option("--classifier <run|weights>", "the domain classifier that judges style (default: specs/domain_classifier.gan trained on the run's data, cached)")
    .option("--data <dir>", "dataset root (default: the run's, from run.json)")
    .addOption(new Option("--backend <kind>", "tfjs backend").choices(BACKEND_KINDS).default("auto"))
    .option("--json", "print the result as JSON on stdout")
    .addHelpText(
      "after",
      `
For every translation X→Y the spec implies (G_AB: A→B, G_BA: B→A):
  L1       mean |G(x) − y| to the ground truth on the test split (where it has pairs), next to the
           untranslated input's
  style    the share of translated test images of X the classifier assigns to Y, next to the
           same share for the untranslated images (a translation should raise it)
and the classifier's balanced accuracy on the real test images. Its scores are meaningless unless
that accuracy is clearly above chance: ≥ 0.75 and a one-sided binomial p < 0.001 (exit code 1
otherwise).

Without --classifier, specs/domain_classifier.gan is trained on the run's training split (seeded,
about a minute at 32×32 on 2 cores) and cached in $GANCC_CACHE, else
$XDG_CACHE_HOME/gancc, else ~/.cache/gancc (classifiers/<hash of spec and data>/).

Example:
  gancc eval runs/cyclegan-20261129-120000`,
    )
    .action(async (...args: Parameters<typeof import("./eval_action.js").runEval>) => (await import("./eval_action.js")).runEval(...args));
}
