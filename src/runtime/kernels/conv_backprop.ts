/**
 * Convolution back-propagation kernels composed from a backend's *forward*
 * `Conv2D` kernel.
 *
 * Both functions take exactly the inputs/attrs of the tfjs kernels
 * `Conv2DBackpropFilter` / `Conv2DBackpropInput` (NHWC only, dilations 1 —
 * the only case tfjs itself supports for these kernels) and return a fresh
 * `TensorInfo`.
 *
 * - filter gradient ("dilation = stride" identity):
 *     dW[a,b,ci,co] = Σ_{n,i,j} xpad[n, a + i·sh, b + j·sw, ci] · dy[n,i,j,co]
 *   which is a stride-1 convolution of x with channels moved to the batch
 *   axis (x' = [Ci, H, W, N]) by dy used as a filter (dy' = [Ho, Wo, N, Co])
 *   dilated by the stride.  Result [Ci, kh, kw, Co] → transpose to
 *   [kh, kw, Ci, Co].
 * - input gradient (transposed convolution), "sub-pixel" form: instead of
 *   inserting (s-1) zeros between the rows/cols of dy and convolving with the
 *   flipped, channel-swapped filter (which wastes (s²-1)/s² of the MACs on
 *   zeros), all s² output phases are computed by ONE stride-1 convolution of
 *   dy with a filter that stacks the s² flipped sub-filters along the output
 *   channels, followed by a depth-to-space shuffle and a crop.  For s = 1 it
 *   reduces to the plain flipped-filter convolution.
 *
 * Measured (bench/kernels.ts) on wasm: dW 7–19 GFLOP/s (stock: no kernel at
 * all), dx 10–29 GFLOP/s (stock: 1–3 GFLOP/s).
 */
import * as tf from "@tensorflow/tfjs";
import { KernelCtx, type TensorInfo } from "./kernel_ctx.js";

type Pad = "valid" | "same" | number | tf.backend_util.ExplicitPadding;

interface ConvAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

export interface Conv2DBackpropFilterAttrs extends ConvAttrs {
  filterShape: [number, number, number, number];
}

export interface Conv2DBackpropInputAttrs extends ConvAttrs {
  inputShape: [number, number, number, number];
}

/** tfjs's conv geometry for an NHWC conv without dilation, as every gradient kernel here needs it. */
export function nhwcConvInfo(
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(inputShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, "channelsLast");
}

function shape4(t: TensorInfo): [number, number, number, number] {
  return t.shape as [number, number, number, number];
}

/** True when the composition handles these attrs (otherwise the caller should fall back). */
export function compositionSupports(attrs: { dataFormat?: string }): boolean {
  return attrs.dataFormat == null || attrs.dataFormat === "NHWC";
}

/**
 * Slices away negative paddings and returns the remaining (non-negative)
 * explicit paddings for the spatial axes 1 and 2 of an NHWC tensor.
 */
function cropNegativePads(
  ctx: KernelCtx,
  x: TensorInfo,
  top: number,
  bottom: number,
  left: number,
  right: number,
): { x: TensorInfo; pads: Array<[number, number]> } {
  const [n, h, w, c] = shape4(x);
  const ct = Math.max(0, -top);
  const cb = Math.max(0, -bottom);
  const cl = Math.max(0, -left);
  const cr = Math.max(0, -right);
  let y = x;
  if (ct + cb + cl + cr > 0) {
    y = ctx.slice(x, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c]);
  }
  return {
    x: y,
    pads: [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ],
  };
}

