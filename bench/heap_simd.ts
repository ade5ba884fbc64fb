/**
 * The SIMD heap loops (src/runtime/kernels/heap_simd.wat) against their JS twins
 * (src/runtime/kernels/heap_loops.ts), and what they change in the conv kernels that run them.
 *
 *   node --import tsx bench/heap_simd.ts [THREADS=2] [VERSIONS=30]
 *
 * 1. Each loop alone, on one thread, on CycleGAN's residual-conv shape at 64² and 128² (x
 *    [1,18,18,256] / [1,34,34,256], 3×3, stride 1, valid): median ms per call, JS vs SIMD; and the
 *    matrix transposes the conv kernels make (KernelCtx.transpose), tfjs's Transpose vs the SIMD tiles.
 * 2. The three residual-conv kernels at 64² as training calls them (FusedConv2D with bias,
 *    Conv2DBackpropInput, Conv2DBackpropFilter; a new weight every 3 calls of each, so that
 *    XNNPACK's per-weight-version packing is counted as in an iteration), ms per call (mean),
 *    with the SIMD loops (on the calling thread) and with the JS ones (split among the heap threads
 *    when THREADS > 1, as gancc runs them without the module).
 * In one process, the two variants interleaved per weight version. Timings on a shared machine are
 * noisy: compare the columns of one run.
 */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../src/runtime/backend.js";
import { requireWasmHeap } from "../src/runtime/kernels/heap_backend.js";
import { col2imAdd, type ConvGeom, im2colTaps, im2colTapsTransposed } from "../src/runtime/kernels/heap_loops.js";
import { heapSimdStatus, heapSimdTesting } from "../src/runtime/kernels/heap_simd.js";
import { KernelCtx } from "../src/runtime/kernels/kernel_ctx.js";
import { median } from "./stats.js";

const threads = Number(process.argv[2] ?? 2);
const versions = Number(process.argv[3] ?? 30);
const sel = await selectBackend("wasm", { threads });
const heap = requireWasmHeap(tf.backend(), "bench/heap_simd");
if (heapSimdStatus() !== "wasm SIMD") throw new Error(`the SIMD heap loops are not available: ${heapSimdStatus()}`);
console.log(`bench/heap_simd: ${sel.reason}; tfjs ${tf.version_core}, node ${process.version}`);
const view = (t: tf.Tensor): Float32Array => heap.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: "float32" });
const withJs = <T>(f: () => T): T => {
  heapSimdTesting.disabled = true;
  try {
    return f();
  } finally {
    heapSimdTesting.disabled = false;
  }
};

// 1. the loops alone
console.log("\n| loop | shape | JS ms | SIMD ms | JS ÷ SIMD |\n|---|---|---:|---:|---:|");
for (const size of [64, 128]) {
  const s = size / 4;
  const G: ConvGeom = { n: 1, h: s + 2, w: s + 2, ci: 256, ho: s, wo: s, kw: 3, sh: 1, sw: 1, pt: 0, pl: 0 };
  const P = s * s;
  const R = 9 * 256;
  const x = tf.randomNormal([G.h * G.w * 256]);
  const col = tf.randomNormal([R * P]);
  const out = tf.zeros([Math.max(R * P, 256 * G.h * G.w)]);
  const loops: [string, () => void][] = [
    ["col2im (input gradient)", () => col2imAdd(view(col), view(out), G, 0, 9)],
    ["transposed im2col (filter gradient)", () => im2colTapsTransposed(view(x), view(out), G, 0, 9)],
    ["im2col (forward)", () => im2colTaps(view(x), view(out), G, 0, 9, 0, P)],
  ];
  for (const [name, f] of loops) {
    const js: number[] = [];
    const simd: number[] = [];
    for (let r = 0; r < 40; r++) {
      let t = performance.now();
      withJs(f);
      js.push(performance.now() - t);
      t = performance.now();
      f();
      simd.push(performance.now() - t);
    }
    const [a, b] = [median(js), median(simd)];
    console.log(`| ${name} | ${size}²: [1,${G.h},${G.w},256] | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(1)}× |`);
  }
  tf.dispose([x, col, out]);
}
console.log("\n| transpose | tfjs Transpose ms | SIMD tiles ms | tfjs ÷ SIMD |\n|---|---:|---:|---:|");
for (const [rows, cols] of [[256, 256], [256, 324], [1024, 128], [4096, 64]] as const) {
  const x = tf.randomNormal([rows, cols]);
  const ctx = new KernelCtx(tf.backend(), "wasm");
  const info = { dataId: x.dataId, shape: x.shape, dtype: "float32" as const };
  const [stock, ours]: number[][] = [[], []];
  for (let r = 0; r < 40; r++) {
    let t = performance.now();
    ctx.free(ctx.run("Transpose", { x: info }, { perm: [1, 0] }));
    stock.push(performance.now() - t);
    t = performance.now();
    ctx.free(ctx.transpose(info, [1, 0]));
    ours.push(performance.now() - t);
  }
  const [a, b] = [median(stock), median(ours)];
  console.log(`| [${rows}, ${cols}] | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(1)}× |`);
  x.dispose();
}

// 2. the kernels, as in training
const C = 256;
const x = tf.randomNormal([1, 18, 18, C]);
const dy = tf.randomNormal([1, 16, 16, C]);
const bias = tf.randomNormal([C]);
const T = { simd: { fwd: 0, dx: 0, dw: 0 }, js: { fwd: 0, dx: 0, dw: 0 } };
const time = (f: () => tf.Tensor): number => {
  const t = performance.now();
  const y = f();
  y.dataSync();
  y.dispose();
  return performance.now() - t;
};
for (let v = -2; v < versions; v++) {
  for (const variant of ["simd", "js"] as const) {
    const W = tf.randomNormal([3, 3, C, C]);
    const run = () => {
      for (let r = 0; r < 3; r++) {
        const fwd = time(() => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: W as tf.Tensor4D, strides: 1, pad: "valid", bias }));
        const dx = time(() => tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: W }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", inputShape: x.shape }) as tf.Tensor);
        const dw = time(() => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", filterShape: W.shape }) as tf.Tensor);
        if (v >= 0) {
          T[variant].fwd += fwd;
          T[variant].dx += dx;
          T[variant].dw += dw;
        }
      }
    };
    if (variant === "js") withJs(run);
    else run();
    W.dispose();
  }
}
const per = (ms: number) => (ms / (3 * versions)).toFixed(2);
console.log(`\nResidual conv at 64² ([1,18,18,256] → [1,16,16,256], 3×3), ${sel.threads} thread(s), a new weight every 3 calls, ${versions} weights; ms per call (mean):\n`);
console.log("| kernel | JS loops | SIMD loops |\n|---|---:|---:|");
for (const k of ["fwd", "dx", "dw"] as const) console.log(`| ${k} | ${per(T.js[k])} | ${per(T.simd[k])} |`);
