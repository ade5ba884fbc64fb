/**
 * Child process of heap_pool.test.ts (the wasm module and its threads are per process). Prints one
 * JSON line; never calls process.exit (the test checks that the process ends by itself: no heap
 * worker keeps it alive).
 *
 *   node --import tsx test/runtime/heap_pool_child.ts equal THREADS
 *     the col2im (input gradient), the transposed im2col (filter gradient, direct layout) and the
 *     fused norm kernels (forward and backward, instance and batch, affine and not) on shapes big
 *     enough to be split, each once as the pool runs it (chunks claimed by the main thread and the worker,
 *     whoever is free) and once with the workers taking every chunk (heapPoolTesting.workersOnly, so
 *     that a worker certainly did some); { threads, simd: heapSimdStatus(), work: { kind: elements done by workers },
 *     hashes: { case: SHA-256 } }
 *   node --import tsx test/runtime/heap_pool_child.ts worker-error 2
 *     a col2im job whose worker share lies outside the heap; { error, afterwards } (afterwards: a
 *     split norm still runs on the worker)
 */
import * as tf from "@tensorflow/tfjs";
import type { HeapKind } from "../../src/runtime/heap_kinds.js";
import { heapPoolTesting, heapWorkerWork, runShares } from "../../src/runtime/heap_pool.js";
import { packConvGeom } from "../../src/runtime/kernels/heap_loops.js";
import { heapSimdStatus } from "../../src/runtime/kernels/heap_simd.js";
import { KernelCtx } from "../../src/runtime/kernels/kernel_ctx.js";
import { NORM_BACKWARD, NORM_FORWARD } from "../../src/runtime/kernels/norm_fused.js";
import { conv2DBackpropFilterGemm } from "../../src/runtime/kernels/wasm_conv_backprop_filter.js";
import { conv2DBackpropInputGemm } from "../../src/runtime/kernels/wasm_conv_backprop_input.js";
import { selectBackend } from "../../src/runtime/backend.js";
import { sha256Of, tensorInfo } from "./shared.js";

const [mode, threadsArg] = process.argv.slice(2);
const sel = await selectBackend("wasm", { threads: Number(threadsArg) });
const KINDS: HeapKind[] = ["col2im", "im2colT", "normForward", "normBackward"];
const workerWork = (k: HeapKind): number => heapWorkerWork(k).reduce((a, b) => a + b, 0);

type S4 = [number, number, number, number];
const randn = (s: number[], seed: number): tf.Tensor => tf.randomNormal(s, 0, 1, "float32", seed);

/** SHA-256 of the output of a direct kernel call (its intermediates freed by the KernelCtx). */
function viaCtx(f: (ctx: KernelCtx) => tf.TensorInfo): string {
  const b = tf.backend();
  const ctx = new KernelCtx(b, "wasm");
  const out = ctx.finish(f(ctx));
  const h = sha256Of([b.readSync(out.dataId) as Float32Array]);
  b.disposeData(out.dataId);
  return h;
}

