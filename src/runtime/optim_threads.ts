/**
 * The flat optimizer update on every core of the threaded wasm backend.
 *
 * Why: the update is memory-bound (~4 ns per Adam element on one thread; ~110–200 ms of CycleGAN's
 * 28.3M parameters per iteration) and runs between XNNPACK's kernels, while XNNPACK's pool
 * threads idle. The threaded build's heap is a shared WebAssembly.Memory, so worker threads can
 * read values and gradients and write the new values in place, as the main thread does.
 *
 * How: ./optim.ts allocates every output of the step first (no allocation, hence no heap growth,
 * while workers run), then `runFlatJobs` cuts all elements of the step into one share per thread
 * (by element count: splitRanges), posts shares 1… to worker threads, runs share 0 itself and
 * blocks in Atomics.wait until each worker has replied. Workers run the same rule functions
 * (./optim_flat.ts), element-wise, so the result is bit-identical to one thread.
 *
 * Workers start on the first threaded update (not at `gancc train` startup), are reused across
 * steps and optimizers, and are unref()ed: they never keep the process alive. Failure-aware, no
 * timeout: a worker replies { error } for anything its job throws, its loader replies when the
 * worker file cannot be loaded, and a worker that exits signals on its way out; each of those is
 * an exception here, and the worker is replaced on the next update.
 */
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from "node:worker_threads";
import type { IrOptimizer } from "../ir/schema.js";
import { type FlatJob, runFlatPart, splitRanges } from "./optim_flat.js";
import type { WorkerJob, WorkerReply } from "./optim_worker.js";

/**
 * Fewest elements worth a thread: a share is posted, woken and answered in ~40 µs, the time one
 * thread updates ~10k Adam elements; below 4× that, fewer threads are used (a tiny model: one).
 */
export const MIN_SHARE = 40_000;

interface PoolWorker {
  worker: Worker;
  /** main thread's end of the worker's channel (read synchronously with receiveMessageOnPort) */
  port: MessagePort;
  /** [0]: replies so far (bumped after each reply, and on exit); [1]: 1 once the worker exited */
  signal: Int32Array;
  /** replies taken so far */
  taken: number;
  /** why it can no longer be used (set by its events, read between updates) */
  dead?: string;
  /** elements it updated (its own count, from its replies) */
  elements: number;
}

const pool: PoolWorker[] = [];

/**
 * The worker is started from a small loader script, so that a worker file that cannot be loaded
 * (or tsx missing) is a reply, not an 'error' event the blocked main thread would never see.
 * Under tsx (running from src/) the loader registers tsx in the worker first, as src/lsp/checker.ts does.
 */
function loaderSource(): string {
  const here = import.meta.url;
  const fromSource = here.endsWith(".ts");
  const url = new URL(fromSource ? "./optim_worker.ts" : "./optim_worker.js", here).href;
  const tsx = fromSource ? (typeof import.meta.resolve === "function" ? import.meta.resolve("tsx/esm/api") : "tsx/esm/api") : undefined;
  return `
const { workerData } = require("node:worker_threads");
(async () => {
  ${tsx ? `(await import(${JSON.stringify(tsx)})).register();` : ""}
  await import(${JSON.stringify(url)});
})().catch((e) => {
  workerData.port.postMessage({ error: "could not load the optimizer worker: " + String((e && e.message) || e), fatal: true });
  Atomics.add(workerData.signal, 0, 1);
  Atomics.notify(workerData.signal, 0);
});
process.once("exit", () => {
  Atomics.store(workerData.signal, 1, 1);
  Atomics.add(workerData.signal, 0, 1);
  Atomics.notify(workerData.signal, 0);
});
`;
}

function startWorker(): PoolWorker {
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(loaderSource(), { eval: true, workerData: { port: port2, signal }, transferList: [port2] });
  worker.unref();
  const w: PoolWorker = { worker, port: port1, signal, taken: 0, elements: 0 };
  // (a listener is required: an unhandled 'error' event would throw in the main thread)
  worker.on("error", (e) => (w.dead ??= `optimizer worker failed: ${e.message}`));
  worker.on("exit", (code) => (w.dead ??= `optimizer worker exited (code ${code})`));
  return w;
}

/** `n` live workers (dead ones replaced). */
function workers(n: number): PoolWorker[] {
  for (let i = 0; i < pool.length; i++) {
    if (pool[i]!.dead !== undefined) {
      void pool[i]!.worker.terminate();
      pool[i] = startWorker();
    }
  }
  while (pool.length < n) pool.push(startWorker());
  return pool.slice(0, n);
}

/** Blocks until `w` answers its oldest outstanding job; its reply, or why there is none. */
function awaitReply(w: PoolWorker): WorkerReply & { fatal?: boolean } {
  while (Atomics.load(w.signal, 0) === w.taken) Atomics.wait(w.signal, 0, w.taken);
  w.taken++;
  const m = receiveMessageOnPort(w.port)?.message as (WorkerReply & { fatal?: boolean }) | undefined;
  if (m) return m;
  return { error: Atomics.load(w.signal, 1) === 1 ? "the optimizer worker exited during an update" : "internal: optimizer worker signalled without a reply", fatal: true };
}

export interface FlatStep {
  config: IrOptimizer;
  lr: number;
  t: number;
  /** the wasm heap (shared: the threaded build) and the slot buffer */
  memory: WebAssembly.Memory;
  slots: SharedArrayBuffer;
}

/**
 * Runs one flat update of `jobs` on up to `threads` threads (this one included) and returns when
 * all are done. Throws if any share failed — after every worker has answered, so that no worker
 * still writes into buffers the caller goes on to use.
 */
export function runFlatJobs(jobs: readonly FlatJob[], threads: number, step: FlatStep): void {
  const total = jobs.reduce((a, j) => a + j.size, 0);
  const n = Math.max(1, Math.min(threads, Math.floor(total / MIN_SHARE)));
  const shares = splitRanges(jobs, n);
  const part = (i: number) => ({ config: step.config, lr: step.lr, t: step.t, ranges: shares[i]! });
  const helpers = workers(n - 1);
  helpers.forEach((w, i) => w.port.postMessage({ part: part(i + 1), memory: step.memory, slots: step.slots } satisfies WorkerJob));
  let failure: string | undefined;
  try {
    runFlatPart(part(0), new Float32Array(step.memory.buffer), new Float32Array(step.slots));
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  helpers.forEach((w, i) => {
    const r = awaitReply(w);
    if ("done" in r) w.elements += r.done;
    else {
      failure ??= `optimizer worker thread ${i + 1}: ${r.error}`;
      if (r.fatal) w.dead ??= r.error;
    }
  });
  if (failure !== undefined) throw new Error(failure);
}

/** Elements each worker thread has updated so far (tests: the work really ran off the main thread). */
export function optimizerWorkerElements(): number[] {
  return pool.map((w) => w.elements);
}
