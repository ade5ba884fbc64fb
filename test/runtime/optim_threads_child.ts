/**
 * Child process of optim_threads.test.ts (the wasm module and its threads are per process).
 * Prints one JSON line; never calls process.exit (the test checks that the process ends by itself:
 * no optimizer worker keeps it alive).
 *
 *   node --import tsx test/runtime/optim_threads_child.ts equal THREADS
 *     for each optimizer case (OPTIMIZER_CASES of ./shared.ts, as optim.test.ts): parameters of very different sizes (1 … 590k elements), 4 seeded
 *     steps (one parameter without a gradient in step 2), every other case in several batches; { threads, threaded, workerElements,
 *     cases: [{ values, slots }] } — SHA-256 of the final values' and slots' bytes
 *   node --import tsx test/runtime/optim_threads_child.ts worker-error 2
 *     runFlatJobs with a share that is valid for the main thread and outside the heap for the
 *     worker; { error, afterwards } (afterwards: an ordinary update still runs on the worker)
 *   node --import tsx test/runtime/optim_threads_child.ts train THREADS
 *     2 training iterations of specs/tiny.gan (nf 32: ~0.4M parameters);
 *     { threads, workerElements, tensors: [after iteration 1, after iteration 2] }
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../src/compiler/compile.js";
import type { IrOptimizer } from "../../src/ir/schema.js";
import { selectBackend } from "../../src/runtime/backend.js";
import { Model } from "../../src/runtime/model.js";
import { Optimizer } from "../../src/runtime/optim.js";
import { MIN_SHARE, optimizerWorkerElements, runFlatJobs } from "../../src/runtime/optim_threads.js";
import { OPTIMIZER_CASES, sha256Of } from "./shared.js";

const [mode, threadsArg] = process.argv.slice(2);
const sel = await selectBackend("wasm", { threads: Number(threadsArg) });
const workerElements = (): number => optimizerWorkerElements().reduce((a, b) => a + b, 0);

/** CycleGAN-like: one 590k conv filter next to biases; the cut between two threads falls inside the big one */
const SHAPES = [[1], [64], [3, 3, 256, 256], [3], [4, 4, 64, 128], [7], [64]];


if (mode === "equal") {
  const cases: { values: string; slots: string }[] = [];
  let threaded = false;
  for (const [c, o] of OPTIMIZER_CASES.entries()) {
    const vars = SHAPES.map((s, k) => tf.variable(tf.randomNormal(s, 0, 0.5, "float32", 1 + 100 * c + k), true, `p${c}_${k}`));
    // odd cases in batches of 300k elements: [1, 64] | [590k] | [3 … 64], the first below MIN_SHARE (main thread only)
    const opt = new Optimizer(o, vars.map((variable, k) => ({ name: `p${k}`, variable })), c % 2 ? { batchElements: 300_000 } : {});
    for (let step = 0; step < 4; step++) {
      const before = workerElements();
      const grads = Object.fromEntries(
        vars.flatMap((v, k) => (step === 1 && k === 1 ? [] : [[v.name, tf.randomNormal(v.shape, 0, 1, "float32", 1 + 1000 * c + 10 * step + k)]])),
      );
      opt.apply(grads, 0.5 + step / 4);
      threaded ||= workerElements() > before;
    }
    const state = await opt.state();
    const values = await Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
    cases.push({ values: sha256Of(values), slots: sha256Of([...state.slots.keys()].sort().map((k) => state.slots.get(k)!.data)) });
    opt.dispose();
    tf.dispose(vars);
  }
  console.log(JSON.stringify({ threads: sel.threads, threaded, workerElements: workerElements(), cases }));
} else if (mode === "worker-error") {
  const wasm = (tf.backend() as unknown as { wasm: { wasmMemory: WebAssembly.Memory } }).wasm;
  const heap = new Float32Array(wasm.wasmMemory.buffer);
  const x = tf.zeros([MIN_SHARE]);
  const at = (tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array }).typedArrayFromHeap({ dataId: x.dataId, shape: x.shape, dtype: "float32" }).byteOffset / 4;
  const slots = new SharedArrayBuffer(8 * MIN_SHARE);
  const o: IrOptimizer = { kind: "sgd", lr: 0.1, momentum: 0, weight_decay: 0 };
  // 2·MIN_SHARE elements: two shares; the first (the main thread's) is x in place, the second points past the heap
  const jobs = [
    { p: at, g: at, out: at, slot: 0, size: MIN_SHARE },
    { p: heap.length, g: heap.length, out: heap.length, slot: 0, size: MIN_SHARE },
  ];
  let error = "(no error)";
  try {
    runFlatJobs(jobs, 2, { config: o, lr: 0.1, t: 1, memory: wasm.wasmMemory, slots });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const v = tf.variable(tf.ones([4 * MIN_SHARE]), true, "after");
  const before = workerElements();
  new Optimizer(o, [{ name: "after", variable: v }]).apply({ [v.name]: tf.ones([4 * MIN_SHARE]) });
  const ok = (await v.data()).every((e) => Math.abs(e - 0.9) < 1e-6) && workerElements() > before;
  console.log(JSON.stringify({ error, afterwards: ok }));
} else if (mode === "train") {
  const r = compileSource(readFileSync("specs/tiny.gan", "utf8"), "specs/tiny.gan", { set: { nf: 32, size: 16 } });
  if (!r.ir) throw new Error("specs/tiny.gan does not compile");
  const ir = r.ir;
  const model = new Model(ir);
  const b = Object.fromEntries(ir.data.domains.map((d, j) => [d.name, tf.randomUniform([ir.train.batch, ir.data.crop, ir.data.crop, d.channels], -1, 1, "float32", j)]));
  const tensors: number[] = [];
  for (let i = 0; i < 2; i++) {
    await model.trainIteration(b);
    tensors.push(tf.memory().numTensors);
  }
  console.log(JSON.stringify({ threads: sel.threads, workerElements: workerElements(), tensors }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