if (mode === "equal") {
  const hashes: Record<string, string> = {};
  for (const workersOnly of [false, true]) {
    heapPoolTesting.workersOnly = workersOnly;
    const tag = workersOnly ? " (workers only)" : "";
    // conv gradients: a CycleGAN residual layer; a strided, padded one with an odd channel count;
    // batch 2 with tap groups (maxChunkBytes: 3 taps a block)
    const convs: { xs: S4; k: number; co: number; s: number; pad: "same" | "valid"; chunk?: number }[] = [
      { xs: [1, 18, 18, 64], k: 3, co: 64, s: 1, pad: "valid" },
      { xs: [1, 33, 31, 37], k: 3, co: 24, s: 2, pad: "same" },
      { xs: [2, 20, 20, 32], k: 3, co: 16, s: 1, pad: "same", chunk: 3 * 4 * 2 * 400 * 32 },
    ];
    for (const [i, c] of convs.entries()) {
      const x = randn(c.xs, 1 + i);
      const wS: S4 = [c.k, c.k, c.xs[3], c.co];
      const w = randn(wS, 11 + i);
      const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
      const dy = randn(y.shape, 21 + i);
      const opts = c.chunk ? { maxChunkBytes: c.chunk } : {};
      hashes[`dx ${i}${tag}`] = viaCtx((ctx) => conv2DBackpropInputGemm(ctx, tensorInfo(dy), tensorInfo(w), { strides: c.s, pad: c.pad, inputShape: c.xs }, opts));
      hashes[`dw ${i}${tag}`] = viaCtx((ctx) => conv2DBackpropFilterGemm(ctx, tensorInfo(x), tensorInfo(dy), { strides: c.s, pad: c.pad, filterShape: wS }, { ...opts, layout: "direct" }));
      tf.dispose([x, w, y, dy]);
    }
    // norms: channel counts with a remainder of 4 (68), batch 2, a CycleGAN shape
    const shapes: S4[] = [[2, 24, 24, 68], [1, 32, 32, 256]];
    for (const [i, s] of shapes.entries()) {
      for (const [axes, kind] of [[[1, 2], "instance"], [[0, 1, 2], "batch"]] as const) {
        for (const affine of [true, false]) {
          const x = tf.add(tf.mul(randn(s, 31 + i), 3), 0.5);
          const gamma = affine ? randn([s[3]], 41 + i) : undefined;
          const beta = affine ? randn([s[3]], 51 + i) : undefined;
          const inputs = { x, ...(gamma ? { gamma } : {}), ...(beta ? { beta } : {}) };
          const fwd = tf.engine().runKernel(NORM_FORWARD, inputs, { axes: [...axes], eps: 1e-5, stats: kind === "batch" }) as tf.Tensor[];
          const xhat = affine ? fwd[1]! : fwd[0]!;
          const rstd = fwd[affine ? 2 : 1]!;
          const dy = randn(s, 61 + i);
          const bwd = tf.engine().runKernel(NORM_BACKWARD, { dy, xhat, rstd, ...(gamma ? { gamma } : {}) }, { axes: [...axes], beta: affine }) as tf.Tensor[];
          const all = [...fwd, ...bwd];
          hashes[`${kind} norm ${i} affine=${affine}${tag}`] = sha256Of(all.map((t) => t.dataSync() as Float32Array));
          tf.dispose([x, dy, ...(gamma ? [gamma] : []), ...(beta ? [beta] : []), ...all]);
        }
      }
    }
  }
  heapPoolTesting.workersOnly = false;
  console.log(JSON.stringify({ threads: sel.threads, simd: heapSimdStatus(), work: Object.fromEntries(KINDS.map((k) => [k, workerWork(k)])), hashes }));
} else if (mode === "worker-error") {
  const wasm = (tf.backend() as unknown as { wasm: { wasmMemory: WebAssembly.Memory } }).wasm;
  const heapLength = wasm.wasmMemory.buffer.byteLength / 4;
  // geometry n 1, 8×8, 4 channels, 1×1 kernel: col and dxT of 256 elements; the main thread's share at 0 (valid),
  // the worker's with col and dxT past the end of the heap
  const geom = packConvGeom({ n: 1, h: 8, w: 8, ci: 4, ho: 8, wo: 8, kw: 1, sh: 1, sw: 1, pt: 0, pl: 0 });
  const x = tf.zeros([256]);
  const at = (tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Float32Array }).typedArrayFromHeap(tensorInfo(x)).byteOffset / 4;
  const share = (col: number, dx: number, c0: number, c1: number) => Float64Array.from([col, dx, ...geom, 0, 1, c0, c1]);
  let error = "(no error)";
  try {
    runShares("col2im", [share(at, at, 0, 2), share(heapLength, heapLength, 2, 4)], { memory: wasm.wasmMemory });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  x.dispose();
  // afterwards: a norm big enough to be split still runs on the worker
  heapPoolTesting.workersOnly = true;
  const before = workerWork("normForward");
  const big = randn([1, 32, 32, 256], 1);
  const out = tf.engine().runKernel(NORM_FORWARD, { x: big }, { axes: [1, 2], eps: 1e-5, stats: false }) as tf.Tensor[];
  const ok = workerWork("normForward") > before && (out[0]!.dataSync() as Float32Array).every(Number.isFinite);
  tf.dispose([big, ...out]);
  console.log(JSON.stringify({ error, afterwards: ok }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
