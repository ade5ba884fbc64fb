/**
 * The heap worker pool (src/runtime/heap_pool.ts): one empty job's round trip, and each loop it
 * runs on 1 thread against THREADS threads, on CycleGAN's residual-block shapes at 64² and 128²
 * (conv x [1,18,18,256] / [1,34,34,256], 3×3, stride 1, valid, 256→256 channels; norm
 * [1,16,16,256] / [1,32,32,256], instance norm with γ and β).
 *
 *   node --import tsx bench/heap_pool.ts [THREADS=2] [REPS=40]
 *
 * In ONE process (the threaded module with THREADS threads), interleaved, on buffers preallocated
 * in the heap; median ms per call: "1 thread" calls the loop directly (as the kernels do on one
 * thread), "N threads" splits it with splitOnHeap (as the kernels do on the threaded build).
 * Timings on a shared machine are noisy: compare the columns of one run. The loops are the JS ones
 * (GANCC_HEAP_SIMD=0, also in the workers): the SIMD ones are not split (bench/heap_simd.ts).
 */
process.env.GANCC_HEAP_SIMD = "0";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../src/runtime/backend.js";
import { type HeapKind } from "../src/runtime/heap_kinds.js";
import { heapThreads, runShares, splitOnHeap } from "../src/runtime/heap_pool.js";
import { col2imAdd, type ConvGeom, im2colTapsTransposed, packConvGeom } from "../src/runtime/kernels/heap_loops.js";
import { normBackward, normForward, type NormGeom } from "../src/runtime/kernels/norm_fused.js";

const threads = Number(process.argv[2] ?? 2);
const reps = Number(process.argv[3] ?? 40);
const sel = await selectBackend("wasm", { threads });
const backend = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
const heap = heapThreads(tf.backend());
if (heap === undefined) throw new Error(`bench/heap_pool.ts needs the threaded wasm build with ≥ 2 threads (got ${sel.threads}: ${sel.reason ?? ""})`);

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const view = (t: tf.Tensor): Float32Array => backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
const at = (t: tf.Tensor | null): number => (t == null ? -1 : view(t).byteOffset / 4);

// the round trip of an empty job: share 0 (here) and share 1 (a worker) do nothing
{
  const empty = new Float64Array(0);
  for (let i = 0; i < 200; i++) runShares("noop", [empty, empty], { memory: heap.memory });
  const n = 5000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) runShares("noop", [empty, empty], { memory: heap.memory });
  console.log(`empty job round trip (main + 1 worker): ${((1000 * (performance.now() - t0)) / n).toFixed(1)} µs (mean of ${n})`);
}

interface Case {
  name: string;
  one: () => void;
  many: () => void;
}
const cases: Case[] = [];
const split = (kind: HeapKind, args: number[], extent: number, work: number, align = 1) => () => {
  if (!splitOnHeap(tf.backend(), kind, args, extent, work, align)) throw new Error(`${kind}: not split`);
};

for (const [size, hw] of [[64, 18], [128, 34]] as const) {
  const ci = 256;
  const ho = hw - 2;
  const G: ConvGeom = { n: 1, h: hw, w: hw, ci, ho, wo: ho, kw: 3, sh: 1, sw: 1, pt: 0, pl: 0 };
  const p = ho * ho;
  const col = tf.randomNormal([9 * ci, p], 0, 1, "float32", 1);
  const dxT = tf.zeros([ci, 1, hw, hw]);
  const xt = tf.randomNormal([ci, 1, hw, hw], 0, 1, "float32", 2);
  const colT = tf.zeros([9 * ci, p]);
  cases.push({
    name: `col2im ${size}² (dxT [256,1,${hw},${hw}] += 9 taps)`,
    one: () => col2imAdd(view(col), view(dxT), G, 0, 9),
    many: split("col2im", [at(col), at(dxT), ...packConvGeom(G), 0, 9], ci, 9 * ci * p),
  });
  cases.push({
    name: `im2colT ${size}² (colT [2304,${p}])`,
    one: () => im2colTapsTransposed(view(xt), view(colT), G, 0, 9),
    many: split("im2colT", [at(xt), at(colT), ...packConvGeom(G), 0, 9], 9 * ci, 9 * ci * p),
  });
  const s = size === 64 ? 16 : 32;
  const g: NormGeom = { n: 1, p: s * s, c: ci, perSample: true };
  const x = tf.randomNormal([1, s, s, ci], 0, 1, "float32", 3);
  const [gamma, beta] = [tf.randomNormal([ci], 1, 0.1, "float32", 4), tf.randomNormal([ci], 0, 0.1, "float32", 5)];
  const [y, xhat, rstd, dy, dx, dgamma, dbeta] = [tf.zeros(x.shape), tf.zeros(x.shape), tf.zeros([ci]), tf.randomNormal(x.shape, 0, 1, "float32", 6), tf.zeros(x.shape), tf.zeros([ci]), tf.zeros([ci])];
  const work = s * s * ci;
  cases.push({
    name: `normForward ${size}² ([1,${s},${s},256], γ, β)`,
    one: () => normForward(view(x), view(gamma), view(beta), g, 1e-5, { y: view(y), xhat: view(xhat), rstd: view(rstd), mean: null, variance: null }),
    many: split("normForward", [at(x), at(gamma), at(beta), at(y), at(xhat), at(rstd), -1, -1, 1, s * s, ci, 1, 1e-5], ci, work, 4),
  });
  cases.push({
    name: `normBackward ${size}² ([1,${s},${s},256], γ, β)`,
    one: () => normBackward(view(dy), view(xhat), view(rstd), view(gamma), g, { dx: view(dx), dgamma: view(dgamma), dbeta: view(dbeta) }),
    many: split("normBackward", [at(dy), at(xhat), at(rstd), at(gamma), at(dx), at(dgamma), at(dbeta), 1, s * s, ci, 1], ci, work, 4),
  });
}

console.log(`wasm, ${sel.threads} threads; median ms per call over ${reps} interleaved reps`);
console.log(`${"loop".padEnd(44)} ${"1 thread".padStart(9)} ${`${threads} threads`.padStart(10)}  speed-up`);
for (const c of cases) {
  for (let i = 0; i < 5; i++) (c.one(), c.many());
  const [one, many]: number[][] = [[], []];
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    c.one();
    one.push(performance.now() - t);
    t = performance.now();
    c.many();
    many.push(performance.now() - t);
  }
  const [a, b] = [median(one), median(many)];
  console.log(`${c.name.padEnd(44)} ${a.toFixed(3).padStart(9)} ${b.toFixed(3).padStart(10)}  ${(a / b).toFixed(2)}×`);
}
