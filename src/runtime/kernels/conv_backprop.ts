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
 *   [kh, kw, Ci, Co].  On wasm only the RGB layers use it; layers with wide
 *   channels take the im2col GEMM (wasm_conv_backprop_filter.ts).
 * - input gradient (transposed convolution), no multiplications by inserted
 *   zeros: output pixel h gets the taps of W with a ≡ h + pad (mod s), so the
 *   s² output phases (rh, rw) are s² stride-1 convolutions of dy with the
 *   flipped, channel-swapped taps of that phase ("phases").  When k is a
 *   multiple of s (k4 s2) every phase has the same taps and ONE convolution
 *   with the phase filters stacked along the output channels does it
 *   ("sub-pixel"); when not (k3 s2: 4, 2, 2, 1 taps) stacking would round
 *   every phase up to 4 taps (16 instead of 9 MACs per output), so the phases
 *   run separately.  The phases are then interleaved into dx and cropped; on
 *   wasm in one JS pass over the heap.  For s = 1 it is the plain
 *   flipped-filter convolution.  The rearranged filters are cached per weight
 *   version (filter_cache.ts).
 *
 * Measured throughput: bench/kernels.ts (GFLOP/s next to XNNPACK's forward conv
 * and PyTorch on the CycleGAN shapes).
 */
import * as tf from "@tensorflow/tfjs";
import { FilterCache } from "./filter_cache.js";
import { wasmHeap } from "./heap_backend.js";
import { transposeTiles } from "./heap_loops.js";
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
  const shape = subPixelFilterShape(kh, kw, ci, co, sh, sw);
  const out = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  writeSubPixelFilter(w, out, kh, kw, ci, co, sh, sw);
  return { values: out, shape };
}

function subPixelFilterShape(kh: number, kw: number, ci: number, co: number, sh: number, sw: number): [number, number, number, number] {
  return [Math.ceil(kh / sh), Math.ceil(kw / sw), co, sh * sw * ci];
}

/** `subPixelFilter` into `out` (every element written, zeros included). */
function writeSubPixelFilter(w: ArrayLike<number>, out: Float32Array, kh: number, kw: number, ci: number, co: number, sh: number, sw: number): void {
  const kth = Math.ceil(kh / sh);
  const ktw = Math.ceil(kw / sw);
  const oc = sh * sw * ci;
  out.fill(0, 0, kth * ktw * co * oc);
  for (let th = 0; th < kth; th++) {
    for (let tw = 0; tw < ktw; tw++) {
      for (let rh = 0; rh < sh; rh++) {
        const a = rh + sh * (kth - 1 - th);
        if (a >= kh) continue;
        for (let rw = 0; rw < sw; rw++) {
          const b = rw + sw * (ktw - 1 - tw);
          if (b >= kw) continue;
          // out[dst0 + o·oc + c] = W[a, b, c, o]
          transposeTiles(w, (a * kw + b) * ci * co, ci, co, out, (th * ktw + tw) * co * oc + (rh * sw + rw) * ci, oc);
        }
      }
    }
  }
}

/**
 * Whether the input gradient runs one exact convolution per output phase (rh, rw) rather than
 * one sub-pixel convolution: when the kernel is not a multiple of the stride (k3 s2), the
 * sub-pixel filter rounds every phase up to ⌈k/s⌉² taps — 16 instead of 9 multiply-adds per
 * output for k3 s2 — so s² exact convolutions are cheaper.  Not when a phase would have no tap at
 * all (k < s), nor for small convolutions (fewer than `PHASE_MIN_MACS` multiply-adds in the
 * sub-pixel form), where s² kernel calls and XNNPACK operators cost more than the saved
 * arithmetic (measured: a tiny spec's training iteration 30% slower with phases everywhere).
 */
export function usePhases(kh: number, kw: number, sh: number, sw: number, subPixelMacs = Infinity): boolean {
  return (kh % sh !== 0 || kw % sw !== 0) && kh >= sh && kw >= sw && subPixelMacs >= PHASE_MIN_MACS;
}

/** Below this many multiply-adds (sub-pixel form) the input gradient stays one convolution. */
export const PHASE_MIN_MACS = 2 ** 22;

/**
 * The filter of output phase (rh, rw): the flipped, channel-swapped taps of W that reach it,
 *   F[t'h, t'w, co, ci] = W[rh + sh·(kt_h-1-t'h), rw + sw·(kt_w-1-t'w), ci, co],  kt_h = ⌈(kh - rh)/sh⌉.
 */
