/**
 * The forward convolution on wasm as im2col + XNNPACK's fully-connected GEMM, for layers whose output
 * has no more pixels than channels (the rule and its measurements: compiler/wasm_kernel_routes.ts,
 * `forwardViaGemm`).
 *
 *   y[p, co] = Σ_r xcol[p, r] · W[r, co] (+ bias[co]),   r = (a, b, ci),  p = (n, i, j)
 *
 * W [kh, kw, Ci, Co] is the GEMM's weights operand as it is (a reshape to [R, Co]): XNNPACK packs it
 * once per weight version and keeps the packed copy for the version's other forwards (tfjs caches the
 * operator on the weight's id), without the filter transpose tfjs does before creating a convolution
 * operator.  xcol [P, R] is written into the heap (by the SIMD heap loops, ./heap_simd.ts, else in JS), one contiguous Ci-run per pixel and tap
 * (./heap_loops.ts `im2colTaps`).  Only the linear activation (with or without bias) is
 * handled here; anything else goes to the stock kernel.
 */
import * as tf from "@tensorflow/tfjs";
import { nhwcConvInfo } from "./conv_backprop.js";
import { requireWasmHeap } from "./heap_backend.js";
import type { KernelCtx, TensorInfo } from "./kernel_ctx.js";
import { im2colTaps } from "./heap_loops.js";

export interface ConvForwardAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dilations?: number | [number, number];
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** y = conv2d(x, W) + bias as a GEMM (see the module comment); NHWC, dilation 1. */
export function conv2DForwardGemm(ctx: KernelCtx, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, attrs: ConvForwardAttrs): TensorInfo {
  const heap = requireWasmHeap(ctx.backend, "conv2DForwardGemm");
  const info = nhwcConvInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const p = n * ho * wo;
  const r = kh * kw * ci;
  const col = ctx.track(heap.makeOutput([p, r], "float32"));
  // views after the allocation (heap growth detaches earlier ones)
  im2colTaps(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(col), { n, h, w, ci, ho, wo, kw, sh, sw, pt: info.padInfo.top, pl: info.padInfo.left }, 0, kh * kw, 0, p);
  let y = ctx.matMul(col, ctx.reshape(filter, [r, co]), false, false); // [P, Co]
  ctx.free(col);
  if (bias != null) y = ctx.run("Add", { a: y, b: bias });
  return ctx.reshape(y, [n, ho, wo, co]);
}

/** True when `conv2DForwardGemm` handles these attrs (dilation 1, NHWC, linear activation). */
export function forwardGemmSupports(attrs: { dilations?: number | [number, number]; dataFormat?: string; activation?: string }): boolean {
  const d = attrs.dilations;
  const unitDilation = d == null || (typeof d === "number" ? d === 1 : d[0] === 1 && d[1] === 1);
  return unitDilation && (attrs.dataFormat == null || attrs.dataFormat === "NHWC") && (attrs.activation == null || attrs.activation === "linear");
}
