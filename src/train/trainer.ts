/**
 * The generic training runner: whatever the IR declares, nothing recipe-specific.
 *
 * A run directory holds:
 *   ir.json          the IR trained (the runtime's only input)
 *   spec.gan         the spec's text, when trained from a spec
 *   run.json         the resolved run configuration, backend (and why), command, versions
 *   checkpoints/     see checkpoint.ts (weights, optimizer slots, pools, RNG, data position)
 *   weights.safetensors  the final weights of every net, with the IR (for `gancc translate`)
 *   metrics.jsonl, samples/, curves/, index.html, report.json   see ../report/reporter.ts
 *
 * Per iteration: the next batch → the schedule's learning-rate factor for its epoch →
 * `TrainingProgram.runIteration` (every step of the recipe) → metrics (the losses and every
 * step's learning rate) and progress; every `checkpointEvery` iterations and at the end of
 * each epoch a checkpoint; at the end of every `sampleEveryEpochs`-th epoch sample grids and
 * the held-out L1 (evaluate.ts); at the end of each epoch the HTML report. A non-finite loss
 * stops the run, naming the term and iteration, without writing a checkpoint (the last good
 * one stays). An interrupt (SIGINT) finishes the iteration, writes a checkpoint and stops.
 *
 * Faults: `--out` is checked before anything is written (an existing file, a path under a file,
 * /proc, /sys, /dev and other kernel filesystems, an unwritable place, a full disk), the
 * directory is created only once the data is known to be usable, and a start that fails removes
 * the directory it created. `--resume` first deletes the temporary files killed writes left,
 * then takes the newest intact checkpoint (checkpoint.ts), saying which and why; a run stopped
 * before its first checkpoint starts again from iteration 0.
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { makeDir, writeFileAtomic } from "../io/atomic.js";
import * as tf from "@tensorflow/tfjs";
import type { Ir } from "../ir/schema.js";
import { DataError, DataLoader, openDataset, type Dataset } from "../data/index.js";
import { Model } from "../runtime/model.js";
import type { RecomputeMode } from "../runtime/net.js";
import { lrMultiplier } from "../runtime/optim.js";
import { NonFiniteLossError, OutOfMemoryError } from "../runtime/program.js";
import { ProgressReporter, defaultProgressStream, type ProgressStream } from "../report/index.js";
import { saveWeights } from "../io/weights.js";
import { irHash, saveCheckpoint } from "./checkpoint.js";
import { TrainError } from "./errors.js";
import { checkRunDir, createRunDir, findResumePoint } from "./run_setup.js";
import { batchTensors, openRunReport } from "./run_report.js";
import { flatTermNames, flattenLosses, stepLearningRates } from "./terms.js";
import type { TrainedClassifier } from "./style.js";

export { TrainError, checkRunDir, flatTermNames, stepLearningRates };

export interface TrainOptions {
  ir: Ir;
  /** the spec's text (stored in the run directory), when training from a spec */
  specText?: string;
  /** what was trained, for the report: the spec or IR path */
  source: string;
  /** dataset root (trainA/ trainB/ …) */
  data: string;
  /** the run directory (created; must be empty unless resuming) */
  runDir: string;
  /** resume the run in `runDir` from its latest checkpoint */
  resume?: boolean;
  /** the backend in use, and why (`threads`: wasm's kernel threads, cpu's 1); written to run.json */
  backend: { name: string; reason: string; threads?: number };
  /** stop after this many iterations in total (a short run); default: the spec's epochs */
  maxIterations?: number;
  /** checkpoint every N iterations (and at the end of each epoch); default 500 */
  checkpointEvery?: number;
  /** checkpoints kept (default 2) */
  keepCheckpoints?: number;
  /** images per sample grid (default 4) */
  samples?: number;
  /** write sample grids every N epochs (default 1) */
  sampleEveryEpochs?: number;
  /** progress and warnings (default: stderr, through the reporter) */
  stream?: ProgressStream;
  /** plain progress lines every N iterations when not a TTY (default: by time) */
  logEvery?: number;
  /** resolved configuration, recorded in run.json and shown in the report */
  config?: Record<string, unknown>;
  /** the command line to record in run.json (the CLI passes its argv; default none) */
  command?: readonly string[];
  onWarning?: (msg: string) => void;
  /** polled after every iteration: true → checkpoint and stop */
  shouldStop?: () => boolean;
  /** a domain classifier: the per-epoch evaluation adds the style score (style.ts) */
  styleClassifier?: TrainedClassifier;
  /** "residual": recompute residual blocks in the backward pass (less memory, ~1/4 more compute; runtime/net.ts) */
  recompute?: RecomputeMode;
}