export function phaseFilter(
  w: ArrayLike<number>,
  kh: number,
  kw: number,
  ci: number,
  co: number,
  sh: number,
  sw: number,
  rh: number,
  rw: number,
): { values: Float32Array; shape: [number, number, number, number] } {
  const shape = phaseFilterShape(kh, kw, ci, co, sh, sw, rh, rw);
  const out = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  writePhaseFilter(w, out, kh, kw, ci, co, sh, sw, rh, rw);
  return { values: out, shape };
}

function phaseFilterShape(kh: number, kw: number, ci: number, co: number, sh: number, sw: number, rh: number, rw: number): [number, number, number, number] {
  return [Math.ceil((kh - rh) / sh), Math.ceil((kw - rw) / sw), co, ci];
}

/** `phaseFilter` into `out`. */
function writePhaseFilter(w: ArrayLike<number>, out: Float32Array, kh: number, kw: number, ci: number, co: number, sh: number, sw: number, rh: number, rw: number): void {
  const kth = Math.ceil((kh - rh) / sh);
  const ktw = Math.ceil((kw - rw) / sw);
  for (let th = 0; th < kth; th++) {
    const a = rh + sh * (kth - 1 - th);
    for (let tw = 0; tw < ktw; tw++) {
      const b = rw + sw * (ktw - 1 - tw);
      transposeTiles(w, (a * kw + b) * ci * co, ci, co, out, (th * ktw + tw) * co * ci, ci);
    }
  }
}

/**
 * A new (untracked) tensor of `shape` filled by `fill(weights, out)` from `filter`'s values.  On wasm
 * both sides are views of the heap (no read-back copy of the weight, no upload copy of the result, no
 * garbage: a readSync'ed 2.4 MB weight per call was a tenth of the iteration's GC time).
 */
function rearranged(backend: tf.KernelBackend, filter: TensorInfo, shape: [number, number, number, number], fill: (w: Float32Array, out: Float32Array) => void): TensorInfo {
  const heap = wasmHeap(backend);
  if (heap != null && filter.dtype === "float32") {
    const out = heap.makeOutput(shape, "float32");
    // views after the allocation: growing the heap detaches earlier ones
    fill(heap.typedArrayFromHeap(filter), heap.typedArrayFromHeap(out));
    return out;
  }
  const values = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  fill(backend.readSync(filter.dataId) as Float32Array, values);
  return { dataId: backend.write(values, shape, "float32"), shape, dtype: "float32" };
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
  /** per-phase convolutions (true) or one sub-pixel convolution (false); default: `usePhases` */
  phases?: boolean,
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

  // The rearranged filters depend only on the weight's value: built once per weight version
  // (see filter_cache.ts), which also lets XNNPACK keep its packed operators for them.
  const cache = FilterCache.of(ctx.backend);
  // One [N, mh, mw, C] result per output phase (rh, rw), or one with the phases as channel blocks.
  const grid = { n, h, w, ci, sh, sw, mh, mw, offH: pt - mMinH * sh, offW: pl - mMinW * sw };
  const subPixelMacs = n * mh * mw * kth * ktw * co * sh * sw * ci;
  if (phases ?? usePhases(kh, kw, sh, sw, subPixelMacs)) {
    const phases: TensorInfo[] = [];
    for (let rh = 0; rh < sh; rh++) {
      for (let rw = 0; rw < sw; rw++) {
        const kt = [Math.ceil((kh - rh) / sh), Math.ceil((kw - rw) / sw)];
        const t = kt[0]! - 1 - mMinH;
        const l = kt[1]! - 1 - mMinW;
        const c = cropNegativePads(ctx, dy, t, mh + kt[0]! - 1 - t - ho, l, mw + kt[1]! - 1 - l - wo);
        const f = cache.get(filter, `phase:${sh}x${sw}:${rh},${rw}`, () =>
          rearranged(ctx.backend, filter, phaseFilterShape(kh, kw, ci, co, sh, sw, rh, rw), (wv, out) => writePhaseFilter(wv, out, kh, kw, ci, co, sh, sw, rh, rw)),
        );
        phases.push(checkGrid(ctx.conv2d(c.x, f, [1, 1], [1, 1], c.pads), mh, mw));
      }
    }
    return interleavePhases(ctx, phases, grid);
  }
  const fInfo = cache.get(filter, `subpixel:${sh}x${sw}`, () =>
    rearranged(ctx.backend, filter, subPixelFilterShape(kh, kw, ci, co, sh, sw), (wv, out) => writeSubPixelFilter(wv, out, kh, kw, ci, co, sh, sw)),
  );
  const cropped = cropNegativePads(ctx, dy, top, bottom, left, right);
  const y = checkGrid(ctx.conv2d(cropped.x, fInfo, [1, 1], [1, 1], cropped.pads), mh, mw); // [N, mh, mw, sh*sw*Ci]
  if (sh === 1 && sw === 1) return y; // mh = h, mw = w, no shuffle/crop needed
  return interleavePhases(ctx, [y], grid);
}

