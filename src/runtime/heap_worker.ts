/**
 * A heap worker thread (started by ./heap_pool.ts): runs its share of a job — one of the kinds of
 * ./heap_kinds.ts, the same functions as the main thread — on a view of the wasm heap (a shared
 * WebAssembly.Memory).
 *
 * Protocol (the control block's fields: CTL in ./heap_pool.ts): the worker sleeps in Atomics.wait
 * on SEQ; the main thread writes the job's arguments into the shared args array, its kind and
 * argument count into the block, then bumps SEQ and notifies. The worker runs the job, stores
 * RESULT (elements done) or sets ERR and posts the message on `port`, then stores DONE = SEQ and
 * notifies: every job ends with DONE, failed or not, so the blocked main thread always wakes.
 * When the heap, the aux buffer or the args array change, the main thread first posts them on
 * `port` with a new generation number (GEN); the worker takes them with receiveMessageOnPort.
 *
 * The loop never returns to the event loop: the worker is unref()ed, and Node ends it, waiting or
 * not, when the process exits.
 */
import { type MessagePort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { HEAP_KIND_NAMES, HEAP_KINDS, type HeapKindFn } from "./heap_kinds.js";
import { claimChunks, CTL } from "./heap_pool_ctl.js";
import { attachHeapSimd } from "./kernels/heap_simd.js";

/** What the main thread posts when a job's buffers change. */
export interface HeapBuffers {
  gen: number;
  memory: WebAssembly.Memory;
  aux: SharedArrayBuffer | undefined;
  args: SharedArrayBuffer;
}

const { port, ctl, claim } = workerData as { port: MessagePort; ctl: Int32Array; claim: Int32Array };
let gen = 0;
let memory: WebAssembly.Memory | undefined;
let aux: SharedArrayBuffer | undefined;
let args: Float64Array<ArrayBufferLike> = new Float64Array(0);

/** Takes posted buffers until they are the generation the job asks for. */
function takeBuffers(want: number): void {
  while (gen !== want) {
    const m = receiveMessageOnPort(port)?.message as HeapBuffers | undefined;
    if (m === undefined) {
      // posted before SEQ was bumped, so it is on its way: wait a little, not spin
      Atomics.wait(ctl, CTL.SEQ, Atomics.load(ctl, CTL.SEQ), 1);
      continue;
    }
    ({ gen, memory, aux } = m);
    args = new Float64Array(m.args);
    // the loops in WebAssembly SIMD on this heap, as on the main thread (else they run in JS)
    attachHeapSimd(m.memory);
  }
}

let seen = Atomics.load(ctl, CTL.DONE);
for (;;) {
  Atomics.wait(ctl, CTL.SEQ, seen);
  const seq = Atomics.load(ctl, CTL.SEQ);
  if (seq === seen) continue;
  seen = seq;
  try {
    takeBuffers(Atomics.load(ctl, CTL.GEN));
    const kind = HEAP_KIND_NAMES[Atomics.load(ctl, CTL.KIND)];
    if (kind === undefined || memory === undefined) throw new Error(`internal: heap job of unknown kind #${Atomics.load(ctl, CTL.KIND)}`);
    const fn: HeapKindFn = HEAP_KINDS[kind];
    // the heap's current buffer: it may have grown since the last job
    const heap = new Float32Array(memory.buffer);
    const chunks = Atomics.load(ctl, CTL.CHUNKS);
    const jobArgs = args.subarray(0, Atomics.load(ctl, CTL.NARGS));
    const done = chunks > 0 ? claimChunks(claim, chunks, Float64Array.from(jobArgs), (a) => fn(heap, a, aux)) : fn(heap, jobArgs, aux);
    Atomics.store(ctl, CTL.RESULT, done);
    Atomics.store(ctl, CTL.ERR, 0);
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.message : String(e) });
    Atomics.store(ctl, CTL.ERR, 1);
  }
  Atomics.store(ctl, CTL.DONE, seq);
  Atomics.notify(ctl, CTL.DONE);
}