/** dW via a forward convolution (see module comment). */
export function conv2DBackpropFilterViaConv(
  ctx: KernelCtx,
  x: TensorInfo,
  dy: TensorInfo,
  attrs: Conv2DBackpropFilterAttrs,
): TensorInfo {
  const info = nhwcConvInfo(shape4(x), attrs.filterShape, attrs);
  const { inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = info;
  const { outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  // Rows of the (virtually) padded input that are actually touched.
  const needH = kh + (ho - 1) * sh;
  const needW = kw + (wo - 1) * sw;
  const pb = needH - pt - h;
  const pr = needW - pl - w;

  // x: [N,H,W,Ci] -> [Ci,H,W,N]  (crop unused trailing rows/cols first)
  const cropped = cropNegativePads(ctx, x, pt, pb, pl, pr);
  const xT = ctx.transpose(cropped.x, [3, 1, 2, 0]);
  // dy: [N,Ho,Wo,Co] -> filter [Ho,Wo,N,Co]
  const f = ctx.transpose(dy, [1, 2, 0, 3]);
  // Dilation along an axis where dy (the filter here) has a single tap is
  // irrelevant; canonicalise it to 1.
  const dil: [number, number] = [ho === 1 ? 1 : sh, wo === 1 ? 1 : sw];
  const r = ctx.conv2d(xT, f, [1, 1], dil, cropped.pads); // [Ci,kh,kw,Co]
  if (r.shape[1] !== kh || r.shape[2] !== kw || r.shape[0] !== ci || r.shape[3] !== co) {
    throw new Error(`conv2DBackpropFilterViaConv: internal shape error ${String(r.shape)} vs ${kh},${kw},${ci},${co}`);
  }
  return ctx.transpose(r, [1, 2, 0, 3]);
}

/**
 * Builds the sub-pixel filter for the transposed convolution:
 *   F[t'h, t'w, co, (rh·sw + rw)·Ci + ci] = W[rh + sh·(kth-1-t'h), rw + sw·(ktw-1-t'w), ci, co]
 * (zero where the tap falls outside the kh×kw kernel).
 */
export function subPixelFilter(
  w: ArrayLike<number>,
  kh: number,
  kw: number,
  ci: number,
  co: number,
  sh: number,
  sw: number,
): { values: Float32Array; shape: [number, number, number, number] } {
  const kth = Math.ceil(kh / sh);
  const ktw = Math.ceil(kw / sw);
  const oc = sh * sw * ci;
  const out = new Float32Array(kth * ktw * co * oc);
  for (let th = 0; th < kth; th++) {
    for (let tw = 0; tw < ktw; tw++) {
      for (let rh = 0; rh < sh; rh++) {
        const a = rh + sh * (kth - 1 - th);
        if (a >= kh) continue;
        for (let rw = 0; rw < sw; rw++) {
          const b = rw + sw * (ktw - 1 - tw);
          if (b >= kw) continue;
          const src0 = (a * kw + b) * ci * co; // W[a,b,:,:]
          const dst0 = (th * ktw + tw) * co * oc + (rh * sw + rw) * ci;
          for (let c = 0; c < ci; c++) {
            const src = src0 + c * co;
            for (let o = 0; o < co; o++) out[dst0 + o * oc + c] = w[src + o]!;
          }
        }
      }
    }
  }
  return { values: out, shape: [kth, ktw, co, oc] };
}

/**
 * dx via one stride-1 forward convolution ("sub-pixel" transposed conv):
 *
 *   dx[h] with u = h + pt, rh = u mod sh, m = ⌊u / sh⌋ :
 *     dx[h] = Σ_t dy[m - t] · W[rh + sh·t]
 *
 * All sh·sw residue classes are computed at once by a single convolution of dy
 * with the sub-pixel filter (output channels = sh·sw·Ci), followed by a
 * depth-to-space shuffle and a crop.  Unlike zero-insertion this does no
 * multiplications by inserted zeros (only by the zero taps that round kh up
 * to a multiple of sh).
 */
export function conv2DBackpropInputViaConv(
  ctx: KernelCtx,
  dy: TensorInfo,
  filter: TensorInfo,
  attrs: Conv2DBackpropInputAttrs,
): TensorInfo {
  const [kh, kw, ci, co] = shape4(filter);
  const info = nhwcConvInfo(attrs.inputShape, [kh, kw, ci, co], attrs);
  const { batchSize: n, inHeight: h, inWidth: w, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: ho, outWidth: wo } = info;
  if (dy.shape[1] !== ho || dy.shape[2] !== wo) {
    throw new Error(`conv2DBackpropInputViaConv: dy shape ${String(dy.shape)} does not match output ${ho}x${wo}`);
  }
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const kth = Math.ceil(kh / sh);
  const ktw = Math.ceil(kw / sw);
  // Output rows m ∈ [mMin, mMax] of the sub-pixel grid cover dx rows 0..h-1.
  const mMinH = Math.floor(pt / sh);
  const mMaxH = Math.floor((h - 1 + pt) / sh);
  const mMinW = Math.floor(pl / sw);
  const mMaxW = Math.floor((w - 1 + pl) / sw);
  const mh = mMaxH - mMinH + 1;
  const mw = mMaxW - mMinW + 1;
  // dyPad[m' + t'] = dy[m' + mMin - kt + 1 + t']  →  top pad kt-1-mMin.
  const top = kth - 1 - mMinH;
  const left = ktw - 1 - mMinW;
  const bottom = mh + kth - 1 - top - ho;
  const right = mw + ktw - 1 - left - wo;
  const cropped = cropNegativePads(ctx, dy, top, bottom, left, right);

  const wVals = ctx.backend.readSync(filter.dataId) as Float32Array;
  const f = subPixelFilter(wVals, kh, kw, ci, co, sh, sw);
  const fInfo = ctx.upload(f.values, f.shape);
  const y = ctx.conv2d(cropped.x, fInfo, [1, 1], [1, 1], cropped.pads); // [N, mh, mw, sh*sw*Ci]
  if (y.shape[1] !== mh || y.shape[2] !== mw) {
    throw new Error(`conv2DBackpropInputViaConv: internal shape error ${String(y.shape)} vs ${mh}x${mw}`);
  }
  if (sh === 1 && sw === 1) return y; // mh = h, mw = w, no shuffle/crop needed
  const y6 = ctx.reshape(y, [n, mh, mw, sh, sw, ci]);
  const yT = ctx.transpose(y6, [0, 1, 3, 2, 4, 5]);
  const full = ctx.reshape(yT, [n, mh * sh, mw * sw, ci]);
  return ctx.slice(full, [0, pt - mMinH * sh, pl - mMinW * sw, 0], [n, h, w, ci]);
}