function checkGrid(y: TensorInfo, mh: number, mw: number): TensorInfo {
  if (y.shape[1] !== mh || y.shape[2] !== mw) {
    throw new Error(`conv2DBackpropInputViaConv: internal shape error ${String(y.shape)} vs ${mh}x${mw}`);
  }
  return y;
}

interface PhaseGrid {
  n: number;
  h: number;
  w: number;
  ci: number;
  sh: number;
  sw: number;
  mh: number;
  mw: number;
  /** dx row of phase-grid row 0, phase 0 is −offH */
  offH: number;
  offW: number;
}

/**
 * dx[n, m·sh + rh − offH, m'·sw + rw − offW, :] = phase (rh, rw) at [n, m, m', :], cropped to
 * [N, H, W, Ci].  `parts` is either sh·sw tensors [N, mh, mw, Ci] or one [N, mh, mw, sh·sw·Ci]
 * with the phases as channel blocks.  On wasm the phases are copied straight into the output
 * in the heap (one pass); elsewhere concat + a rank-6 transpose + a crop.
 */
function interleavePhases(ctx: KernelCtx, parts: TensorInfo[], g: PhaseGrid): TensorInfo {
  const { n, h, w, ci, sh, sw, mh, mw, offH, offW } = g;
  const heap = wasmHeap(ctx.backend);
  if (heap == null) {
    const y = parts.length === 1 ? parts[0]! : ctx.run("Concat", parts as unknown as Record<string, TensorInfo>, { axis: 3 });
    const y6 = ctx.reshape(y, [n, mh, mw, sh, sw, ci]);
    const full = ctx.reshape(ctx.transpose(y6, [0, 1, 3, 2, 4, 5]), [n, mh * sh, mw * sw, ci]);
    return ctx.slice(full, [0, offH, offW, 0], [n, h, w, ci]);
  }
  const out = ctx.track(heap.makeOutput([n, h, w, ci], "float32"));
  // views after the allocation (heap growth detaches); all of them on one heap, so runs are moved
  // with copyWithin on the whole heap (no subarray objects: one per pixel was measurable garbage)
  const dstView = heap.typedArrayFromHeap(out);
  const all = new Float32Array(dstView.buffer);
  const dst0 = dstView.byteOffset >> 2;
  const srcs = parts.map((p) => heap.typedArrayFromHeap(p).byteOffset >> 2);
  const one = parts.length === 1;
  const stride = one ? sh * sw * ci : ci; // floats per grid pixel in a source
  for (let rh = 0; rh < sh; rh++) {
    for (let rw = 0; rw < sw; rw++) {
      const src0 = one ? srcs[0]! : srcs[rh * sw + rw]!;
      const chan = one ? (rh * sw + rw) * ci : 0;
      // grid columns m' whose dx column m'·sw + rw − offW lies in [0, W)
      const c0 = Math.max(0, Math.ceil((offW - rw) / sw));
      const c1 = Math.min(mw - 1, Math.floor((w - 1 + offW - rw) / sw));
      for (let b = 0; b < n; b++) {
        for (let m = 0; m < mh; m++) {
          const row = m * sh + rh - offH;
          if (row < 0 || row >= h) continue;
          let s = src0 + ((b * mh + m) * mw + c0) * stride + chan;
          let d = dst0 + ((b * h + row) * w + c0 * sw + rw - offW) * ci;
          for (let c = c0; c <= c1; c++, s += stride, d += sw * ci) {
            if (ci >= 16) all.copyWithin(d, s, s + ci);
            else for (let k = 0; k < ci; k++) all[d + k] = all[s + k]!;
          }
        }
      }
    }
  }
  return out;
}
