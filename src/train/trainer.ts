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
import { existsSync, readdirSync, rmSync, statfsSync, statSync, realpathSync, writeFileSync, readFileSync, accessSync, constants } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { makeDir, removeStaleTemps, writeFileAtomic } from "../io/atomic.js";
import * as tf from "@tensorflow/tfjs";
import type { Ir } from "../ir/schema.js";
import { DataError, DataLoader, openDataset, type Batch as DataBatch, type Dataset } from "../data/index.js";
import { Model } from "../runtime/model.js";
import { lrMultiplier } from "../runtime/optim.js";
import { NonFiniteLossError, OutOfMemoryError } from "../runtime/program.js";
import { RunReporter, ProgressReporter, defaultProgressStream, type ProgressStream } from "../report/index.js";
import { saveWeights } from "../io/weights.js";
import { CheckpointError, irHash, loadNewestIntactCheckpoint, saveCheckpoint, type CheckpointManifest } from "./checkpoint.js";
import { renderSamples, sampleGrids } from "./samples.js";
import { TrainError } from "./errors.js";
import { baselineName, evaluate, openEvaluationSet, translations } from "./evaluate.js";

export { TrainError };

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
  backend: { name: string; reason: string };
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
}

export interface TrainResult {
  runDir: string;
  iterations: number;
  epochs: number;
  state: "finished" | "stopped";
  lastLosses: Record<string, Record<string, number>>;
}

/** Loss terms as flat names: the term's name, or `loss.term` where two losses share a term name. */
export function flatTermNames(ir: Ir): Map<string, string> {
  const count = new Map<string, number>();
  for (const l of ir.losses) for (const t of l.terms) count.set(t.name, (count.get(t.name) ?? 0) + 1);
  const out = new Map<string, string>();
  for (const l of ir.losses) for (const t of l.terms) out.set(`${l.name}\u0000${t.name}`, count.get(t.name)! > 1 ? `${l.name}.${t.name}` : t.name);
  return out;
}

function flatten(names: Map<string, string>, losses: Record<string, Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [loss, terms] of Object.entries(losses)) for (const [t, v] of Object.entries(terms)) out[names.get(`${loss}\u0000${t}`) ?? `${loss}.${t}`] = v;
  return out;
}

/**
 * The learning rate each training step uses this iteration (its optimizer's `lr` times the
 * schedule's factor), keyed by the step's loss name (`{generator: 2e-4, discriminator: 1e-4}`,
 * the `lr` of metrics.jsonl); `loss#k` (k = 1, 2, …) where several steps train one loss.
 */
export function stepLearningRates(ir: Ir, lrScale: number): Record<string, number> {
  const count = new Map<string, number>();
  for (const s of ir.train.steps) count.set(s.loss, (count.get(s.loss) ?? 0) + 1);
  const seen = new Map<string, number>();
  const out: Record<string, number> = {};
  for (const s of ir.train.steps) {
    const k = (seen.get(s.loss) ?? 0) + 1;
    seen.set(s.loss, k);
    out[count.get(s.loss)! > 1 ? `${s.loss}#${k}` : s.loss] = s.optimizer.lr * lrScale;
  }
  return out;
}

function toTensors(b: DataBatch): Record<string, tf.Tensor4D> {
  return Object.fromEntries(Object.entries(b.data).map(([d, x]) => [d, tf.tensor4d(x, b.shape[d]!)]));
}

/** Kernel filesystems that hold no files (statfs magic numbers, Linux). */
const SPECIAL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, "proc"],
  [0x62656572, "sysfs"],
  [0x1cd1, "devpts"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0xcafe4a11, "bpf"],
]);
const SPECIAL_DIRS = ["/proc", "/sys", "/dev"];

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Fails before anything is written if `runDir` cannot be a run directory: an existing file, a
 * path under a file, a special filesystem (/proc, /sys, /dev), an unwritable place, a non-empty
 * directory (unless resuming) or a nearly full disk. Creates nothing.
 */
