/**
 * `gancc train --engine torch`: trains an IR with the generated PyTorch code (emit.ts) in a
 * Python child process — one, or `torch.distributed.run` for several processes and machines —
 * and writes the same run directory as the tfjs trainer (trainer.ts):
 *
 *   ir.json, spec.gan, run.json (engine "torch", torch version, device, world size)
 *   torch/             the generated code and options.json (self-contained; copy it to a cluster)
 *   checkpoints/       written by Python rank 0 in gancc's format (both engines resume them)
 *   metrics.jsonl, samples/, curves/, index.html   from the runtime's events, by the same
 *                      reporter; samples and held-out L1 rendered with the tfjs code from each
 *                      epoch's weight snapshot
 *   weights.safetensors  from the final checkpoint
 *
 * Before anything is written: the interpreter, torch ≥ 1.13, numpy, Pillow and (when asked)
 * CUDA are checked (python_env.ts), `--out` is checked and the data opened, exactly as the
 * tfjs trainer does (run_setup.ts). A start that fails before the runtime's first event removes
 * the run directory it created. SIGINT (`shouldStop`) is forwarded to the child, which finishes
 * its iteration, writes a checkpoint and stops; a child that dies (a rank crashing, the OOM
 * killer) stops the run with a TrainError naming the last checkpoint, which the runtime wrote
 * atomically and is intact.
 *
 * On a machine with `nodeRank` > 0 the launcher only writes `RUN/torch`, starts its processes
 * and passes their output through: global rank 0 (on node 0) writes the run directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { join, resolve } from "node:path";
import { makeDir, writeFileAtomic } from "../io/atomic.js";
import type { Ir } from "../ir/schema.js";
import type { HostTensor } from "../io/tensor.js";
import { readSafetensorsFileSync, tensorAsFloat32 } from "../io/safetensors.js";
import { saveWeights } from "../io/weights.js";
import { formatBytes, summarize } from "../compiler/summary.js";
import { DataError, DataLoader, openDataset, type Dataset } from "../data/index.js";
import { Model } from "../runtime/model.js";
import { ProgressReporter, defaultProgressStream } from "../report/index.js";
import type { TrainOptions, TrainResult } from "../train/trainer.js";
import { TrainError } from "../train/errors.js";
import { CheckpointError, irHash, loadCheckpoint, loadNewestIntactCheckpoint } from "../train/checkpoint.js";
import { checkRunDir, createRunDir, findResumePoint } from "../train/run_setup.js";
import { openRunReport, type RunReport } from "../train/run_report.js";
import { flatTermNames, flattenLosses, stepLearningRates } from "../train/terms.js";
import { emitTorch } from "./emit.js";
import { PythonEnvError, checkPythonEnv, findPython, type PythonEnv, type TorchDevice } from "./python_env.js";
import { TopologyError, isDistributed, pythonArgs, resolveTopology, worldSize, type Topology, type TorchOptionsFile } from "./launch_command.js";
import { parseEventLine, type ErrorEvent, type StartEvent, type TorchEvent } from "./launch_events.js";

export interface TorchTrainOptions extends Omit<TrainOptions, "backend"> {
  /** the tfjs backend that renders samples and the held-out evaluation from the snapshots */
  backend: { name: string; reason: string };
  /** the interpreter (a path, or a command on PATH; default python3 on PATH) */
  python?: string;
  device?: TorchDevice;
  nproc?: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /** default float32 */
  dtype?: "float32" | "float64";
  /** torch.set_num_threads in each process (default: torch's own choice) */
  threads?: number;
  /** tests: pre-made batches instead of the data loader, and a dump of every parameter after the run */
  batches?: string;
  dump?: string;
  /** the child's environment (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** called once the interpreter and torch are checked, before anything is written */
  onReady?: (info: { python: string; torch: string; device: "cpu" | "cuda"; worldSize: number }) => void;
}

export interface TorchTrainResult extends TrainResult {
  torch: string;
  device: string;
  worldSize: number;
}

/** A configuration problem found before anything ran (exit code 2, like other usage errors). */
function usage(e: unknown): never {
  if (e instanceof PythonEnvError || e instanceof TopologyError) throw new TrainError(e.message, 2);
  throw e;
}

