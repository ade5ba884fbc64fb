// `gancc train` and `gancc translate`: argument parsing, configuration merging and printing only;
// the work is in src/runtime/train (trainer, checkpoints) and src/runtime/report.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import { Command, Option } from "commander";
import sharp from "sharp";
import * as tf from "@tensorflow/tfjs";
import type { Ir } from "../compiler/ir.js";
import { readIr } from "../compiler/schema.js";
import { hasErrors } from "../dsl/diagnostics.js";
import { BackendUnavailableError, selectBackend, type BackendKind } from "../runtime/backend.js";
import { decodeImage, IMAGE_EXTENSIONS, type Channels } from "../runtime/data/index.js";
import { Model } from "../runtime/model.js";
import { writeTranslatePage } from "../runtime/report/index.js";
import { ConfigError, parseRunConfig, type RunConfig } from "../runtime/train/config.js";
import { TrainError, train } from "../runtime/train/trainer.js";
import { loadCheckpoint } from "../runtime/train/checkpoint.js";
import { WeightsError, loadWeights } from "../runtime/weights.js";
import { CliError, collectSet, compileFile, parsePositiveInt, readText, report } from "./common.js";

const BACKENDS = ["auto", "tensorflow", "wasm", "cpu"] as const;

/** A spec (.gan, compiled with --set) or an IR file (.json, written by `gancc compile`). */
function loadSource(path: string, set: Record<string, string | number | boolean>): { ir: Ir; specText?: string } {
  if (path.endsWith(".json")) {
    if (Object.keys(set).length) throw new CliError(`--set cannot change an IR file (${path}); pass the .gan spec instead, or compile it again with --set`);
    const r = readIr(readText(path), path);
    if (!r.ir) throw new CliError(r.error ?? `${path} is not a gancc IR file`);
    return { ir: r.ir };
  }
  const r = compileFile(path, { set });
  report(r.diagnostics, r.source, {});
  if (!r.ir || hasErrors(r.diagnostics)) throw new TrainError(`${path} has errors (above); nothing was trained`, 1);
  return { ir: r.ir, specText: r.source.text };
}

