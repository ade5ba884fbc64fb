/**
 * The JS loops of the wasm conv-gradient kernels, on plain Float32Arrays: the col2im of
 * ./wasm_conv_backprop_input.ts and the transposed im2col of ./wasm_conv_backprop_filter.ts.
 *
 * Why a module of its own, without tfjs: the heap worker threads (../heap_worker.ts) run these
 * same functions on their share of a job, and a worker that imported tfjs would load all of it to
 * use none of it. Each loop takes the part of its work one thread owns — input channels of the
 * col2im, rows of the im2col — and those parts write disjoint elements in the order one thread
 * would, so any split gives the single-thread bits.
 *
 * Each loop runs in WebAssembly SIMD (./heap_simd.wat, the same operations in the same order) when
 * its arrays are views of a heap the module is attached to (./heap_simd.ts), else in JS here. So
 * does the tiled transpose of the rearranged conv filters (./conv_backprop.ts) and of
 * KernelCtx.transpose.
 */
import { heapSimdFor } from "./heap_simd.js";

/**
 * The SIMD loops write through heap addresses, with no bounds check of their own: before one runs,
 * each view must hold what the geometry says it does (else an internal error, not a silent write
 * into another tensor).
 */
function fits(v: Float32Array, len: number, what: string, loop: string): void {
  if (v.length < len) throw new Error(`internal: ${loop}: ${what} has ${v.length} elements, the geometry needs ${len}`);
}

/** A convolution's geometry in the loops' terms (NHWC input n×h×w×ci, output ho×wo, kernel columns kw). */
export interface ConvGeom {
  n: number;
  h: number;
  w: number;
  ci: number;
  ho: number;
  wo: number;
  kw: number;
  sh: number;
  sw: number;
  pt: number;
  pl: number;
}

/** The geometry's fields in a fixed order: how it travels in a heap job's arguments. */
export const CONV_GEOM_FIELDS = ["n", "h", "w", "ci", "ho", "wo", "kw", "sh", "sw", "pt", "pl"] as const;

export const packConvGeom = (g: ConvGeom): number[] => CONV_GEOM_FIELDS.map((k) => g[k]);

export function unpackConvGeom(a: ArrayLike<number>, at: number): ConvGeom {
  const g = {} as ConvGeom;
  CONV_GEOM_FIELDS.forEach((k, i) => (g[k] = a[at + i]!));
  return g;
}

/**
 * Tap t = a·kw + b of the kernel: [a, b, j0, j1], where output columns j0..j1 are those whose input
 * column j·sw − pl + b lies in [0, w) (j1 < j0: none).
 */
function tapSpan(G: ConvGeom, t: number): [number, number, number, number] {
  const a = (t / G.kw) | 0;
  const b = t - a * G.kw;
  return [a, b, Math.max(0, Math.ceil((G.pl - b) / G.sw)), Math.min(G.wo - 1, Math.floor((G.w - 1 + G.pl - b) / G.sw))];
}

/**
 * dxT[c, n, i·sh − pt + a, j·sw − pl + b] += col[(t − t0)·Ci + c, (n, i, j)] for taps t = a·kw + b in
 * [t0, t0 + g) and input channels c in [c0, c1). Each channel's plane of dxT is written by the
 * owner of that channel alone, its taps added in the same order whatever the split.
 */
export function col2imAdd(col: Float32Array, dxT: Float32Array, G: ConvGeom, t0: number, g: number, c0 = 0, c1 = G.ci): void {
  const { n, h, w, ci, ho, wo, sh, sw, pt, pl } = G;
  const rowLen = n * ho * wo;
  const simd = col.buffer === dxT.buffer ? heapSimdFor(col.buffer) : undefined;
  if (simd !== undefined) {
    fits(col, g * ci * rowLen, "col", "col2im");
    fits(dxT, ci * n * h * w, "dxT", "col2im");
    for (let t = t0; t < t0 + g; t++) {
      const [a, b, j0, j1] = tapSpan(G, t);
      if (j1 < j0) continue;
      simd.col2imTap(col.byteOffset >> 2, dxT.byteOffset >> 2, n, h, w, ho, wo, sh, sw, a - pt, j0 * sw - pl + b, j0, j1 - j0 + 1, c0, c1, ((t - t0) * ci + c0) * rowLen);
    }
    return;
  }
  for (let t = t0; t < t0 + g; t++) {
    const [a, b, j0, j1] = tapSpan(G, t);
    let s = ((t - t0) * ci + c0) * rowLen;
    for (let c = c0; c < c1; c++) {
      for (let b0 = 0; b0 < n; b0++) {
        const plane = (c * n + b0) * h * w;
        for (let i = 0; i < ho; i++, s += wo) {
          const hx = i * sh - pt + a;
          if (hx < 0 || hx >= h) continue;
          let d = plane + hx * w + j0 * sw - pl + b;
          for (let j = j0; j <= j1; j++, d += sw) dxT[d] += col[s + j]!;
        }
      }
    }
  }
}

/**
 * colT[(t − t0)·Ci + c, p] = xpad[n, i·sh + a, j·sw + b, c] for the rows r = (t − t0)·Ci + c in
 * [r0, r1): the transpose of an im2col, from x in planar layout xt[c, n, h, w]. Every row of colT
 * is then ho runs of wo values read along one input row (stride sw), so both sides are walked
 * sequentially.
 */
