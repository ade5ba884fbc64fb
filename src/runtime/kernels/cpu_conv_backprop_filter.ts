/**
 * A fast pure-JS `Conv2DBackpropFilter` for the cpu backend.
 *
 * tfjs-backend-cpu's kernel evaluates every filter tap with `TensorBuffer.get`
 * (≈0.01–0.02 GFLOP/s).  This one is a blocked im2col × dyᵀ product:
 *
 *   dW[r, co] = Σ_p xcol[r, p] · dy[p, co],   r = (a, b, ci),  p = (n, i, j)
 *
 * processed in blocks of `PB` output pixels: the block of dy is transposed to
 * [Co][PB] and the block of x is gathered into [R][PB] (zeros for padding), so
 * the inner loop is a 1×4 register-blocked dot product over contiguous
 * Float32Arrays.  Accumulation is in float64 (JS numbers) within a block.
 */
import * as tf from "@tensorflow/tfjs";

const PB = 256;

export function conv2DBackpropFilterJs(
  xv: Float32Array,
  dyv: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): Float32Array {
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: Ci, outChannels: Co } = info;
  const { outHeight: Ho, outWidth: Wo, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const pt = info.padInfo.top;
  const pl = info.padInfo.left;
  const R = kh * kw * Ci;
  const P = N * Ho * Wo;
  const out = new Float64Array(R * Co);
  const xcol = new Float32Array(R * PB);
  const dyT = new Float32Array(Co * PB);
  const Co4 = Co - (Co % 4);

  for (let p0 = 0; p0 < P; p0 += PB) {
    const pb = Math.min(PB, P - p0);
    // dy block, transposed: dyT[co*PB + q] = dy[p0+q, co]
    for (let q = 0; q < pb; q++) {
      const src = (p0 + q) * Co;
      for (let co = 0; co < Co; co++) dyT[co * PB + q] = dyv[src + co]!;
    }
    // x block, im2col: xcol[((a*kw+b)*Ci+ci)*PB + q]
    for (let q = 0; q < pb; q++) {
      const p = p0 + q;
      const n = (p / (Ho * Wo)) | 0;
      const rem = p - n * Ho * Wo;
      const i = (rem / Wo) | 0;
      const j = rem - i * Wo;
      const xn = n * H * W * Ci;
      for (let a = 0; a < kh; a++) {
        const hx = i * sh - pt + a;
        const rowOk = hx >= 0 && hx < H;
        for (let b = 0; b < kw; b++) {
          const wx = j * sw - pl + b;
          const base = (a * kw + b) * Ci * PB + q;
          if (rowOk && wx >= 0 && wx < W) {
            const src = xn + (hx * W + wx) * Ci;
            for (let ci = 0; ci < Ci; ci++) xcol[base + ci * PB] = xv[src + ci]!;
          } else {
            for (let ci = 0; ci < Ci; ci++) xcol[base + ci * PB] = 0;
          }
        }
      }
    }
    // out[r, co] += Σ_q xcol[r, q] · dyT[co, q]
    for (let co = 0; co < Co4; co += 4) {
      const d0 = co * PB;
      const d1 = d0 + PB;
      const d2 = d1 + PB;
      const d3 = d2 + PB;
      let r = 0;
      for (; r + 1 < R; r += 2) {
        const xa = r * PB;
        const xb = xa + PB;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        for (let q = 0; q < pb; q++) {
          const u = xcol[xa + q]!;
          const v = xcol[xb + q]!;
          const e0 = dyT[d0 + q]!;
          const e1 = dyT[d1 + q]!;
          const e2 = dyT[d2 + q]!;
          const e3 = dyT[d3 + q]!;
          s0 += u * e0; s1 += u * e1; s2 += u * e2; s3 += u * e3;
          t0 += v * e0; t1 += v * e1; t2 += v * e2; t3 += v * e3;
        }
        const o = r * Co + co;
        out[o] += s0; out[o + 1] += s1; out[o + 2] += s2; out[o + 3] += s3;
        const o2 = o + Co;
        out[o2] += t0; out[o2 + 1] += t1; out[o2 + 2] += t2; out[o2 + 3] += t3;
      }
      for (; r < R; r++) {
        const xr = r * PB;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let q = 0; q < pb; q++) {
          const xq = xcol[xr + q]!;
          s0 += xq * dyT[d0 + q]!;
          s1 += xq * dyT[d1 + q]!;
          s2 += xq * dyT[d2 + q]!;
          s3 += xq * dyT[d3 + q]!;
        }
        const o = r * Co + co;
        out[o] += s0; out[o + 1] += s1; out[o + 2] += s2; out[o + 3] += s3;
      }
    }
    // Remaining 1–3 output channels (e.g. the RGB output layer): 4 rows at a time.
    const R4 = R - (R % 4);
    for (let co = Co4; co < Co; co++) {
      const d0 = co * PB;
      for (let r = 0; r < R4; r += 4) {
        const x0 = r * PB;
        const x1 = x0 + PB;
        const x2 = x1 + PB;
        const x3 = x2 + PB;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let q = 0; q < pb; q++) {
          const e = dyT[d0 + q]!;
          s0 += xcol[x0 + q]! * e;
          s1 += xcol[x1 + q]! * e;
          s2 += xcol[x2 + q]! * e;
          s3 += xcol[x3 + q]! * e;
        }
        out[r * Co + co] += s0;
        out[(r + 1) * Co + co] += s1;
        out[(r + 2) * Co + co] += s2;
        out[(r + 3) * Co + co] += s3;
      }
      for (let r = R4; r < R; r++) {
        const xr = r * PB;
        let s0 = 0;
        for (let q = 0; q < pb; q++) s0 += xcol[xr + q]! * dyT[d0 + q]!;
        out[r * Co + co] += s0;
      }
    }
  }
  return Float32Array.from(out);
}
