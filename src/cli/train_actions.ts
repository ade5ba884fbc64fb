// The actions of `gancc train` and `gancc translate` (see train.ts for their options): configuration
// merging and printing only; the work is in src/runtime/train and src/runtime/report.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { Ir } from "../compiler/ir.js";
import { readIr } from "../compiler/schema.js";
import { hasErrors } from "../dsl/diagnostics.js";
import { BackendUnavailableError, selectBackend, type BackendKind } from "../runtime/backend.js";
import { IMAGE_EXTENSIONS } from "../data/index.js";
import { imageFileToTensor, tensorToPng } from "../apply/images.js";
import { Model } from "../runtime/model.js";
import { writeTranslatePage } from "../report/index.js";
import { ConfigError, parseRunConfig, type RunConfig } from "../train/config.js";
import { TrainError, train } from "../train/trainer.js";
import { CheckpointError } from "../train/checkpoint.js";
import { TrainedModelError, loadTrained, type TrainedModel } from "../apply/trained.js";
import { WeightsError } from "../io/weights.js";
import { CliError, compileFile, readText, report } from "./common.js";

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

/** The trained model at `path`, with loading errors as usage errors. */
async function loadTrainedOrExplain(path: string): Promise<TrainedModel> {
  try {
    return await loadTrained(path);
  } catch (e) {
    if (e instanceof TrainedModelError || e instanceof WeightsError || e instanceof CheckpointError) throw new CliError(e.message);
    throw e;
  }
}

export async function runTrain(specArg: string | undefined, o: { data?: string; out?: string; resume?: string; backend?: BackendKind; set: Record<string, string>; config?: string; maxIters?: number; checkpointEvery?: number; samples?: number; logEvery?: number }): Promise<void> {
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
}

export async function runTranslate(trained: string, o: { net: string; input: string; output: string; backend: BackendKind; size?: number; mode: "eval" | "train" }): Promise<void> {
  const be = await backend(o.backend);
  const { ir, weights, from } = await loadTrainedOrExplain(trained);
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
  let failed = 0;
  for (const f of files) {
    let x;
    try {
      x = await imageFileToTensor(join(o.input, f), net.input.channels, size);
    } catch (e) {
      process.stderr.write(`warning: skipped ${join(o.input, f)}: ${(e as Error).message}\n`);
      failed++;
      continue;
    }
    const y = model.run(o.net, x, { training: o.mode === "train" });
    const stem = basename(f, extname(f));
    const inPath = join("images", `${stem}_input.png`);
    const outPath = join("images", `${stem}_${o.net}.png`);
    try {
      writeFileSync(join(o.output, inPath), await tensorToPng(x));
      writeFileSync(join(o.output, outPath), await tensorToPng(y));
    } finally {
      tf.dispose([x, y]);
    }
    pairs.push({ name: f, input: inPath, output: outPath });
  }
  model.dispose();
  const page = writeTranslatePage(o.output, pairs, { title: `${ir.spec.name}: ${o.net}`, outputLabel: o.net, info: { spec: `${ir.spec.name} (${ir.spec.sha256.slice(0, 12)})`, weights: from, mode: o.mode, size: `${size}×${size}` } });
  process.stderr.write(`gancc: wrote ${pairs.length} images${failed ? ` (${failed} skipped)` : ""} and ${resolve(page)}\n`);
  if (!pairs.length) process.exitCode = 1;
}
