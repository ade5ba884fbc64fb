/**
 * The flat optimizer update (Adam) on CycleGAN's parameter sizes (2 ResNet-9 generators, 2
 * PatchGAN discriminators: 28.3M parameters, many of 590k elements, some of 3..512), wasm backend.
 *
 *   node --import tsx bench/optim_threads.ts [THREADS=2] [REPS=15]
 *
 * In ONE process (the threaded module with THREADS threads), interleaved, median ms:
 *   - "loops": the step's loops alone (runFlatJobs on preallocated buffers) on 1 thread and on
 *     THREADS threads — the part the threads change;
 *   - "apply": Optimizer.apply end to end (outputs allocated, loops, new values assigned), which
 *     uses THREADS threads when THREADS > 1 (THREADS=1: today's single-thread path, and no "loops"
 *     columns: tfjs's single-threaded build does not share its heap).
 * Timings on a shared machine are noisy: compare the columns of one run.
 */
import * as tf from "@tensorflow/tfjs";
import type { IrOptimizer } from "../src/ir/schema.js";
import { selectBackend } from "../src/runtime/backend.js";
import { Optimizer } from "../src/runtime/optim.js";
import type { FlatJob } from "../src/runtime/optim_flat.js";
import { runFlatJobs } from "../src/runtime/optim_threads.js";

const threads = Number(process.argv[2] ?? 2);
const reps = Number(process.argv[3] ?? 15);
const sel = await selectBackend("wasm", { threads });

/** conv filter [k, k, in, out] and its bias [out] */
const conv = (k: number, i: number, o: number): number[][] => [[k, k, i, o], [o]];
const generator = [conv(7, 3, 64), conv(3, 64, 128), conv(3, 128, 256), ...Array.from({ length: 18 }, () => conv(3, 256, 256)), conv(3, 128, 256), conv(3, 64, 128), conv(7, 64, 3)].flat();
const discriminator = [conv(4, 3, 64), conv(4, 64, 128), conv(4, 128, 256), conv(4, 256, 512), conv(4, 512, 1)].flat();
const shapes = [...generator, ...generator, ...discriminator, ...discriminator];

const config: IrOptimizer = { kind: "adam", lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0 };
const vars = shapes.map((s, k) => tf.variable(tf.randomNormal(s, 0, 0.02, "float32", k + 1), true, `w${k}`));
const grads = vars.map((v, k) => tf.randomNormal(v.shape, 0, 1, "float32", 1000 + k));
const total = vars.reduce((a, v) => a + v.size, 0);
const opt = new Optimizer(config, vars.map((variable, k) => ({ name: `w${k}`, variable })));

// the loops alone: values, gradients and outputs in the heap, slots in a shared buffer
const backend = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array; wasm: { wasmMemory?: WebAssembly.Memory } };
const memory = backend.wasm.wasmMemory;
const shared = memory?.buffer instanceof SharedArrayBuffer;
const outs = vars.map((v) => tf.zeros(v.shape));
const at = (t: tf.Tensor): number => backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }).byteOffset / 4;
let slot = 0;
const jobs: FlatJob[] = vars.map((v, k) => {
  const j = { p: at(v), g: at(grads[k]!), out: at(outs[k]!), slot, size: v.size };
  slot += 2 * v.size;
  return j;
});
const slots = new SharedArrayBuffer(4 * slot);
const loops = (n: number, t: number) => runFlatJobs(jobs, n, { config, lr: 2e-4, t, memory: memory!, slots });
const apply = () => opt.apply(Object.fromEntries(vars.map((v, k) => [v.name, tf.clone(grads[k]!)])));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const time = (f: () => void): number => {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
};
const cols: Record<string, number[]> = { "loops, 1 thread": [], [`loops, ${sel.threads} threads`]: [], [`Optimizer.apply (${sel.threads} thread${sel.threads === 1 ? "" : "s"})`]: [] };
const [c1, cn, ca] = Object.values(cols) as [number[], number[], number[]];
for (let r = 0; r < reps + 2; r++) {
  const keep = r >= 2; // 2 warm-up rounds: worker start, V8's optimising tier, first allocation of slots and outputs
  const a = shared ? time(() => loops(1, r + 1)) : NaN;
  const b = shared ? time(() => loops(sel.threads ?? 1, r + 1)) : NaN;
  const c = time(apply);
  if (keep) c1.push(a), cn.push(b), ca.push(c);
}
console.log(`${(total / 1e6).toFixed(1)}M parameters in ${vars.length} tensors; ${sel.reason}; median of ${reps} (noisy machine):`);
for (const [name, xs] of Object.entries(cols)) if (!xs.some(Number.isNaN)) console.log(`  ${name.padEnd(28)} ${median(xs).toFixed(1)} ms  (${((1e6 * median(xs)) / total).toFixed(2)} ns/element; min ${Math.min(...xs).toFixed(1)})`);
