// The actions of `gancc train` and `gancc translate` (see train.ts for their options): configuration
// merging and printing only; the work is in src/train, src/apply and src/report.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Ir } from "../ir/schema.js";
import { SourceOptionsError, loadSpecOrIr } from "../compiler/load.js";
import { BackendUnavailableError, selectBackend, type BackendKind } from "../runtime/backend.js";
import { TranslateError, translateFolder } from "../apply/translate.js";
import { ConfigError, parseRunConfig, type RunConfig } from "../train/config.js";
import { TrainError, train } from "../train/trainer.js";
import { CheckpointError } from "../train/checkpoint.js";
import { TrainedModelError, loadTrained, type TrainedModel } from "../apply/trained.js";
import { WeightsError } from "../io/weights.js";
import { CliError, asUsageError, readText, report } from "./common.js";
import { resolveClassifier } from "./style_classifier.js";

/** A spec (.gan, compiled with --set; diagnostics printed) or an IR file (.json, written by `gancc compile`). */
function loadSource(path: string, set: Record<string, string | number | boolean>): { ir: Ir; specText?: string } {
  const r = asUsageError(() => loadSpecOrIr(path, { set }), [SourceOptionsError]);
  if (r.error !== undefined) throw new CliError(r.error);
  if (r.source) report(r.diagnostics, r.source, {});
  if (!r.ir) throw new TrainError(`${path} has errors (above); nothing was trained`, 1);
  return { ir: r.ir, specText: r.specText };
}