export function im2colTapsTransposed(xt: Float32Array, cv: Float32Array, G: ConvGeom, t0: number, g: number, r0 = 0, r1 = g * G.ci): void {
  const { n, h, w, ci, ho, wo, sh, sw, pt, pl } = G;
  const simd = xt.buffer === cv.buffer ? heapSimdFor(xt.buffer) : undefined;
  if (simd !== undefined) {
    fits(xt, ci * n * h * w, "xt", "im2colT");
    fits(cv, r1 * n * ho * wo, "colT", "im2colT");
    // per tap, its channels within the rows [r0, r1)
    for (let t = t0 + ((r0 / ci) | 0); t < t0 + g && (t - t0) * ci < r1; t++) {
      const [a, b, j0, j1] = tapSpan(G, t);
      const c0 = Math.max(0, r0 - (t - t0) * ci);
      const c1 = Math.min(ci, r1 - (t - t0) * ci);
      simd.im2colTTap(xt.byteOffset >> 2, cv.byteOffset >> 2, n, h, w, ho, wo, sh, sw, a - pt, j0 * sw - pl + b, j0, Math.max(0, j1 - j0 + 1), c0, c1, ((t - t0) * ci + c0) * n * ho * wo);
    }
    return;
  }
  for (let r = r0; r < r1; r++) {
    const t = t0 + ((r / ci) | 0);
    const c = r - (t - t0) * ci;
    const [a, b, j0, j1] = tapSpan(G, t);
    let d = r * n * ho * wo;
    for (let b0 = 0; b0 < n; b0++) {
      const plane = (c * n + b0) * h * w;
      for (let i = 0; i < ho; i++, d += wo) {
        const hx = i * sh - pt + a;
        if (hx < 0 || hx >= h || j0 > j1) {
          cv.fill(0, d, d + wo);
          continue;
        }
        for (let j = 0; j < j0; j++) cv[d + j] = 0;
        let s = plane + hx * w + j0 * sw - pl + b;
        for (let j = j0; j <= j1; j++, s += sw) cv[d + j] = xt[s]!;
        for (let j = j1 + 1; j < wo; j++) cv[d + j] = 0;
      }
    }
  }
}

/**
 * col[q, (t − t0)·Ci + c] = xpad[n, i·sh + a, j·sw + b, c] for pixels p = p0 + q < p0 + pb and taps
 * t = a·kw + b in [t0, t0 + g).  x and col are views of the same wasm heap: the Ci-runs are moved
 * with copyWithin on the whole heap (a subarray per run was measurable garbage at 128²).
 */
export function im2colTaps(xv: Float32Array, cv: Float32Array, G: ConvGeom, t0: number, g: number, p0: number, pb: number): void {
  const { h, w, ci, ho, wo, kw, sh, sw, pt, pl } = G;
  const simd = xv.buffer === cv.buffer ? heapSimdFor(xv.buffer) : undefined;
  if (simd !== undefined) {
    fits(xv, G.n * h * w * ci, "x", "im2col");
    fits(cv, pb * g * ci, "col", "im2col");
    simd.im2colTaps(xv.byteOffset >> 2, cv.byteOffset >> 2, h, w, ci, ho, wo, kw, sh, sw, pt, pl, t0, g, p0, pb);
    return;
  }
  const heap = xv.buffer === cv.buffer ? new Float32Array(cv.buffer) : undefined;
  const xBase = xv.byteOffset >> 2;
  const cBase = cv.byteOffset >> 2;
  const row = g * ci;
  let dst = 0;
  for (let p = p0; p < p0 + pb; p++, dst += row) {
    const b0 = (p / (ho * wo)) | 0;
    const rem = p - b0 * ho * wo;
    const i = (rem / wo) | 0;
    const j = rem - i * wo;
    const xn = b0 * h * w * ci;
    for (let t = t0; t < t0 + g; t++) {
      const a = (t / kw) | 0;
      const b = t - a * kw;
      const hx = i * sh - pt + a;
      const wx = j * sw - pl + b;
      const d = dst + (t - t0) * ci;
      if (hx < 0 || hx >= h || wx < 0 || wx >= w) {
        cv.fill(0, d, d + ci);
        continue;
      }
      const src = xn + (hx * w + wx) * ci;
      if (heap != null && ci >= 16) heap.copyWithin(cBase + d, xBase + src, xBase + src + ci);
      else for (let c = 0; c < ci; c++) cv[d + c] = xv[src + c]!;
    }
  }
}

/**
 * dst[dstOff + c·dstStride + r] = src[srcOff + r·cols + c] for r < rows, c < cols: a 2-D transpose in
 * 16×16 tiles, so that neither side is walked with a large stride for long (the rearranged filters are
 * 0.6–2.4 MB; a plain row loop writes with a stride of Ci floats and costs 3–4× more; tfjs's
 * Transpose takes 3–6 ns an element on power-of-two shapes, the SIMD tiles ~0.3).
 */
export function transposeTiles(src: ArrayLike<number>, srcOff: number, rows: number, cols: number, dst: Float32Array, dstOff: number, dstStride: number): void {
  const simd = src instanceof Float32Array && src.buffer === dst.buffer ? heapSimdFor(src.buffer) : undefined;
  if (simd !== undefined) {
    fits(src as Float32Array, srcOff + rows * cols, "src", "transpose");
    fits(dst, dstOff + (cols - 1) * dstStride + rows, "dst", "transpose");
    simd.transpose2d(((src as Float32Array).byteOffset >> 2) + srcOff, (dst.byteOffset >> 2) + dstOff, rows, cols, dstStride);
    return;
  }
  const T = 16;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(cols, c0 + T);
      for (let c = c0; c < c1; c++) {
        let s = srcOff + r0 * cols + c;
        let d = dstOff + c * dstStride + r0;
        for (let r = r0; r < r1; r++, s += cols, d++) dst[d] = src[s]!;
      }
    }
  }
}

