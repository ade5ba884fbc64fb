/**
 * `Conv2DBackpropFilter` for wasm as a blocked GEMM on XNNPACK.
 *
 *   dW[r, co] = Σ_p xcolᵀ[r, p] · dy[p, co],   r = (a, b, ci),  p = (n, i, j)
 *
 * By default dW = xcolᵀ · dy ("direct"): xcolᵀ [R, P] (one row per tap and input channel, the
 * pixels along it) is written straight into the wasm heap (by the SIMD heap loops, ./heap_simd.ts, else in JS) from x in planar layout [Ci, N, H, W]
 * (one backend Transpose), so each row is whole runs of input rows; and the product runs in the
 * backend's `BatchMatMul`, whose untransposed form is XNNPACK's fully-connected operator (≈ the
 * forward conv's GFLOP/s; the transposed forms run a plain loop at ~2 GFLOP/s).  The operator packs
 * its "weights" operand — here dy, P × Co — on every call, which is why this form beats
 * dWᵀ = dyᵀ · xcol ("transposed", which packs the much larger xcol [P, R]): measured 1.2–3× faster on
 * every CycleGAN layer with ≥ 16 channels in and out at 64² and 128² (process CPU time, 1 thread).
 * xcolᵀ is built for a group of taps at a time, so its size stays under `maxChunkBytes`; each group
 * gives a contiguous block of rows of dW.  Only when one tap's rows alone exceed the cap (P·Ci·4 >
 * maxChunkBytes: the residual layers above ~1000²) the transposed form with pixel blocks is used.
 *
 * Compared with the "dilation = stride" forward conv (conv_backprop.ts), which runs XNNPACK
 * with one input channel and a 16×16…256×256 "kernel", this is 1.1–3× faster on the CycleGAN
 * layers with ≥ 64 channels in and out, and slower for the RGB layers (3 channels in or out),
 * which therefore keep the conv (register.ts, filterGradViaGemm).
 */
import type * as tf from "@tensorflow/tfjs";
import { splitOnHeap } from "../heap_pool.js";
import { nhwcConvInfo, type Conv2DBackpropFilterAttrs } from "./conv_backprop.js";
import { requireWasmHeap } from "./heap_backend.js";
import { im2colTaps, im2colTapsTransposed, packConvGeom } from "./heap_loops.js";
import { heapSimdFor } from "./heap_simd.js";
import type { KernelCtx, TensorInfo } from "./kernel_ctx.js";

/** Default cap on one im2col block (bytes). */
export const DEFAULT_CHUNK_BYTES = 32 * 2 ** 20;

/**
 * Pixel blocks (the GEMM's inner dimension) of the dyᵀ·xcol form are summed, so that even one
 * tap's im2col block stays under `maxChunkBytes` at any image size.  Only for memory: smaller
 * blocks were measured no faster (process CPU time, blocks of 256–1024 pixels against
 * one block on the CycleGAN shapes at 64² and 128²), so by default a block is as large as the cap
 * allows.
 */
export interface GemmOptions {
  /** cap on one im2col block, bytes */
  maxChunkBytes?: number;
  /** pixels per GEMM block of the dyᵀ·xcol form (default: as many as fit one tap in maxChunkBytes) */
  pixelBlock?: number;
  /** "direct": dW = xcolᵀ·dy; "transposed": dWᵀ = dyᵀ·xcol; "auto": direct when one tap's xcolᵀ rows fit maxChunkBytes */
  layout?: "auto" | "direct" | "transposed";
}

export function conv2DBackpropFilterGemm(
  ctx: KernelCtx,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
  opts: GemmOptions = {},
): TensorInfo {
  const backend = requireWasmHeap(ctx.backend, "conv2DBackpropFilterGemm");
  const info = nhwcConvInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const geom = { n, h, w, ci, ho, wo, kw, sh, sw, pt: info.padInfo.top, pl: info.padInfo.left };
  const p = n * ho * wo;
  const taps = kh * kw;
  const layout = opts.layout ?? "auto";
  // dW = xcolᵀ · dy (see the module comment); dWᵀ = dyᵀ · xcol per pixel block and one transpose only
  // where a single tap's rows of xcolᵀ would exceed the block cap.
  const maxChunkBytes = opts.maxChunkBytes ?? DEFAULT_CHUNK_BYTES;
  const direct = layout === "auto" ? 4 * p * ci <= maxChunkBytes : layout === "direct";
  const pixelBlock = direct ? p : Math.min(p, Math.max(1, opts.pixelBlock ?? Math.floor(maxChunkBytes / (4 * ci))));
  const group = Math.max(1, Math.min(taps, Math.floor(maxChunkBytes / (4 * pixelBlock * ci))));
  const dy2 = ctx.reshape(dy, [p, co]);
  const dyT = direct ? dy2 : ctx.transpose(dy2, [1, 0]); // [Co, P]
  // The direct form's rows are (tap, channel) runs over the pixels: built from x in planar layout
  // [Ci, N, H, W] (one backend Transpose), each row is whole runs of input rows.
  const xPlanar = direct ? ctx.transpose(x, [3, 0, 1, 2]) : x;
  let acc: TensorInfo | undefined;
  for (let p0 = 0; p0 < p; p0 += pixelBlock) {
    const pb = Math.min(pixelBlock, p - p0);
    const dyBlock = direct ? dy2 : ctx.slice(dyT, [0, p0], [co, pb]);
    const blocks: TensorInfo[] = [];
    for (let t0 = 0; t0 < taps; t0 += group) {
      const g = Math.min(group, taps - t0);
      const col = ctx.track(backend.makeOutput(direct ? [g * ci, p] : [pb, g * ci], "float32"));
      // Views after the allocation: growing the heap detaches earlier views.
      const xv = backend.typedArrayFromHeap(xPlanar);
      const cv = backend.typedArrayFromHeap(col);
      if (!direct) im2colTaps(xv, cv, geom, t0, g, p0, pb);
      // direct: in WebAssembly SIMD on this thread (./heap_simd.ts; splitting it was slower, as for the
      // col2im of wasm_conv_backprop_input.ts), else in JS split among the heap worker threads on the
      // threaded build (../heap_pool.ts)
      else if (heapSimdFor(xv.buffer) !== undefined || !splitOnHeap(backend, "im2colT", [xv.byteOffset / 4, cv.byteOffset / 4, ...packConvGeom(geom), t0, g], g * ci, g * ci * p)) {
        im2colTapsTransposed(xv, cv, geom, t0, g);
      }
      blocks.push(direct ? ctx.matMul(col, dy2, false, false) : ctx.matMul(dyBlock, col, false, false)); // [g·Ci, Co] | [Co, g·Ci]
      ctx.free(col);
    }
    if (dyBlock !== dyT && dyBlock !== dy2) ctx.free(dyBlock);
    const joined = blocks.length === 1 ? blocks[0]! : ctx.run("Concat", blocks as unknown as Record<string, TensorInfo>, { axis: direct ? 0 : 1 });
    if (joined !== blocks[0]) for (const b of blocks) ctx.free(b);
    if (acc == null) acc = joined;
    else {
      const sum = ctx.run("Add", { a: acc, b: joined });
      ctx.free(acc);
      ctx.free(joined);
      acc = sum;
    }
  }
  return ctx.reshape(direct ? acc! : ctx.transpose(acc!, [1, 0]), [kh, kw, ci, co]);
}