/** The selected backend (its warning, e.g. wasm threads that could not start, printed). */
async function backend(kind: BackendKind, threads?: number): Promise<{ name: string; reason: string; threads?: number }> {
  const env = process.env.GANCC_THREADS?.trim();
  if (threads === undefined && env && !/^[1-9][0-9]*$/.test(env)) throw new CliError(`GANCC_THREADS must be a whole number ≥ 1 (the default for --threads), got \`${env}\``);
  try {
    const b = await selectBackend(kind, { threads });
    if (b.warning) process.stderr.write(`warning: ${b.warning}\n`);
    return { name: b.name, reason: b.reason, ...(b.threads !== undefined ? { threads: b.threads } : {}) };
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

/** The torch engine's flags (their YAML keys are the snake_case names). */
interface TorchFlags {
  engine?: "tfjs" | "torch";
  device?: "auto" | "cpu" | "cuda";
  python?: string;
  nproc?: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
}

/** The engine of the run in `runDir` (run.json's `engine`; runs before the torch engine: tfjs). */
function runEngine(runDir: string): "tfjs" | "torch" {
  try {
    return (JSON.parse(readText(join(runDir, "run.json"))) as { engine?: string }).engine === "torch" ? "torch" : "tfjs";
  } catch {
    return "tfjs";
  }
}

/** The classifier a resumed run was judged by (run.json records its path), so its style score goes on. */
function resumedStyleClassifier(runDir: string): string | undefined {
  try {
    const c = (JSON.parse(readText(join(runDir, "run.json"))) as { config?: { style_classifier?: unknown } }).config?.style_classifier;
    return typeof c === "string" ? c : undefined;
  } catch {
    return undefined;
  }
}

export async function runTrain(specArg: string | undefined, o: TorchFlags & { data?: string; out?: string; resume?: string; backend?: BackendKind; set: Record<string, string>; config?: string; maxIters?: number; checkpointEvery?: number; samples?: number; logEvery?: number; styleClassifier?: string; recompute?: "none" | "residual"; threads?: number }): Promise<void> {
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
  const engine = o.engine ?? cfg.engine ?? (o.resume ? runEngine(o.resume) : "tfjs");
  const torch = {
    device: o.device ?? cfg.device,
    python: o.python ?? cfg.python,
    nproc: o.nproc ?? cfg.nproc,
    nnodes: o.nnodes ?? cfg.nnodes,
    nodeRank: o.nodeRank ?? cfg.node_rank,
    masterAddr: o.masterAddr ?? cfg.master_addr,
    masterPort: o.masterPort ?? cfg.master_port,
  };
  if (engine !== "torch") {
    const flags: Record<keyof typeof torch, string> = { device: "--device", python: "--python", nproc: "--nproc", nnodes: "--nnodes", nodeRank: "--node-rank", masterAddr: "--master-addr", masterPort: "--master-port" };
    const given = (Object.keys(flags) as (keyof typeof torch)[]).filter((k) => torch[k] !== undefined).map((k) => flags[k]);
    if (given.length) throw new CliError(`${given.join(", ")} ${given.length === 1 ? "is an option" : "are options"} of the torch engine; add --engine torch (or drop ${given.length === 1 ? "it" : "them"} to train with tfjs)`);
  } else if ((o.recompute ?? cfg.recompute ?? "none") !== "none") {
    throw new CliError("--recompute is an option of the tfjs engine (PyTorch keeps its own autograd graph); drop it, or train with --engine tfjs");
  }
  const be = await backend(o.backend ?? cfg.backend ?? "auto", o.threads ?? cfg.threads);
  if (engine === "tfjs") process.stderr.write(`gancc: backend ${be.name} — ${be.reason}\n`);
  process.stderr.write(`gancc: training ${ir.spec.name} (${spec}) on ${dataDir} → ${runDir}\n`);
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write("\ngancc: interrupted: finishing this iteration and writing a checkpoint (Ctrl-C again to quit at once)\n");
  };
  process.on("SIGINT", onSigint);
  try {
    const styleClassifier = await resolveClassifier(o.styleClassifier ?? cfg.style_classifier ?? (o.resume ? resumedStyleClassifier(o.resume) : undefined), { data: dataDir, runIr: ir, backend: be });
    // run.json's config, as both engines record it (the classifier's path too, so that --resume keeps the score)
    const config = { ...cfg, set, data: dataDir, out: runDir, backend: be.name, ...(styleClassifier ? { style_classifier: styleClassifier.from } : {}) };
    // what both engines take alike
    const run = {
      ir,
      specText,
      source: spec,
      data: dataDir,
      runDir,
      resume: !!o.resume,
      backend: be,
      styleClassifier,
      maxIterations: o.maxIters ?? cfg.max_iters,
      checkpointEvery: o.checkpointEvery ?? cfg.checkpoint_every,
      keepCheckpoints: cfg.keep_checkpoints,
      samples: o.samples ?? cfg.samples,
      sampleEveryEpochs: cfg.sample_every,
      logEvery: o.logEvery ?? cfg.log_every,
      command: process.argv.slice(1),
      shouldStop: () => stop,
    };
    if (engine === "torch") {
      const { trainTorch } = await import("../torch/launch.js");
      const r = await trainTorch({
        ...run,
        ...torch,
        config: { ...config, engine, ...torch },
        onReady: (i) => process.stderr.write(`gancc: engine torch — PyTorch ${i.torch} (${i.python}) on ${i.device}, ${i.worldSize} process${i.worldSize === 1 ? "" : "es"}; samples rendered with tfjs ${be.name}\n`),
      });
      const where = (torch.nodeRank ?? 0) > 0 ? `node ${torch.nodeRank}'s processes ended; the run directory is on node 0` : `report: ${join(r.runDir, "index.html")}`;
      process.stderr.write(`gancc: ${r.state} after ${r.iterations} iterations (PyTorch ${r.torch} on ${r.device}, ${r.worldSize} process${r.worldSize === 1 ? "" : "es"}); ${where}\n`);
      if (r.state === "stopped" && stop) process.exitCode = 130;
      return;
    }
    const r = await train({
      ...run,
      recompute: o.recompute ?? cfg.recompute,
      config: { ...config, ...((o.recompute ?? cfg.recompute) ? { recompute: o.recompute ?? cfg.recompute } : {}) },
    });
    process.stderr.write(`gancc: ${r.state} after ${r.iterations} iterations; report: ${join(r.runDir, "index.html")}\n`);
    if (r.state === "stopped" && stop) process.exitCode = 130;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

export async function runTranslate(trained: string, o: { net: string; input: string; output: string; backend: BackendKind; threads?: number; size?: number; mode: "eval" | "train" }): Promise<void> {
  const be = await backend(o.backend, o.threads);
  const model = await loadTrainedOrExplain(trained);
  let r;
  try {
    r = await translateFolder(model, {
      ...o,
      onStart: ({ files, size }) => process.stderr.write(`gancc: backend ${be.name}${be.threads !== undefined ? ` (${be.threads} thread${be.threads === 1 ? "" : "s"})` : ""}; ${o.net} from ${model.from}; ${files} images at ${size}×${size}\n`),
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
    });
  } catch (e) {
    if (e instanceof TranslateError) throw new CliError(e.message);
    throw e;
  }
  process.stderr.write(`gancc: wrote ${r.pairs.length} images${r.skipped ? ` (${r.skipped} skipped)` : ""} and ${resolve(r.page)}\n`);
  if (!r.pairs.length) process.exitCode = 1;
}
