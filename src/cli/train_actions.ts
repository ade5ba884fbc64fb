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

/** A spec (.gan, compiled with --set; diagnostics printed) or an IR file (.json, written by `gancc compile`). */
function loadSource(path: string, set: Record<string, string | number | boolean>): { ir: Ir; specText?: string } {
  const r = asUsageError(() => loadSpecOrIr(path, { set }), [SourceOptionsError]);
  if (r.error !== undefined) throw new CliError(r.error);
  if (r.source) report(r.diagnostics, r.source, {});
  if (!r.ir) throw new TrainError(`${path} has errors (above); nothing was trained`, 1);
  return { ir: r.ir, specText: r.specText };
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
  const model = await loadTrainedOrExplain(trained);
  let r;
  try {
    r = await translateFolder(model, {
      ...o,
      onStart: ({ files, size }) => process.stderr.write(`gancc: backend ${be.name}; ${o.net} from ${model.from}; ${files} images at ${size}×${size}\n`),
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
    });
  } catch (e) {
    if (e instanceof TranslateError) throw new CliError(e.message);
    throw e;
  }
  process.stderr.write(`gancc: wrote ${r.pairs.length} images${r.skipped ? ` (${r.skipped} skipped)` : ""} and ${resolve(r.page)}\n`);
  if (!r.pairs.length) process.exitCode = 1;
}
