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
 * (by element count: splitRanges) and runs them as a `flat` job of the heap worker pool
 * (./heap_pool.ts: share 0 here, the others on its workers, the slot buffer as the job's aux
 * buffer). Workers run the same rule functions (./optim_flat.ts), element-wise, so the result is
 * bit-identical to one thread. Worker start, reuse and failures: see ./heap_pool.ts.
 */
import type { IrOptimizer } from "../ir/schema.js";
import { packFlatPart } from "./heap_kinds.js";
import { heapWorkerWork, runShares } from "./heap_pool.js";
import { type FlatJob, splitRanges } from "./optim_flat.js";

/**
 * Fewest elements worth a thread: a share is handed over and answered in ~10–40 µs, the time one
 * thread updates ~10k Adam elements; below 4× that, fewer threads are used (a tiny model: one).
 */
export const MIN_SHARE = 40_000;

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
  const shares = splitRanges(jobs, n).map((ranges) => packFlatPart({ config: step.config, lr: step.lr, t: step.t, ranges }));
  runShares("flat", shares, { memory: step.memory, aux: step.slots }, "optimizer");
}

/** Elements each worker thread has updated so far (tests: the work really ran off the main thread). */
export function optimizerWorkerElements(): number[] {
  return heapWorkerWork("flat");
}