export function checkRunDir(runDir: string, resume: boolean, bytesNeeded: number): void {
  const abs = resolve(runDir);
  const cannot = (why: string) => new TrainError(`cannot write to the run directory ${abs}: ${why}; choose a writable --out`, 2);
  // the nearest existing ancestor (or runDir itself)
  let anc = abs;
  for (;;) {
    try {
      statSync(anc);
      break;
    } catch (e) {
      const code = errnoOf(e);
      if (code === "ENOTDIR") throw cannot(`a part of the path is a file, not a directory`);
      if (code !== "ENOENT") throw cannot((e as Error).message);
      if (dirname(anc) === anc) throw cannot("no part of the path exists");
      anc = dirname(anc);
    }
  }
  let real = anc;
  try {
    real = realpathSync(anc);
  } catch {
    /* keep the path as given */
  }
  const special = SPECIAL_DIRS.find((d) => real === d || real.startsWith(d + "/"));
  let fsType: string | undefined;
  try {
    fsType = SPECIAL_FILESYSTEMS.get(Number(statfsSync(anc).type));
  } catch {
    /* statfs unsupported */
  }
  if (special || fsType) {
    throw new TrainError(
      `cannot use ${abs} as a run directory: it is on ${fsType ? `a ${fsType} filesystem` : special}, a special filesystem of the kernel that holds no ordinary files; choose --out on a normal disk (e.g. runs/NAME)`,
      2,
    );
  }
  const st = statSync(anc);
  if (!st.isDirectory()) {
    throw anc === abs
      ? new TrainError(`cannot write to the run directory ${abs}: it exists and is a file, not a directory; choose another --out (a new or empty directory)`, 2)
      : cannot(`${anc} is a file, not a directory`);
  }
  if (anc === abs && !resume && readdirSync(abs).length > 0) {
    throw new TrainError(`the run directory ${runDir} already exists and is not empty; choose another --out, or continue it with --resume ${runDir}`, 2);
  }
  try {
    accessSync(anc, constants.W_OK);
  } catch (e) {
    throw cannot((e as Error).message);
  }
  try {
    const s = statfsSync(anc);
    const free = Number(s.bavail) * Number(s.bsize);
    if (free < bytesNeeded) {
      throw new TrainError(
        `only ${(free / 2 ** 20).toFixed(0)} MiB free under ${runDir}, and this run needs about ${(bytesNeeded / 2 ** 20).toFixed(0)} MiB (checkpoints: weights + optimizer state, kept twice, plus samples); free some space or choose another --out`,
        2,
      );
    }
  } catch (e) {
    if (e instanceof TrainError) throw e;
    // statfs unsupported: go on, writes will report a full disk themselves
  }
}

/** Creates the run directory (checked by checkRunDir) and probes it; returns the topmost directory created, if any. */
function createRunDir(runDir: string): string | undefined {
  let created: string | undefined;
  try {
    created = makeDir(runDir);
    const probe = join(runDir, `.write-test-${process.pid}`);
    writeFileSync(probe, "ok");
    rmSync(probe, { force: true });
    return created;
  } catch (e) {
    if (created) rmSync(created, { recursive: true, force: true });
    throw new TrainError(`cannot write to the run directory ${runDir}: ${(e as Error).message}; choose a writable --out`, 2);
  }
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
  let resumed: ReturnType<typeof loadNewestIntactCheckpoint>;
  if (o.resume) {
    // the folders a run writes to, and only in a run directory (not wherever --resume points)
    const isRun = existsSync(join(runDir, "ir.json")) || existsSync(join(runDir, "checkpoints"));
    const removed = isRun ? removeStaleTemps(["", "checkpoints", "samples", "curves"].map((d) => join(runDir, d))) : [];
    if (removed.length) warn(`removed ${removed.length} temporary file${removed.length === 1 ? "" : "s"} a killed write left behind (${removed.map((p) => relative(runDir, p)).join(", ")})`);
    try {
      resumed = loadNewestIntactCheckpoint(join(runDir, "checkpoints"));
    } catch (e) {
      if (e instanceof CheckpointError) throw new TrainError(`cannot resume ${runDir}: ${e.message}`, 1);
      throw e;
    }
    if (!resumed) {
      // stopped before its first checkpoint: nothing was lost, so it starts again from iteration 0
      let old: Ir | undefined;
      try {
        old = JSON.parse(readFileSync(join(runDir, "ir.json"), "utf8")) as Ir;
      } catch {
        throw new TrainError(`cannot resume ${runDir}: it has no checkpoint and no readable ir.json, so it is not a gancc run directory; start a new run (another --out)`, 1);
      }
      checkSameSpec(runDir, ir, o.specText, { irSha256: irHash(old) } as CheckpointManifest);
      warn(`${runDir} has no checkpoint yet (the run stopped before its first one): starting it again from iteration 0`);
    } else if (resumed.skipped.length) {
      warn(
        `the latest checkpoint cannot be used: ${resumed.skipped.map((k) => `${relative(runDir, k.file)}: ${k.why}`).join("; ")}. ` +
          `Resuming from ${relative(runDir, resumed.from)} (iteration ${resumed.manifest.iteration}), the newest intact checkpoint` +
          (resumed.movedAside.length ? `; the damaged files were kept as ${resumed.movedAside.map((p) => relative(runDir, p)).join(", ")}` : ""),
      );
    }
    if (resumed) checkSameSpec(runDir, ir, o.specText, resumed.manifest);
  }

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

  const model = new Model(ir, { weights: resumed?.weights });
  const program = model.trainer();
  if (resumed) program.loadState(resumed.program);

  const names = flatTermNames(ir);
  // held-out L1 against ground truth, where the test split has pairs (see evaluate.ts)
  let evalTs = translations(ir);
  const evalSet = evalTs.length ? await openEvaluationSet(o.data, ir.data) : {};
  if (evalTs.length && !evalSet.set) {
    warn(`no held-out L1: the test split has no ground-truth pairs (${evalSet.why})`);
    evalTs = [];
  }
  const epochs = ir.train.epochs;
  const perEpoch = loader.batchesPerEpoch;
  const reporter = new RunReporter(runDir, {
    header: { specName: ir.spec.name, specHash: ir.spec.sha256, backend: `${o.backend.name} (${o.backend.reason})`, startTime: new Date(), irPath: o.source, command: o.command ?? [] },
    lossGroups: [
      ...ir.losses.map((l) => ({ group: l.name, terms: l.terms.map((t) => names.get(`${l.name}\u0000${t.name}`)!) })),
      ...(evalTs.length ? [{ group: "test split (L1 to ground truth)", terms: evalTs.flatMap((t) => [t.name, baselineName(t)]) }] : []),
    ],
    config: o.config,
    epochs,
    itersPerEpoch: perEpoch,
    resume: resumed ? { iteration: resumed.manifest.iteration } : undefined,
  });
  const progress = new ProgressReporter({ epochs, itersPerEpoch: perEpoch, stream: o.stream, logEveryIterations: o.logEvery });

  // fixed sample images: the first items of the test split (else of the training set), eval mode
  const grids = sampleGrids(ir);
  const nSamples = o.samples ?? 4;
  let sampleBatch: Record<string, tf.Tensor4D> | undefined;
  if (grids.length && nSamples > 0) {
    const src = testSet ?? dataset;
    const sl = new DataLoader(src, { batch: Math.min(nSamples, src.length), seed: ir.train.seed, mode: "eval", prefetch: false, onWarning: warn });
    sampleBatch = toTensors(await sl.next());
    await sl.close();
  }

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
    if (!evalTs.length || !evalSet.set) return;
    const m = await evaluate(model, evalTs, evalSet.set);
    reporter.log({ iteration, epoch: ep, losses: m });
    progress.message(`held-out ${Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}`);
  };
  const writeSamples = async (ep: number, caption?: string) => {
    if (!sampleBatch) return;
    const rendered = await renderSamples(model, grids, sampleBatch);
    await reporter.addSamples(
      ep,
      iteration,
      rendered.map((r) => ({ name: r.spec.name, caption, labels: r.spec.columns.map((c) => c.label), rows: r.rows })),
    );
  };

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
      const x = toTensors(b);
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
      const flat = flatten(names, lastLosses);
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
    if (sampleBatch) tf.dispose(Object.values(sampleBatch));
    await loader.close();
    model.dispose();
  }
  return { runDir, iterations: iteration, epochs: epoch, state, lastLosses };
}

