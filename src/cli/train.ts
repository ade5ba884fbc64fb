// `gancc train` and `gancc translate`: the commands' options and help. Their actions live in
// train_actions.ts, imported only when they run, so `gancc check` does not load tfjs.
import { BACKEND_KINDS } from "../runtime/backend_kinds.js";
import { Command, Option } from "commander";
import { CliError, collectSet, parsePositiveInt } from "./common.js";

/** --node-rank: 0, 1, … */
function parseRank(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--node-rank expects 0, 1, 2, …, got \`${v}\``);
  return n;
}

const BACKENDS = BACKEND_KINDS;

const THREADS_HELP = "wasm backend: threads for its kernels (default: $GANCC_THREADS, else the core count; at most 8; 1 = single-threaded)";

export function trainCommand(): Command {
  return new Command("train")
    .description("train whatever a spec declares (a .gan spec, or the IR .json `gancc compile` wrote)")
    .argument("[spec]", "the .gan spec or IR .json file (optional with --resume: the run's own ir.json)")
    .option("--data <dir>", "dataset root: trainA/ trainB/ [testA/ testB/] (unpaired, paired_folders) or train/ [test/] (paired_ab)")
    .option("--out <dir>", "run directory to create (default runs/<spec>-<date>-<time>)")
    .option("--resume <run>", "continue the run in this directory from its latest checkpoint, exactly")
    .addOption(new Option("--backend <kind>", "tfjs backend; auto = tensorflow (tfjs-node[-gpu]) if installed, else webgpu on a GPU, else wasm, else cpu").choices(BACKENDS))
    .option("--threads <n>", THREADS_HELP, parsePositiveInt("--threads"))
    .option("--set <name=value>", "override a spec parameter (repeatable)", collectSet, {})
    .option("--config <file>", "YAML run configuration (data, out, backend, set, max_iters, …); flags override it")
    .option("--max-iters <n>", "stop after this many iterations in total (a short run; resume continues it)", parsePositiveInt("--max-iters"))
    .option("--checkpoint-every <n>", "iterations between checkpoints (there is also one at the end of every epoch; default 500)", parsePositiveInt("--checkpoint-every"))
    .option("--samples <n>", "images per sample grid (default 4)", (v) => Number(v))
    .option("--style-classifier <run|auto|none>", "add the style score to the per-epoch evaluation: a classifier run or weights file, or auto (specs/domain_classifier.gan trained on the data once, cached); default none")
    .option("--log-every <n>", "when not on a terminal, print a progress line every N iterations (default: every 30 s)", parsePositiveInt("--log-every"))
    .addOption(new Option("--recompute <what>", "gradient checkpointing: residual = keep only each residual block's input in the forward pass and recompute the block in the backward pass (less memory, about a quarter more compute); default none").choices(["none", "residual"]))
    .addOption(new Option("--engine <engine>", "tfjs: TensorFlow.js in this process (default; with --resume: the run's own engine); torch: generated PyTorch code in Python (GPUs, several processes and machines)").choices(["tfjs", "torch"]))
    .addOption(new Option("--device <device>", "torch engine: auto = cuda if PyTorch sees a GPU, else cpu").choices(["auto", "cpu", "cuda"]))
    .option("--python <path>", "torch engine: the Python interpreter (default python3 on PATH); needs torch ≥ 1.13, numpy, Pillow")
    .option("--nproc <n>", "torch engine: processes on this machine (one per GPU), launched with python -m torch.distributed.run", parsePositiveInt("--nproc"))
    .option("--nnodes <n>", "torch engine: machines taking part (start gancc train on each)", parsePositiveInt("--nnodes"))
    .option("--node-rank <r>", "torch engine: this machine's number, 0..nnodes-1 (0 writes the run directory)", parseRank)
    .option("--master-addr <host>", "torch engine: address of the --node-rank 0 machine")
    .option("--master-port <port>", "torch engine: its rendezvous port (default 29500)", parsePositiveInt("--master-port"))
    .addHelpText(
      "after",
      `
What it writes (the run directory):
  ir.json, spec.gan, run.json     what was trained, on which backend (and why), with which settings
  metrics.jsonl                    every named loss term per iteration
  samples/, curves/, index.html    sample grids per epoch and loss curves; open index.html in a browser
  checkpoints/                     weights + optimizer state + image pool + RNG + data position (atomic)
  weights.safetensors              final weights with the IR (for gancc translate / weights export)

Engines: tfjs (default) runs in this process, no Python needed. --engine torch generates
PyTorch code for the spec (in RUN/torch/) and runs it with Python (torch ≥ 1.13): on a GPU with
--device cuda, on several GPUs with --nproc N, on several machines with --nnodes/--node-rank/
--master-addr. It writes the same run directory; either engine resumes the other's checkpoints.

Stopping and resuming: Ctrl-C finishes the current iteration, writes a checkpoint and stops;
--resume RUN continues exactly (same batches, same random draws). A non-finite loss stops the run
naming the term; the last good checkpoint is kept.

Examples:
  gancc train specs/cyclegan.gan --config configs/emoji-cpu.yaml
  gancc train specs/tiny.gan --data data/emoji --set size=32 --max-iters 200
  gancc compile specs/cyclegan.gan -o build/ && gancc train build/cyclegan.ir.json --data DIR
  gancc train --resume runs/cyclegan-20261129-120000
  gancc train specs/cyclegan.gan --data DIR --engine torch --device cuda
  gancc train specs/cyclegan.gan --data DIR --engine torch --nproc 4
  gancc train specs/cyclegan.gan --data DIR --engine torch --nproc 8 --nnodes 2 --node-rank 0 --master-addr 10.0.0.1`,
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
    .option("--threads <n>", THREADS_HELP, parsePositiveInt("--threads"))
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