async function backend(kind: BackendKind): Promise<{ name: string; reason: string }> {
  try {
    const b = await selectBackend(kind);
    return { name: b.name, reason: b.reason };
  } catch (e) {
    if (e instanceof BackendUnavailableError) throw new CliError(e.message);
    throw e;
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

export function trainCommand(): Command {
  return new Command("train")
    .description("train whatever a spec declares (a .gan spec, or the IR .json `gancc compile` wrote)")
    .argument("[spec]", "the .gan spec or IR .json file (optional with --resume: the run's own ir.json)")
    .option("--data <dir>", "dataset root: trainA/ trainB/ [testA/ testB/] (unpaired, paired_folders) or train/ [test/] (paired_ab)")
    .option("--out <dir>", "run directory to create (default runs/<spec>-<date>-<time>)")
    .option("--resume <run>", "continue the run in this directory from its latest checkpoint, exactly")
    .addOption(new Option("--backend <kind>", "tfjs backend; auto = tensorflow (tfjs-node[-gpu]) if installed, else wasm, else cpu").choices(BACKENDS))
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
    .action(async (specArg: string | undefined, o: { data?: string; out?: string; resume?: string; backend?: BackendKind; set: Record<string, string>; config?: string; maxIters?: number; checkpointEvery?: number; samples?: number; logEvery?: number }) => {
      let cfg: RunConfig = {};
      if (o.config) {
        try {
          cfg = parseRunConfig(readText(o.config), o.config);
        } catch (e) {
          if (e instanceof ConfigError) throw new TrainError(`invalid run configuration:\n${e.message}`, 2);
          throw e;
        }
      }
      const set = { ...(cfg.set ?? {}), ...o.set };
      let spec = specArg;
      let dataDir = o.data ?? cfg.data;
      if (!spec) {
        if (!o.resume) throw new CliError("give a spec (.gan) or IR (.json) to train, or --resume RUN_DIR");
        spec = join(o.resume, "ir.json");
        if (!existsSync(spec)) throw new CliError(`${o.resume} is not a gancc run directory (no ir.json)`);
        if (!dataDir) {
          try {
            dataDir = (JSON.parse(readText(join(o.resume, "run.json"))) as { data?: string }).data;
          } catch {
            /* reported below */
          }
        }
      }
      if (!dataDir) throw new CliError("no data: pass --data DIR (or `data:` in --config); the embedded set is data/emoji");
      const { ir, specText } = loadSource(spec, o.resume && !specArg ? {} : set);
      const runDir = o.resume ?? o.out ?? cfg.out ?? join("runs", `${ir.spec.name}-${stamp()}`);
      const be = await backend(o.backend ?? cfg.backend ?? "auto");
      process.stderr.write(`gancc: backend ${be.name} — ${be.reason}\n`);
      process.stderr.write(`gancc: training ${ir.spec.name} (${spec}) on ${dataDir} → ${runDir}\n`);
      let stop = false;
      const onSigint = () => {
        if (stop) process.exit(130);
        stop = true;
        process.stderr.write("\ngancc: interrupted: finishing this iteration and writing a checkpoint (Ctrl-C again to quit at once)\n");
      };
      process.on("SIGINT", onSigint);
      try {
        const r = await train({
          ir,
          specText,
          source: spec,
          data: dataDir,
          runDir,
          resume: !!o.resume,
          backend: be,
          maxIterations: o.maxIters ?? cfg.max_iters,
          checkpointEvery: o.checkpointEvery ?? cfg.checkpoint_every,
          keepCheckpoints: cfg.keep_checkpoints,
          samples: o.samples ?? cfg.samples,
          sampleEveryEpochs: cfg.sample_every,
          logEvery: o.logEvery ?? cfg.log_every,
          config: { ...cfg, set, data: dataDir, out: runDir, backend: be.name },
          command: process.argv.slice(1),
          shouldStop: () => stop,
        });
        process.stderr.write(`gancc: ${r.state} after ${r.iterations} iterations; report: ${join(r.runDir, "index.html")}\n`);
        if (r.state === "stopped" && stop) process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSigint);
      }
    });
}

/** Weights and IR of a run directory (its final weights, else its latest checkpoint) or a weights file. */
async function loadTrained(path: string): Promise<{ ir: Ir; weights: Map<string, { shape: number[]; data: Float32Array }>; from: string }> {
  if (existsSync(path) && statSync(path).isDirectory()) {
    const w = join(path, "weights.safetensors");
    if (existsSync(w)) return loadTrained(w);
    const irFile = join(path, "ir.json");
    if (!existsSync(irFile)) throw new CliError(`${path} is not a gancc run directory (no weights.safetensors, no ir.json)`);
    const r = readIr(readText(irFile), irFile);
    if (!r.ir) throw new CliError(r.error ?? `${irFile} is not a gancc IR file`);
    const c = loadCheckpoint(join(path, "checkpoints"));
    return { ir: r.ir, weights: c.weights, from: `${path} checkpoint at iteration ${c.manifest.iteration}` };
  }
  try {
    const l = await loadWeights(path);
    if (!l.ir) throw new CliError(`${path} holds no IR (saved with --no-ir); use the run directory instead`);
    return { ir: l.ir, weights: l.tensors as Map<string, { shape: number[]; data: Float32Array }>, from: path };
  } catch (e) {
    if (e instanceof WeightsError) throw new CliError(e.message);
    throw e;
  }
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
    .action(async (trained: string, o: { net: string; input: string; output: string; backend: BackendKind; size?: number; mode: "eval" | "train" }) => {
      const be = await backend(o.backend);
      const { ir, weights, from } = await loadTrained(trained);
      const net = ir.nets.find((n) => n.name === o.net);
      if (!net) throw new CliError(`no net \`${o.net}\` in ${trained} (nets: ${ir.nets.map((n) => n.name).join(", ")})`);
      if (net.input.kind !== "image" || net.output.kind !== "image") throw new CliError(`\`${o.net}\` does not map images to images`);
      const size = o.size ?? ir.data.crop;
      if (!existsSync(o.input) || !statSync(o.input).isDirectory()) throw new CliError(`--input ${o.input} is not a folder`);
      const files = readdirSync(o.input).filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())).sort();
      if (!files.length) throw new CliError(`no images in ${o.input} (looked for ${IMAGE_EXTENSIONS.join(" ")})`);
      mkdirSync(join(o.output, "images"), { recursive: true });
      const model = new Model(ir, { nets: [o.net], weights });
      process.stderr.write(`gancc: backend ${be.name}; ${o.net} from ${from}; ${files.length} images at ${size}×${size}\n`);
      const pairs = [];
      const inC = net.input.channels as Channels;
      let failed = 0;
      for (const f of files) {
        let img;
        try {
          img = await decodeImage(join(o.input, f), inC === 1 || inC === 3 || inC === 4 ? inC : 3, { transform: { resize: { width: size, height: size }, flip: false, out: { width: size, height: size } } });
        } catch (e) {
          process.stderr.write(`warning: skipped ${join(o.input, f)}: ${(e as Error).message}\n`);
          failed++;
          continue;
        }
        const y = model.run(o.net, tf.tensor4d(img.data, [1, size, size, inC]), { training: o.mode === "train" });
        const [, h, w, c] = y.shape as number[];
        const v = (await y.data()) as Float32Array;
        y.dispose();
        const bytes = Buffer.alloc(v.length);
        for (let i = 0; i < v.length; i++) bytes[i] = Math.round((Math.min(1, Math.max(-1, v[i]!)) + 1) * 127.5);
        const stem = basename(f, extname(f));
        const inPath = join("images", `${stem}_input.png`);
        const outPath = join("images", `${stem}_${o.net}.png`);
        await sharp(Buffer.from(img.data.map((x) => Math.round((x + 1) * 127.5))), { raw: { width: size, height: size, channels: inC as 1 | 3 | 4 } }).png().toFile(join(o.output, inPath));
        await sharp(bytes, { raw: { width: w!, height: h!, channels: c as 1 | 3 | 4 } }).png().toFile(join(o.output, outPath));
        pairs.push({ name: f, input: inPath, output: outPath });
      }
      model.dispose();
      const page = writeTranslatePage(o.output, pairs, { title: `${ir.spec.name}: ${o.net}`, outputLabel: o.net, info: { spec: `${ir.spec.name} (${ir.spec.sha256.slice(0, 12)})`, weights: from, mode: o.mode, size: `${size}×${size}` } });
      process.stderr.write(`gancc: wrote ${pairs.length} images${failed ? ` (${failed} skipped)` : ""} and ${resolve(page)}\n`);
      if (!pairs.length) process.exitCode = 1;
    });
}