/** The parameters in a params-only snapshot or checkpoint file (`param/<IR name>`). */
function readParams(file: string): Map<string, HostTensor> {
  const c = readSafetensorsFileSync(file);
  const out = new Map<string, HostTensor>();
  for (const [name, t] of Object.entries(c.tensors)) if (name.startsWith("param/")) out.set(name.slice(6), { shape: t.shape, data: tensorAsFloat32(c, name, file) });
  return out;
}

/** Trains `o.ir` with PyTorch into `o.runDir` (see the file comment). */
export async function trainTorch(o: TorchTrainOptions): Promise<TorchTrainResult> {
  let topo: Topology;
  let env: PythonEnv;
  try {
    topo = resolveTopology({ nproc: o.nproc, nnodes: o.nnodes, nodeRank: o.nodeRank, masterAddr: o.masterAddr, masterPort: o.masterPort });
    const python = findPython(o.python, o.env ?? process.env);
    env = checkPythonEnv(python, { device: o.device ?? "auto", nproc: topo.nproc, env: o.env, suggestOthers: o.python === undefined });
  } catch (e) {
    usage(e);
  }
  o.onReady?.({ python: env.python, torch: env.torch, device: env.device, worldSize: worldSize(topo) });
  const dir = { created: undefined as string | undefined, started: false };
  try {
    return topo.nodeRank > 0 ? await workerNode(o, topo, env) : await trainIn(o, topo, env, dir);
  } catch (e) {
    if (dir.created && !dir.started) rmSync(dir.created, { recursive: true, force: true });
    throw e;
  }
}

async function openData(o: TorchTrainOptions, warn: (m: string) => void): Promise<{ dataset: Dataset; testSet?: Dataset }> {
  try {
    const dataset = await openDataset(o.data, o.ir.data, { split: "train", onWarning: warn });
    const testSet = await openDataset(o.data, o.ir.data, { split: "test", onWarning: warn, verify: false }).catch(() => undefined);
    return { dataset, testSet };
  } catch (e) {
    if (e instanceof DataError) throw new TrainError(e.message, 1);
    throw e;
  }
}

/** The command line of the run in `runDir` (its RUN/torch written): see pythonArgs. */
function commandArgs(runDir: string, optionsFile: string, topo: Topology): string[] {
  const launcher = [join(runDir, "torch", "launch.py"), join(runDir, "torch", "gancc_torch", "launch.py")].find((f) => existsSync(f));
  return pythonArgs(join(runDir, "torch", "train.py"), optionsFile, topo, launcher);
}

/** Writes RUN/torch (the code and options.json); returns the options file. */
function writeTorchDir(o: TorchTrainOptions, runDir: string, resume: string | null): string {
  const torchDir = join(runDir, "torch");
  emitTorch(o.ir, torchDir);
  const options: TorchOptionsFile = {
    run_dir: runDir,
    data: resolve(o.data),
    device: o.device ?? "auto",
    dtype: o.dtype ?? "float32",
    max_iterations: o.maxIterations ?? null,
    checkpoint_every: o.checkpointEvery ?? 500,
    keep_checkpoints: o.keepCheckpoints ?? 2,
    sample_every_epochs: o.sampleEveryEpochs ?? 1,
    resume,
    threads: o.threads ?? null,
    batches: o.batches ? resolve(o.batches) : null,
    dump: o.dump ? resolve(o.dump) : null,
  };
  const file = join(torchDir, "options.json");
  writeFileAtomic(file, JSON.stringify(options, null, 1) + "\n");
  return file;
}

interface Child {
  proc: ChildProcess;
  /** resolves with the exit code (or 128 + signal number's stand-in) once the process has exited */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGINT to the child (once): it checkpoints and stops */
  interrupt(): void;
  interrupted: boolean;
  /** stops forwarding and the exit handler */
  release(): void;
}

/**
 * Starts the interpreter in its own process group (so a terminal's Ctrl-C reaches only this
 * process, which forwards it once), watching `shouldStop`; kills the group if this process exits.
 */
