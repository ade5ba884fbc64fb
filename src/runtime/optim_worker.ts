/**
 * An optimizer worker thread (started by ./optim_threads.ts): runs its share of a flat update —
 * the rules of ./optim_flat.ts, the same functions as the main thread — on views of the wasm heap
 * (a shared WebAssembly.Memory) and of the slot buffer (a SharedArrayBuffer).
 *
 * Protocol, per job: a message on `port` → the work → ONE reply on `port` ({ done } or { error })
 * → `signal` incremented and notified. The main thread blocks in Atomics.wait on `signal` (its
 * event loop cannot run meanwhile) and then takes the reply with receiveMessageOnPort, so every
 * failure here must still reply and signal: a worker that threw without signalling would hang it.
 */
import { type MessagePort, workerData } from "node:worker_threads";
import { type FlatPart, runFlatPart } from "./optim_flat.js";

/** What the main thread sends per job: the part, and the buffers as they are now. */
export interface WorkerJob {
  part: FlatPart;
  memory: WebAssembly.Memory;
  slots: SharedArrayBuffer;
}
export type WorkerReply = { done: number } | { error: string };

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

port.on("message", (job: WorkerJob) => {
  let reply: WorkerReply;
  try {
    // the heap's current buffer: it may have grown since the last job
    reply = { done: runFlatPart(job.part, new Float32Array(job.memory.buffer), new Float32Array(job.slots)) };
  } catch (e) {
    reply = { error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
