/**
 * gancc's own JS loops over the wasm heap on every core of the threaded wasm backend.
 *
 * Why: between XNNPACK's multi-threaded kernels, a training iteration runs JS loops over the heap
 * on the main thread alone — the col2im and im2col of the conv gradients, the fused norm passes,
 * the flat optimizer update — ~0.4 s of a 2.4 s CycleGAN iteration at 64² on 2 threads (CPU
 * profile), while XNNPACK's pool threads wait. The threaded build's heap is a shared WebAssembly.Memory, so worker threads
 * can run the same loops on their share of the elements, in place, as the main thread does.
 *
 * How: a job is a kind of ./heap_kinds.ts and one Float64Array of numbers per share (heap offsets,
 * sizes, geometry, the share's range). Share 0 runs on the calling thread, share i on worker i;
 * the call returns when every share is done. A job is 0.2–2 ms and there are ~1,000 per
 * iteration, so no postMessage per job: each worker has a control block (./heap_pool_ctl.ts) and
 * a shared args array; the main thread writes the share, bumps SEQ and notifies, the worker
 * (asleep in Atomics.wait) runs it and stores DONE — one round trip is ~10–30 µs. Buffers (the
 * heap Memory, the optimizer's slot buffer, a larger args array) are posted only when they change.
 * Splits are over owners (channels, rows, element ranges), so the result has one thread's bits.
 *
 * Workers start on the first threaded job (not at `gancc train` startup), are reused, and are
 * unref()ed: they never keep the process alive. Failure-aware, no timeout: a job that throws is
 * ERR + a message, a worker file that cannot be loaded or a worker that exits marks EXITED and
 * wakes the main thread; each of those is an exception here — thrown after every share has ended,
 * so that no worker still writes into buffers the caller goes on to use — and a worker that is
 * gone is replaced on the next job.
 */
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from "node:worker_threads";
import { HEAP_KIND_NAMES, HEAP_KINDS, type HeapKind } from "./heap_kinds.js";
import { claimChunks, CTL } from "./heap_pool_ctl.js";
import type { HeapBuffers } from "./heap_worker.js";
import { backendMemory } from "./kernels/heap_backend.js";

/**
 * Fewest elements worth a thread for the loop kinds: a job is handed over and answered in ~10–30
 * µs, the time one thread takes for ~10k–30k elements of these loops; so a job is split from 128k
 * elements on (2 threads), into chunks of at least 32k. Measured on a CycleGAN iteration at 64² (2
 * threads): splitting from 64k elements on (the norms of the residual blocks, 65,536 elements) was
 * no faster — those norm kernels took longer on 2 threads than on 1.
 */
export const MIN_HEAP_SHARE = 65_536;

/**
 * A split job is cut into this many chunks per thread, claimed one at a time: where XNNPACK's own
 * pool threads or other processes hold the cores, a worker runs slower than the main thread; with
 * fixed equal shares the main thread then waited for it (~70 ms per CycleGAN iteration at 64², the
 * CPU profile's time in `finish`).
 */
const CHUNKS_PER_THREAD = 4;

interface PoolWorker {
  worker: Worker;
  /** main thread's end of the worker's channel (read synchronously with receiveMessageOnPort) */
  port: MessagePort;
  ctl: Int32Array;
  /** jobs started */
  seq: number;
  /** buffers the worker has (or will have taken when it starts the next job) */
  gen: number;
  memory?: WebAssembly.Memory;
  aux?: SharedArrayBuffer;
  args: Float64Array;
  /** why it can no longer be used (set by its events or a fatal reply, read before each job) */
  dead?: string;
  /** elements it did, per kind (its own counts, from its replies) */
  work: Partial<Record<HeapKind, number>>;
}

const pool: PoolWorker[] = [];

/** The chunk counter every thread of a chunked job claims from (claimChunks). */
const claim = new Int32Array(new SharedArrayBuffer(4));

/**
 * The worker is started from a small loader script, so that a worker file that cannot be loaded
 * (or tsx missing) is a reply, not an 'error' event the blocked main thread would never see.
 * Under tsx (running from src/) the loader registers tsx in the worker first, as src/lsp/checker.ts does.
 */