function startChild(python: string, args: string[], cwd: string, envVars: NodeJS.ProcessEnv, shouldStop?: () => boolean): Child {
  const proc = spawn(python, args, { cwd, env: { ...envVars, PYTHONUNBUFFERED: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    proc.on("error", () => res({ code: 127, signal: null }));
    proc.on("exit", (code, signal) => res({ code, signal }));
  });
  const killGroup = () => {
    try {
      if (proc.pid !== undefined && proc.exitCode === null) process.kill(-proc.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  process.on("exit", killGroup);
  const c: Child = {
    proc,
    exit,
    interrupted: false,
    interrupt() {
      if (c.interrupted || proc.exitCode !== null) return;
      c.interrupted = true;
      proc.kill("SIGINT");
    },
    release() {
      clearInterval(timer);
      process.off("exit", killGroup);
    },
  };
  const timer = setInterval(() => {
    if (shouldStop?.()) c.interrupt();
  }, 100);
  void exit.then(() => clearInterval(timer));
  return c;
}

function exitText(x: { code: number | null; signal: NodeJS.Signals | null }): string {
  return x.signal ? `was killed by ${x.signal}` : `exited with code ${x.code}`;
}

/** A machine other than rank 0's: writes only RUN/torch, runs its processes, passes their output through. */
async function workerNode(o: TorchTrainOptions, topo: Topology, env: PythonEnv): Promise<TorchTrainResult> {
  const runDir = resolve(o.runDir);
  const out = o.stream ?? defaultProgressStream();
  checkRunDir(runDir, true, 64 * 2 ** 20);
  await openData(o, (m) => void out.write(`warning: ${m}\n`));
  // every rank restores the checkpoint (its data position, pool and RNG), so this machine needs it too
  let resume: string | null = null;
  if (o.resume) {
    let found;
    try {
      found = loadNewestIntactCheckpoint(join(runDir, "checkpoints"));
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
    }
    if (!found) {
      throw new TrainError(
        `--resume on node ${topo.nodeRank}: ${join(runDir, "checkpoints")} holds no intact checkpoint, and every machine's processes restore it; copy the run's checkpoints/ folder from node 0 there (or put the run directory on a filesystem every machine shares)`,
        1,
      );
    }
    resume = resolve(found.from);
  }
  makeDir(runDir);
  const optionsFile = writeTorchDir(o, runDir, resume);
  const child = startChild(env.python, commandArgs(runDir, optionsFile, topo), runDir, o.env ?? process.env, o.shouldStop);
  const pass = (line: string) => void out.write(`${line}\n`);
  createInterface({ input: child.proc.stderr! }).on("line", pass);
  for await (const line of createInterface({ input: child.proc.stdout! })) pass(line);
  const x = await child.exit;
  child.release();
  if (x.code !== 0 && !child.interrupted) {
    throw new TrainError(`the PyTorch processes of node ${topo.nodeRank} ${exitText(x)} (output above); the run directory and its checkpoints are on node 0 (--master-addr ${topo.masterAddr})`, 1);
  }
  return { runDir, iterations: 0, epochs: 0, state: child.interrupted ? "stopped" : "finished", lastLosses: {}, torch: env.torch, device: env.device, worldSize: worldSize(topo) };
}

async function trainIn(o: TorchTrainOptions, topo: Topology, env: PythonEnv, dir: { created?: string; started: boolean }): Promise<TorchTrainResult> {
  const { ir } = o;
  const runDir = resolve(o.runDir);
  const out = o.stream ?? defaultProgressStream();
  const warn = o.onWarning ?? ((m: string) => void out.write(`warning: ${m}\n`));
  const paramBytes = ir.nets.reduce((s, n) => s + n.params.reduce((a, p) => a + 4 * p.shape.reduce((x, y) => x * y, 1), 0), 0);
  checkRunDir(runDir, o.resume ?? false, paramBytes * 4 * 3 + 64 * 2 ** 20);
  const resumed = o.resume ? findResumePoint(runDir, ir, o.specText, warn) : undefined;
  const { dataset, testSet } = await openData(o, warn);
  const perEpochGuess = new DataLoader(dataset, { batch: ir.train.batch, seed: ir.train.seed, prefetch: false }).batchesPerEpoch;

  dir.created = createRunDir(runDir);
  makeDir(join(runDir, "checkpoints"));
  if (!resumed) {
    writeFileAtomic(join(runDir, "ir.json"), JSON.stringify(ir, null, 1) + "\n");
    if (o.specText !== undefined) writeFileAtomic(join(runDir, "spec.gan"), o.specText);
  }
  const runFile = join(runDir, resumed ? `run.resume-${resumed.manifest.iteration}.json` : "run.json");
  const runInfo: Record<string, unknown> = {
    engine: "torch",
    source: o.source,
    data: resolve(o.data),
    torch: env.torch,
    python: env.python,
    pythonVersion: env.pythonVersion,
    device: env.device,
    worldSize: worldSize(topo),
    topology: topo,
    backend: { name: `torch-${env.device}`, reason: `PyTorch ${env.torch} on ${env.device}${isDistributed(topo) ? `, ${worldSize(topo)} processes` : ""}; samples rendered with tfjs ${o.backend.name}` },
    command: o.command ?? [],
    config: o.config ?? {},
    specSha256: ir.spec.sha256,
    irSha256: irHash(ir),
    node: process.version,
    resumedFrom: resumed ? { iteration: resumed.manifest.iteration, backend: resumed.manifest.backend, at: new Date().toISOString() } : undefined,
  };
  const writeRunInfo = () => writeFileAtomic(runFile, JSON.stringify(runInfo, null, 1) + "\n");
  writeRunInfo();
  const optionsFile = writeTorchDir(o, runDir, resumed ? resolve(resumed.from) : null);

  const names = flatTermNames(ir);
  const epochs = ir.train.epochs;
  let report: RunReport | undefined;
  let progress: ProgressReporter | undefined;
  let start: StartEvent | undefined;
  let failure: ErrorEvent | undefined;
  let done: Extract<TorchEvent, { event: "done" }> | undefined;
  let iteration = resumed?.manifest.iteration ?? 0;
  let epoch = resumed?.manifest.epoch ?? 0;
  let epochIteration = resumed?.manifest.epochIteration ?? 0;
  let lastSaved: number | undefined = resumed?.manifest.iteration;
  let lastLosses: Record<string, Record<string, number>> = resumed?.manifest.losses ?? {};
  let flat: Record<string, number> = {};
  const pass = (line: string) => (progress ? progress.message(line) : void out.write(`${line}\n`));

  /** A model of the parameters in `file` (a snapshot or checkpoint), for samples and evaluation. */
  const withModel = async (file: string, f: (m: Model) => Promise<void>) => {
    const model = new Model(ir, { weights: readParams(file) });
    try {
      await f(model);
    } finally {
      model.dispose();
    }
  };
  const render = async (model: Model, ep: number, caption?: string) => {
    await report!.writeSamples(model, ep, iteration, caption);
    const m = await report!.evaluate(model, ep, iteration);
    if (m) progress?.message(`held-out ${Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(", ")}`);
  };

  const handle = async (ev: TorchEvent) => {
    switch (ev.event) {
      case "start": {
        start = ev;
        Object.assign(runInfo, { torch: ev.torch, device: ev.device, deviceName: ev.device_name, worldSize: ev.world_size, distBackend: ev.dist_backend, dtype: ev.dtype });
        (runInfo.backend as { name: string }).name = `torch-${ev.device}`;
        writeRunInfo();
        const perEpoch = ev.iterations_per_epoch || perEpochGuess;
        report = await openRunReport({
          ir,
          runDir,
          data: o.data,
          dataset,
          testSet,
          source: o.source,
          backendLabel: `PyTorch ${ev.torch} on ${ev.device}${ev.device_name ? ` (${ev.device_name})` : ""}, ${ev.world_size} process${ev.world_size === 1 ? "" : "es"}${ev.dist_backend ? ` (${ev.dist_backend})` : ""}; samples rendered with tfjs ${o.backend.name}`,
          config: o.config,
          command: o.command,
          epochs,
          itersPerEpoch: perEpoch,
          resume: resumed ? { iteration: resumed.manifest.iteration } : undefined,
          samples: o.samples,
          styleClassifier: o.styleClassifier,
          warn,
        });
        progress = new ProgressReporter({ epochs, itersPerEpoch: perEpoch, stream: o.stream, logEveryIterations: o.logEvery });
        progress.start({ epoch: epoch + 1, iteration: epochIteration });
        if (!resumed) {
          // the untrained nets, for comparison: the runtime draws the initial weights as the tfjs Model does
          const model = new Model(ir);
          try {
            await render(model, 0);
          } finally {
            model.dispose();
          }
        }
        await report.reporter.write({ state: "running" });
        dir.started = true;
        return;
      }
      case "iteration": {
        if (!report || !progress) throw new TrainError(`internal: the PyTorch runtime sent an iteration before its start event`, 1);
        iteration = ev.iteration;
        epoch = ev.epoch;
        epochIteration = ev.epoch_iteration;
        lastLosses = ev.losses;
        flat = flattenLosses(names, ev.losses);
        // metrics.jsonl counts epochs from 1, as the tfjs trainer does
        report.reporter.log({ iteration, epoch: epoch + 1, lr: stepLearningRates(ir, ev.lr_scale), losses: flat });
        progress.update({ epoch: epoch + 1, iteration: epochIteration, losses: flat });
        return;
      }
      case "checkpoint":
        report?.reporter.metrics.sync(); // the metrics up to this checkpoint are as durable as it is
        lastSaved = ev.iteration;
        return;
      case "epoch_end": {
        const file = resolve(runDir, ev.weights);
        progress?.endEpoch(flat);
        epoch = ev.epoch;
        epochIteration = 0;
        try {
          if (report && (ev.epoch % (o.sampleEveryEpochs ?? 1) === 0 || ev.epoch === epochs)) await withModel(file, (m) => render(m, ev.epoch));
          await report?.reporter.write();
        } finally {
          rmSync(file, { force: true });
        }
        return;
      }
      case "done":
        done = ev;
        iteration = ev.iteration;
        if (ev.manifest) lastSaved = ev.iteration;
        return;
      case "error":
        failure ??= ev;
        return;
    }
  };

  const child = startChild(env.python, commandArgs(runDir, optionsFile, topo), runDir, o.env ?? process.env, o.shouldStop);
  createInterface({ input: child.proc.stderr! }).on("line", pass);
  let handlerError: unknown;
  const exited = child.exit.finally(() => child.release());
  try {
    for await (const line of createInterface({ input: child.proc.stdout! })) {
      const ev = parseEventLine(line);
      if (!ev) pass(line);
      else if (handlerError === undefined) {
        try {
          await handle(ev);
        } catch (e) {
          handlerError = e; // stop the child; keep reading so that it is not blocked on a full pipe
          child.interrupt();
        }
      }
    }
  } finally {
    await exited;
  }
  const x = await exited;
  const kept = () =>
    lastSaved !== undefined
      ? `the last checkpoint (iteration ${lastSaved}) is kept in ${join(runDir, "checkpoints")}; continue with --resume ${runDir}`
      : "no checkpoint had been written yet";
  try {
    if (handlerError !== undefined) throw handlerError;
    // with several processes, a rank that died makes rank 0's next collective fail (`rank_lost`, or an
    // internal error from gloo/nccl): that is the crash, reported below, not a bug
    const peerLost = failure?.kind === "rank_lost" || (isDistributed(topo) && failure?.kind === "internal" && x.code !== 0);
    if (failure && !peerLost) throw new TrainError(explainFailure(ir, failure, iteration, kept()), 1);
    // a process that died (a rank crashing, the OOM killer) — unless we asked it to stop after its
    // `done` (its checkpoint is written; a SIGINT that arrives while Python exits ends it by the signal)
    if (!done || (x.code !== 0 && !child.interrupted)) {
      const what = isDistributed(topo)
        ? `one of the ${worldSize(topo)} PyTorch processes failed and torch.distributed.run stopped the others (it ${exitText(x)})${failure ? `; rank 0 reported: ${failure.message.split("\n")[0]}` : ""}`
        : `the PyTorch process ${exitText(x)}`;
      throw new TrainError(
        `${start ? `training stopped at iteration ${iteration}: ` : "the PyTorch runtime failed before training started: "}${what}; its output is above. ${kept()}.`,
        1,
      );
    }
    // the final weights, from the final checkpoint
    if (done.manifest) {
      const manifestFile = resolve(runDir, done.manifest);
      let ck;
      try {
        ck = loadCheckpoint(join(runDir, "checkpoints"), manifestFile);
      } catch (e) {
        if (e instanceof CheckpointError) throw new TrainError(`the PyTorch runtime's final checkpoint cannot be read: ${e.message}`, 1);
        throw e;
      }
      await saveWeights(join(runDir, "weights.safetensors"), { ir, tensors: ck.weights, extraMetadata: { iteration: String(done.iteration) } });
      // a run stopped inside an epoch shows where it got to (a finished epoch already has its grids)
      epochIteration = ck.manifest.epochIteration;
      if (report && epochIteration > 0) {
        const perEpoch = start?.iterations_per_epoch ?? perEpochGuess;
        await withModel(join(runDir, "checkpoints", ck.manifest.tensors), (m) =>
          render(m, ck.manifest.epoch + 1, `iteration ${done!.iteration}: epoch ${ck.manifest.epoch + 1} was stopped after ${epochIteration} of ${perEpoch} iterations`),
        );
      }
      epoch = ck.manifest.epoch;
    } else warn(`the run wrote no checkpoint, so there is no weights.safetensors`);
    const finished = done.state === "finished" && (o.maxIterations === undefined || epoch >= epochs);
    const state = finished ? "finished" : "stopped";
    await report?.reporter.write({ state, error: state === "stopped" ? `stopped at iteration ${iteration} (resume with --resume ${runDir})` : undefined, endTime: new Date() });
    progress?.finish({ state });
    return { runDir, iterations: iteration, epochs: epoch, state, lastLosses, torch: start?.torch ?? env.torch, device: start?.device ?? env.device, worldSize: start?.world_size ?? worldSize(topo) };
  } catch (e) {
    progress?.finish({ state: "stopped", error: (e as Error).message });
    await report?.reporter.write({ state: "stopped", error: (e as Error).message, endTime: new Date() }).catch(() => undefined);
    throw e;
  } finally {
    report?.dispose();
  }
}

/** The message of a failure the runtime reported, with what to do and what was kept. */
export function explainFailure(ir: Ir, f: ErrorEvent, iteration: number, kept: string): string {
  // `iteration` of a nonfinite error is the 1-based iteration that produced it; otherwise the next one failed
  const at = `iteration ${f.iteration ?? iteration + 1}`;
  switch (f.kind) {
    case "cuda_oom": {
      const s = summarize(ir).stepBytes;
      const batch = f.batch ?? ir.train.batch;
      const size = f.size ?? ir.data.crop;
      // summary's activations are for the IR's batch; scale them to the batch that ran out
      const act = (s.activations / ir.train.batch) * batch;
      return (
        `CUDA ran out of memory at ${at}, training at size ${size}×${size} with batch ${batch} per process (${f.message.split("\n")[0]}). ` +
        `\`gancc summary\` estimates ${formatBytes(act + s.parameters)} for one iteration at this batch (activations ${formatBytes(act)}, weights + gradients + Adam ${formatBytes(s.parameters)}), ` +
        `before PyTorch's own workspace and caching. Use a smaller --set batch=… or size=…, more processes (--nproc, each with its own GPU), or a GPU with more memory; ${kept}.`
      );
    }
    case "nonfinite":
      return `loss term \`${f.term}\` (loss \`${f.loss}\`) became ${f.value} at ${at}; training stopped and ${kept}. Try a lower learning rate, or check the data for constant images.`;
    case "cuda_missing":
      return `${f.message}; use --device cpu (or auto), or check the GPU with nvidia-smi. Nothing was trained.`;
    case "data":
      return `${f.message}; ${kept}.`;
    default:
      return `the PyTorch runtime failed at ${at}: ${f.message}; ${kept}. This is a bug in gancc's torch engine: please report it with the output above.`;
  }
}
