/**
 * `Conv2DBackpropInput` for wasm as a GEMM on XNNPACK plus a col2im.
 *
 *   dxcolᵀ[r, p] = Σ_co W[r, co] · dyᵀ[co, p],   r = (a, b, ci),  p = (n, i, j)
 *   dx[n, i·sh − pt + a, j·sw − pl + b, ci] += dxcolᵀ[(a, b, ci), (n, i, j)]
 *
 * The other route (conv_backprop.ts) convolves dy with a flipped, channel-swapped copy of W.  That
 * copy is new with every weight version, and XNNPACK's convolution operator re-packs it (tfjs
 * transposes the filter, then XNNPACK packs it) — in training, where every weight changes every
 * iteration, that costs as much as the convolution itself for layers with few output pixels and
 * many weights (the 512-channel discriminator layer: 2.1 M weights, 49 pixels).  Here the weight
 * is the GEMM's left operand as it is ([kh·kw·Ci, Co], a reshape), which XNNPACK's fully-connected
 * operator reads without packing; the packed operand is dyᵀ (P × Co, small).  The price is the col2im,
 * a scatter-add of R·P values: so this route is taken only where it was measured faster (register.ts, `inputGradViaGemm`).
 *
 * The col2im accumulates into dx in planar layout [Ci, N, H, W] (each row of dxcolᵀ is then runs along
 * an input row), and one backend Transpose gives NHWC.  dxcolᵀ is built for a group of taps at a time
 * (rows of W are tap-major), so its size stays under `maxChunkBytes`.  The col2im runs in WebAssembly
 * SIMD on the calling thread (./heap_simd.ts); where that module is missing, it runs in JS, split over
 * input channels among the heap worker threads on the threaded build (../heap_pool.ts; the loop lives in
 * ./heap_loops.ts so that they can load it): each channel's plane is written by one thread, in the
 * single-thread order.  Splitting the SIMD loop was slower (the residual conv's input gradient at 64²
 * on 2 threads, measured once with the split switched off by hand: 4.1 ms a call on one thread, 4.4 ms
 * split; the SIMD col2im itself takes ~0.13 ms there): the worker shares the 2 cores with XNNPACK's
 * pool thread, which spins between GEMMs.
 */
import { splitOnHeap } from "../heap_pool.js";
import { nhwcConvInfo, type Conv2DBackpropInputAttrs } from "./conv_backprop.js";
import { requireWasmHeap, type WasmHeapBackend } from "./heap_backend.js";
import { col2imAdd, type ConvGeom, packConvGeom } from "./heap_loops.js";
import { heapSimdFor } from "./heap_simd.js";
import type { KernelCtx, TensorInfo } from "./kernel_ctx.js";

/** Default cap on one dxcolᵀ block (bytes). */
export const DEFAULT_COL_BYTES = 32 * 2 ** 20;

export function conv2DBackpropInputGemm(
  ctx: KernelCtx,
  dy: TensorInfo,
  filter: TensorInfo,
  attrs: Conv2DBackpropInputAttrs,
  opts: { maxChunkBytes?: number } = {},
): TensorInfo {
  const heap = requireWasmHeap(ctx.backend, "conv2DBackpropInputGemm");
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const info = nhwcConvInfo(attrs.inputShape, [kh, kw, ci, co], attrs);
  const { batchSize: n, inHeight: h, inWidth: w, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  if (dy.shape[1] !== ho || dy.shape[2] !== wo || dy.shape[3] !== co) {
    throw new Error(`conv2DBackpropInputGemm: dy shape ${String(dy.shape)} does not match output ${ho}x${wo}x${co}`);
  }
  const geom: ConvGeom = { n, h, w, ci, ho, wo, kw, sh, sw, pt: info.padInfo.top, pl: info.padInfo.left };
  const p = n * ho * wo;
  const taps = kh * kw;
  const group = Math.max(1, Math.min(taps, Math.floor((opts.maxChunkBytes ?? DEFAULT_COL_BYTES) / (4 * p * ci))));
  // dyᵀ [Co, P] is the GEMM's weights operand. tfjs caches XNNPACK's fully-connected operator on
  // that operand's tensor id alone, not its shape, and the filter gradient uses dy itself as its
  // weights operand, [P, Co]: dyᵀ must have its own buffer even where the transpose would only be
  // a reshape (P = 1 or Co = 1), or one of them gets the other's operator and writes out of bounds.
  const dyT = p === 1 || co === 1 ? copyInHeap(ctx, heap, dy, [co, p]) : ctx.transpose(ctx.reshape(dy, [p, co]), [1, 0]);
  const w2 = ctx.reshape(filter, [taps * ci, co]);
  const dxT = ctx.track(heap.makeOutput([ci, n, h, w], "float32"));
  heap.typedArrayFromHeap(dxT).fill(0);
  for (let t0 = 0; t0 < taps; t0 += group) {
    const g = Math.min(group, taps - t0);
    const wRows = g === taps ? w2 : ctx.slice(w2, [t0 * ci, 0], [g * ci, co]);
    const col = ctx.matMul(wRows, dyT, false, false); // [g·Ci, P]
    // views after the allocations (heap growth detaches earlier ones)
    const [colV, dxV] = [heap.typedArrayFromHeap(col), heap.typedArrayFromHeap(dxT)];
    const args = [colV.byteOffset / 4, dxV.byteOffset / 4, ...packConvGeom(geom), t0, g];
    // in WebAssembly SIMD (./heap_simd.ts) on this thread alone, else split among the heap threads
    if (heapSimdFor(colV.buffer) !== undefined || !splitOnHeap(ctx.backend, "col2im", args, ci, g * ci * p)) col2imAdd(colV, dxV, geom, t0, g);
    ctx.free(col);
    if (wRows !== w2) ctx.free(wRows);
  }
  return ctx.transpose(dxT, [1, 2, 3, 0]);
}

/** A tracked copy of `x` with its own buffer, as `shape` (same size). */
function copyInHeap(ctx: KernelCtx, heap: WasmHeapBackend, x: TensorInfo, shape: number[]): TensorInfo {
  const out = ctx.track(heap.makeOutput(shape, "float32"));
  // views after the allocation (heap growth detaches earlier ones)
  heap.typedArrayFromHeap(out).set(heap.typedArrayFromHeap(x));
  return out;
}