function loaderSource(): string {
  const here = import.meta.url;
  const fromSource = here.endsWith(".ts");
  const url = new URL(fromSource ? "./heap_worker.ts" : "./heap_worker.js", here).href;
  const tsx = fromSource ? (typeof import.meta.resolve === "function" ? import.meta.resolve("tsx/esm/api") : "tsx/esm/api") : undefined;
  return `
const { workerData } = require("node:worker_threads");
const gone = (how) => {
  Atomics.store(workerData.ctl, ${CTL.EXITED}, how);
  Atomics.store(workerData.ctl, ${CTL.DONE}, -1);
  Atomics.notify(workerData.ctl, ${CTL.DONE});
};
(async () => {
  ${tsx ? `(await import(${JSON.stringify(tsx)})).register();` : ""}
  await import(${JSON.stringify(url)});
})().catch((e) => {
  workerData.port.postMessage({ error: "could not load the heap worker: " + String((e && e.message) || e) });
  gone(2);
});
process.once("exit", () => gone(1));
`;
}

function startWorker(): PoolWorker {
  const { port1, port2 } = new MessageChannel();
  const ctl = new Int32Array(new SharedArrayBuffer(4 * CTL.LENGTH));
  const worker = new Worker(loaderSource(), { eval: true, workerData: { port: port2, ctl, claim }, transferList: [port2] });
  worker.unref();
  const w: PoolWorker = { worker, port: port1, ctl, seq: 0, gen: 0, args: new Float64Array(0), work: {} };
  // (a listener is required: an unhandled 'error' event would throw in the main thread)
  worker.on("error", (e) => (w.dead ??= `heap worker failed: ${e.message}`));
  worker.on("exit", (code) => (w.dead ??= `heap worker exited (code ${code})`));
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

/** Hands `args` to `w` and starts it (buffers first, when they changed); `chunks` > 0: a chunked job (CTL.CHUNKS). */
function start(w: PoolWorker, kind: HeapKind, args: Float64Array, memory: WebAssembly.Memory, aux: SharedArrayBuffer | undefined, chunks = 0): void {
  const grow = args.length > w.args.length;
  if (grow || w.memory !== memory || w.aux !== aux) {
    if (grow) w.args = new Float64Array(new SharedArrayBuffer(8 * Math.max(64, 2 ** Math.ceil(Math.log2(args.length)))));
    w.gen++;
    w.memory = memory;
    w.aux = aux;
    w.port.postMessage({ gen: w.gen, memory, aux, args: w.args.buffer as SharedArrayBuffer } satisfies HeapBuffers);
  }
  w.args.set(args);
  Atomics.store(w.ctl, CTL.KIND, HEAP_KIND_NAMES.indexOf(kind));
  Atomics.store(w.ctl, CTL.NARGS, args.length);
  Atomics.store(w.ctl, CTL.GEN, w.gen);
  Atomics.store(w.ctl, CTL.CHUNKS, chunks);
  w.seq++;
  Atomics.store(w.ctl, CTL.SEQ, w.seq);
  Atomics.notify(w.ctl, CTL.SEQ);
}

/** Blocks until `w` has ended its job; the elements it did, or why not. */
function finish(w: PoolWorker): { done: number } | { error: string; fatal: boolean } {
  for (;;) {
    const d = Atomics.load(w.ctl, CTL.DONE);
    if (d === w.seq) break;
    const exited = Atomics.load(w.ctl, CTL.EXITED);
    if (exited !== 0) {
      const m = receiveMessageOnPort(w.port)?.message as { error?: string } | undefined;
      return { error: m?.error ?? "the heap worker exited during a job", fatal: true };
    }
    Atomics.wait(w.ctl, CTL.DONE, d);
  }
  if (Atomics.load(w.ctl, CTL.ERR) === 0) return { done: Atomics.load(w.ctl, CTL.RESULT) };
  const m = receiveMessageOnPort(w.port)?.message as { error?: string } | undefined;
  return m?.error !== undefined ? { error: m.error, fatal: false } : { error: "internal: heap worker signalled an error without a message", fatal: true };
}

/** The heap and aux buffer of a job. */
export interface HeapBuffersOf {
  /** the wasm heap: shared (the threaded build) */
  memory: WebAssembly.Memory;
  /** a second shared buffer the kind reads (the optimizer's slots) */
  aux?: SharedArrayBuffer;
}

/**
 * Runs `shares[0]` of a `kind` job here and share i on worker thread i, and returns when all are
 * done. Throws if any share failed — after every worker has answered. `label` names the job in
 * the message ("<label> worker thread <i>: …").
 */
export function runShares(kind: HeapKind, shares: readonly Float64Array[], buffers: HeapBuffersOf, label: string = kind): void {
  runOnThreads(kind, shares.length - 1, (w, i) => start(w, kind, shares[i + 1]!, buffers.memory, buffers.aux), () => HEAP_KINDS[kind](new Float32Array(buffers.memory.buffer), shares[0]!, buffers.aux), label);
}

/**
 * Runs a job as `chunks` chunks of its owner range on the calling thread and `helpers` workers,
 * each thread claiming the next free chunk (claimChunks); `args` ends with (lo, hi, extent, chunk).
 */
function runChunked(kind: HeapKind, helpers: number, chunks: number, args: Float64Array, memory: WebAssembly.Memory): void {
  Atomics.store(claim, 0, 0);
  const heap = new Float32Array(memory.buffer);
  const here = () => (heapPoolTesting.workersOnly ? 0 : claimChunks(claim, chunks, Float64Array.from(args), (a) => HEAP_KINDS[kind](heap, a, undefined)));
  runOnThreads(kind, helpers, (w) => start(w, kind, args, memory, undefined, chunks), here, kind);
}

/**
 * Tests only: `workersOnly` leaves every chunk of a split job to the workers (the calling thread
 * claims none), so that a test can know the work ran on a worker — with chunks claimed as threads
 * free up, the calling thread may otherwise take them all before a worker wakes.
 */
export const heapPoolTesting = { workersOnly: false };

/** Starts `helpers` workers with `begin`, runs `here` on this thread, waits for every worker; throws the first failure after all ended. */
function runOnThreads(kind: HeapKind, helpers: number, begin: (w: PoolWorker, i: number) => void, here: () => void, label: string): void {
  const ws = workers(helpers);
  ws.forEach(begin);
  let failure: string | undefined;
  try {
    here();
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  ws.forEach((w, i) => {
    const r = finish(w);
    if ("done" in r) w.work[kind] = (w.work[kind] ?? 0) + r.done;
    else {
      failure ??= `${label} worker thread ${i + 1}: ${r.error}`;
      if (r.fatal) w.dead ??= r.error;
    }
  });
  if (failure !== undefined) throw new Error(failure);
}

/** The wasm backend's heap and thread count when its loops can run on several threads, else undefined. */
export function heapThreads(backend: unknown): { memory: WebAssembly.Memory; threads: number } | undefined {
  const memory = backendMemory(backend);
  if (memory === undefined || !(memory.buffer instanceof SharedArrayBuffer)) return undefined;
  const threads = (backend as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm?.tfjs?.getThreadsCount?.() ?? 1;
  return threads > 1 ? { memory, threads } : undefined;
}

/**
 * Runs a loop kind split over `extent` owners (channels, rows) on the threads of `backend`, when
 * it has several and the job is big enough (`work` elements ≥ 2·MIN_HEAP_SHARE); each share gets
 * `args` followed by its range [lo, hi), cut at multiples of `align`. Returns false, having done
 * nothing, when the job is not split: the caller then runs the loop itself, as on one thread.
 */
export function splitOnHeap(backend: unknown, kind: HeapKind, args: readonly number[], extent: number, work: number, align = 1): boolean {
  const heap = heapThreads(backend);
  if (heap === undefined) return false;
  const n = Math.min(heap.threads, Math.floor(work / MIN_HEAP_SHARE), Math.ceil(extent / align));
  if (n < 2) return false;
  // CHUNKS_PER_THREAD chunks per thread (each ≥ MIN_HEAP_SHARE / 2 elements), claimed as threads free up
  const units = Math.ceil(extent / align);
  const count = Math.max(n, Math.min(units, n * CHUNKS_PER_THREAD, Math.floor((2 * work) / MIN_HEAP_SHARE)));
  const chunk = Math.ceil(units / count) * align;
  const chunks = Math.ceil(extent / chunk);
  if (chunks < 2) return false;
  runChunked(kind, n - 1, chunks, Float64Array.from([...args, 0, 0, extent, chunk]), heap.memory);
  return true;
}

/** Elements each worker thread has done so far for `kind` (tests: the work really ran off the main thread). */
export function heapWorkerWork(kind: HeapKind): number[] {
  return pool.map((w) => w.work[kind] ?? 0);
}