/** Refuses to resume a run with a different spec, showing what changed. */
function checkSameSpec(runDir: string, ir: Ir, specText: string | undefined, m: CheckpointManifest): void {
  if (m.irSha256 === irHash(ir)) return;
  const lines: string[] = [`cannot resume ${runDir}: its checkpoint was trained from a different spec (IR ${m.irSha256.slice(0, 12)}, now ${irHash(ir).slice(0, 12)}).`];
  try {
    const old = JSON.parse(readFileSync(join(runDir, "ir.json"), "utf8")) as Ir;
    for (const k of new Set([...Object.keys(old.spec.params), ...Object.keys(ir.spec.params)])) {
      if (JSON.stringify(old.spec.params[k]) !== JSON.stringify(ir.spec.params[k])) lines.push(`  param ${k}: ${JSON.stringify(old.spec.params[k])} → ${JSON.stringify(ir.spec.params[k])}`);
    }
    const oldNets = new Map(old.nets.map((n) => [n.name, n]));
    for (const n of ir.nets) {
      const o = oldNets.get(n.name);
      if (!o) lines.push(`  net ${n.name}: new`);
      else if (JSON.stringify(o.params.map((p) => [p.name, p.shape])) !== JSON.stringify(n.params.map((p) => [p.name, p.shape]))) lines.push(`  net ${n.name}: its parameters differ`);
    }
    for (const n of old.nets) if (!ir.nets.some((x) => x.name === n.name)) lines.push(`  net ${n.name}: removed`);
    if (JSON.stringify(old.train) !== JSON.stringify(ir.train)) lines.push("  the train section differs");
    if (JSON.stringify(old.losses.map((l) => l.terms.map((t) => t.name))) !== JSON.stringify(ir.losses.map((l) => l.terms.map((t) => t.name)))) lines.push("  the losses differ");
  } catch {
    /* no readable ir.json: the hash line says enough */
  }
  if (specText !== undefined && existsSync(join(runDir, "spec.gan"))) {
    const a = readFileSync(join(runDir, "spec.gan"), "utf8").split("\n");
    const b = specText.split("\n");
    let shown = 0;
    for (let i = 0; i < Math.max(a.length, b.length) && shown < 8; i++) {
      if (a[i] !== b[i]) {
        lines.push(`  line ${i + 1}: - ${a[i] ?? ""}`, `  line ${i + 1}: + ${b[i] ?? ""}`);
        shown++;
      }
    }
  }
  lines.push(`Train the changed spec as a new run (another --out), or resume with the spec in ${join(runDir, "spec.gan")} / ${join(runDir, "ir.json")}.`);
  throw new TrainError(lines.join("\n"), 1);
}