export interface TrainResult {
  runDir: string;
  iterations: number;
  epochs: number;
  state: "finished" | "stopped";
  lastLosses: Record<string, Record<string, number>>;
}

/**
 * Trains `o.ir` into `o.runDir`. A start that fails (bad data, an unreadable checkpoint, …)
 * writes nothing, and a run directory this call created is removed again.
 */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const dir = { created: undefined as string | undefined, started: false };
  try {
    return await trainIn(o, dir);
  } catch (e) {
    if (dir.created && !dir.started) rmSync(dir.created, { recursive: true, force: true });
    throw e;
  }
}

async function trainIn(o: TrainOptions, dir: { created?: string; started: boolean }): Promise<TrainResult> {
  const { ir } = o;
  const runDir = resolve(o.runDir);
  const out = o.stream ?? defaultProgressStream();
  const warn = o.onWarning ?? ((m: string) => void out.write(`warning: ${m}\n`));
  const paramBytes = ir.nets.reduce((s, n) => s + n.params.reduce((a, p) => a + 4 * p.shape.reduce((x, y) => x * y, 1), 0), 0);
  checkRunDir(runDir, o.resume ?? false, paramBytes * 4 * 3 + 64 * 2 ** 20);

  // resume: the newest intact checkpoint, which must belong to this IR
  const resumed = o.resume ? findResumePoint(runDir, ir, o.specText, warn) : undefined;

  // data first: bad folders fail before any file is written
  let dataset: Dataset;
  let testSet: Dataset | undefined;
  try {
    dataset = await openDataset(o.data, ir.data, { split: "train", onWarning: warn });
    testSet = await openDataset(o.data, ir.data, { split: "test", onWarning: warn, verify: false }).catch(() => undefined);
  } catch (e) {
    if (e instanceof DataError) throw new TrainError(e.message, 1);
    throw e;
  }
  const loader = new DataLoader(dataset, { batch: ir.train.batch, seed: ir.train.seed, state: resumed?.manifest.data ?? undefined, onWarning: warn });

  // the run directory: created only now that the data is known to be usable
  dir.created = createRunDir(runDir);
  makeDir(join(runDir, "checkpoints"));
  if (!resumed) {
    writeFileAtomic(join(runDir, "ir.json"), JSON.stringify(ir, null, 1) + "\n");
    if (o.specText !== undefined) writeFileAtomic(join(runDir, "spec.gan"), o.specText);
  }
  const runInfo = {
    source: o.source,
    data: resolve(o.data),
    backend: o.backend,
    command: o.command ?? [],
    config: o.config ?? {},
    specSha256: ir.spec.sha256,
    irSha256: irHash(ir),
    node: process.version,
    tfjs: tf.version.tfjs,
    resumedFrom: resumed ? { iteration: resumed.manifest.iteration, at: new Date().toISOString() } : undefined,
  };
  writeFileAtomic(join(runDir, resumed ? `run.resume-${resumed.manifest.iteration}.json` : "run.json"), JSON.stringify(runInfo, null, 1) + "\n");

  const model = new Model(ir, { weights: resumed?.weights, memory: { recompute: o.recompute } });
  const program = model.trainer();
  if (resumed) program.loadState(resumed.program);

  const names = flatTermNames(ir);
  const epochs = ir.train.epochs;
  const perEpoch = loader.batchesPerEpoch;
  const report = await openRunReport({
    ir,
    runDir,
    data: o.data,
    dataset,
    testSet,
    source: o.source,
    backendLabel: `${o.backend.name} (${o.backend.reason})`,
    config: o.config,
    command: o.command,
    epochs,
    itersPerEpoch: perEpoch,
    resume: resumed ? { iteration: resumed.manifest.iteration } : undefined,
    samples: o.samples,
    styleClassifier: o.styleClassifier,
    warn,
  });
  const reporter = report.reporter;
  const progress = new ProgressReporter({ epochs, itersPerEpoch: perEpoch, stream: o.stream, logEveryIterations: o.logEvery });

  let iteration = resumed?.manifest.iteration ?? 0;
  let lastLosses: Record<string, Record<string, number>> = resumed?.manifest.losses ?? {};
  let epoch = resumed?.manifest.epoch ?? 0;
  let epochIteration = resumed?.manifest.epochIteration ?? 0;
  let lrScale = lrMultiplier(ir.train.schedule, epoch, epochs);
  const checkpointEvery = o.checkpointEvery ?? 500;
  let lastSaved = iteration;

  const checkpoint = async () => {
    reporter.metrics.sync(); // the metrics up to this checkpoint are as durable as it is
    await saveCheckpoint({
      dir: join(runDir, "checkpoints"),
      model,
      program: await program.state(),
      iteration,
      epoch,
      epochIteration,
      data: loader.state(),
      lrScale,
      losses: lastLosses,
      backend: o.backend.name,
      keep: o.keepCheckpoints,
    });
    lastSaved = iteration;
  };
  // `ep`: the 1-based epoch the evaluation belongs to (0: the untrained nets)
  const runEvaluation = async (ep: number) => {
    const m = await report.evaluate(model, ep, iteration);
    if (m) progress.message(`held-out ${Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}`);
  };
  const writeSamples = (ep: number, caption?: string) => report.writeSamples(model, ep, iteration, caption);

  progress.start({ epoch: epoch + 1, iteration: epochIteration });
  let state: "finished" | "stopped" = "finished";
  try {
    if (!resumed) {
      await writeSamples(0); // the untrained nets, for comparison
      await runEvaluation(0);
    }
    await reporter.write({ state: "running" });
    dir.started = true;
    while (epoch < epochs && (o.maxIterations === undefined || iteration < o.maxIterations)) {
      const b = await loader.next();
      if (b.epoch !== epoch) {
        epoch = b.epoch;
        epochIteration = 0;
      }
      if (epoch >= epochs) break;
      lrScale = lrMultiplier(ir.train.schedule, epoch, epochs);
      const x = batchTensors(b);
      try {
        lastLosses = (await program.runIteration(x, lrScale)).losses;
      } catch (e) {
        if (e instanceof NonFiniteLossError) {
          const at = lastSaved > 0 || resumed ? `the last good checkpoint (iteration ${lastSaved}) is kept in ${join(runDir, "checkpoints")}` : "no checkpoint had been written yet";
          throw new TrainError(
            `loss term \`${e.term}\` (loss \`${e.loss}\`) became ${e.value} at iteration ${iteration + 1} (epoch ${epoch + 1}); training stopped and ${at}. ` +
              `Try a lower learning rate, or check the data for constant images.`,
            1,
          );
        }
        if (e instanceof OutOfMemoryError) throw new TrainError(`${e.message} Stopped at iteration ${iteration + 1}; the last checkpoint (iteration ${lastSaved}) is kept.`, 1);
        throw e;
      } finally {
        tf.dispose(Object.values(x));
      }
      iteration += 1;
      epochIteration += 1;
      const flat = flattenLosses(names, lastLosses);
      // metrics.jsonl counts epochs from 1 (the loader's `epoch` is 0-based)
      reporter.log({ iteration, epoch: epoch + 1, lr: stepLearningRates(ir, lrScale), losses: flat });
      progress.update({ epoch: epoch + 1, iteration: epochIteration, losses: flat });
      const stop = o.shouldStop?.() ?? false;
      if (b.lastInEpoch) {
        progress.endEpoch(flat);
        epoch += 1;
        epochIteration = 0;
        await checkpoint();
        if (epoch % (o.sampleEveryEpochs ?? 1) === 0 || epoch === epochs) {
          await writeSamples(epoch);
          await runEvaluation(epoch);
        }
        await reporter.write();
      } else if (iteration % checkpointEvery === 0 || stop) {
        await checkpoint();
      }
      if (stop) {
        state = "stopped";
        break;
      }
    }
    if (lastSaved !== iteration) await checkpoint();
    if (state === "finished" && o.maxIterations !== undefined && epoch < epochs) state = "stopped";
    const weights = await model.read();
    await saveWeights(join(runDir, "weights.safetensors"), { ir, tensors: weights, extraMetadata: { iteration: String(iteration) } });
    // a run stopped inside an epoch shows where it got to (a finished epoch already has its grids)
    if (epochIteration > 0) await runEvaluation(epoch + 1);
    if (epochIteration > 0) await writeSamples(epoch + 1, `iteration ${iteration}: epoch ${epoch + 1} was stopped after ${epochIteration} of ${perEpoch} iterations`);
    await reporter.write({ state: state === "finished" ? "finished" : "stopped", error: state === "stopped" ? `stopped at iteration ${iteration} (resume with --resume ${runDir})` : undefined, endTime: new Date() });
    progress.finish({ state: state === "finished" ? "finished" : "stopped" });
  } catch (e) {
    progress.finish({ state: "stopped", error: (e as Error).message });
    await reporter.write({ state: "stopped", error: (e as Error).message, endTime: new Date() }).catch(() => undefined);
    throw e;
  } finally {
    report.dispose();
    await loader.close();
    model.dispose();
  }
  return { runDir, iterations: iteration, epochs: epoch, state, lastLosses };
}

