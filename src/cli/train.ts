// `gancc train` and `gancc translate`: the commands' options and help. Their actions live in
// train_actions.ts, imported only when they run, so `gancc check` does not load tfjs.
import { BACKEND_KINDS } from "../runtime/backend_kinds.js";
import { Command, Option } from "commander";
import { collectSet, parsePositiveInt } from "./common.js";

const BACKENDS = BACKEND_KINDS;

export function trainCommand(): Command {
  return new Command("train")
    .description("train whatever a spec declares (a .gan spec, or the IR .json `gancc compile` wrote)")
    .argument("[spec]", "the .gan spec or IR .json file (optional with --resume: the run's own ir.json)")
    .option("--data <dir>", "dataset root: trainA/ trainB/ [testA/ testB/] (unpaired, paired_folders) or train/ [test/] (paired_ab)")
    .option("--out <dir>", "run directory to create (default runs/<spec>-<date>-<time>)")
    .option("--resume <run>", "continue the run in this directory from its latest checkpoint, exactly")
    .addOption(new Option("--backend <kind>", "tfjs backend; auto = tensorflow (tfjs-node[-gpu]) if installed, else webgpu on a GPU, else wasm, else cpu").choices(BACKENDS))
    .option("--set <name=value>", "override a spec parameter (repeatable)", collectSet, {})
    .option("--config <file>", "YAML run configuration (data, out, backend, set, max_iters, …); flags override it")
    .option("--max-iters <n>", "stop after this many iterations in total (a short run; resume continues it)", parsePositiveInt("--max-iters"))
    .option("--checkpoint-every <n>", "iterations between checkpoints (there is also one at the end of every epoch; default 500)", parsePositiveInt("--checkpoint-every"))
    .option("--samples <n>", "images per sample grid (default 4)", (v) => Number(v))
    .option("--log-every <n>", "when not on a terminal, print a progress line every N iterations (default: every 30 s)", parsePositiveInt("--log-every"))
    .addHelpText(
      "after",
      `
What it writes (the run directory):
  ir.json, spec.gan, run.json     what was trained, on which backend (and why), with which settings
  metrics.jsonl                    every named loss term per iteration
  samples/, curves/, index.html    sample grids per epoch and loss curves; open index.html in a browser
  checkpoints/                     weights + optimizer state + image pool + RNG + data position (atomic)
  weights.safetensors              final weights with the IR (for gancc translate / weights export)

Stopping and resuming: Ctrl-C finishes the current iteration, writes a checkpoint and stops;
--resume RUN continues exactly (same batches, same random draws). A non-finite loss stops the run
naming the term; the last good checkpoint is kept.

Examples:
  gancc train specs/cyclegan.gan --config configs/emoji-cpu.yaml
  gancc train specs/tiny.gan --data data/emoji --set size=32 --max-iters 200
  gancc compile specs/cyclegan.gan -o build/ && gancc train build/cyclegan.ir.json --data DIR
  gancc train --resume runs/cyclegan-20261129-120000`,
    )
    .action(async (...args: Parameters<typeof import("./train_actions.js").runTrain>) => (await import("./train_actions.js")).runTrain(...args));
}

export function translateCommand(): Command {
  return new Command("translate")
    .description("apply a trained generator to a folder of images; writes the results and an index.html of input/output pairs")
    .argument("<trained>", "a run directory (its weights.safetensors or latest checkpoint) or a gancc weights file")
    .requiredOption("--net <name>", "the net to apply, e.g. G_AB")
    .requiredOption("--input <dir>", "folder of images (png, jpg, …)")
    .requiredOption("--output <dir>", "folder for the results and index.html")
    .addOption(new Option("--backend <kind>", "tfjs backend").choices(BACKENDS).default("auto"))
    .option("--size <n>", "resize inputs to n×n first (default: the spec's training crop size)", parsePositiveInt("--size"))
    .addOption(new Option("--mode <mode>", "eval: running batch-norm statistics, no dropout; train: batch statistics and dropout, as the official test script without --eval").choices(["eval", "train"]).default("eval"))
    .addHelpText(
      "after",
      `
The IR stored with the weights defines the net, so no architecture flags are needed (and none can
disagree with training). Images are converted to the net's input channels (RGBA flattened on white)
and resized to --size; outputs are written as PNG with the input's name.

Example:
  gancc translate runs/cyclegan-20261129-120000 --net G_AB --input data/emoji/testA --output out/AtoB`,
    )
    .action(async (...args: Parameters<typeof import("./train_actions.js").runTranslate>) => (await import("./train_actions.js")).runTranslate(...args));
}
