/**
 * Instance / batch normalisation as two fused kernels, on plain Float32Arrays (NHWC).
 *
 * The composite in norm.ts launches ~9 tfjs kernels forward and ~8 backward per norm (≈ 2,000
 * small launches in one CycleGAN iteration on wasm); these do the same arithmetic in a few
 * passes over the data: forward = sum, centred sum of squares (two-pass variance, as the
 * composite, so a large mean with a small spread keeps its accuracy), normalise; backward =
 * Σdy and Σdy·x̂, then dx. The channel is the innermost loop (contiguous in NHWC) and the
 * per-channel sums are Float64Array accumulators, so they are at least as accurate as the
 * composite's float32 reductions.
 *
 * Groups: instance norm reduces over H,W for each (n, c) — N groups of H·W pixels; batch norm
 * over N,H,W for each c — one group of N·H·W pixels. Per-group statistics are laid out
 * [groups, C], i.e. the composite's keepDims shape [N|1, 1, 1, C].
 *
 * Backend-independent: norm_kernels.ts hands these functions views of the wasm heap or the cpu
 * backend's arrays. Every statistic is per channel, so `normForward` / `normBackward` take a range
 * of channels [k0, k1) and the heap worker threads (../heap_worker.ts; this module imports nothing
 * at runtime, so a worker loads it cheaply) each run the whole kernel for their own channels: the
 * pixel blocks (blockPixels of the full C) and so every per-channel float64 sum are the same as on
 * one thread, and the result has the single-thread bits.
 */

/** Kernel names (registered for wasm and cpu in register.ts). */
export const NORM_FORWARD = "GanccNormForward";
export const NORM_BACKWARD = "GanccNormBackward";

/** Attributes of the forward kernel. */
export interface NormKernelAttrs {
  /** Reduction axes of the NHWC input: [1, 2] (instance norm) or [0, 1, 2] (batch norm). */
  axes: number[];
  /** Added to the biased variance. */
  eps: number;
  /** Also output the mean and biased variance. */
  stats: boolean;
}

/** Attributes of the backward kernel. */
export interface NormBackwardAttrs {
  /** as NormKernelAttrs.axes */
  axes: number[];
  /** also output dβ (the op has a β) */
  beta: boolean;
}

export interface NormGeom {
  /** samples */
  n: number;
  /** pixels per sample (H·W) */
  p: number;
  /** channels */
  c: number;
  /** true: statistics per (n, c) (instance norm); false: per c (batch norm) */
  perSample: boolean;
}

/** The geometry of an NHWC shape reduced over `axes`; throws (internal bug) on other axes. */
export function normGeom(shape: readonly number[], axes: readonly number[]): NormGeom {
  const key = axes.join(",");
  if (shape.length !== 4 || (key !== "1,2" && key !== "0,1,2")) {
    throw new Error(`internal: fused norm supports NHWC over [1,2] or [0,1,2], got shape [${shape.join(",")}] axes [${key}]`);
  }
  const [n, h, w, c] = shape as [number, number, number, number];
  return { n, p: h * w, c, perSample: key === "1,2" };
}

/** Number of statistic groups (rows of the [groups, C] statistics). */
export const statGroups = (g: NormGeom): number => (g.perSample ? g.n : 1);

/**
 * Pixels per block. Each loop below walks a block of pixels once per group of 4 channels, with
 * the 4 channels' sums (or statistics) in local variables: measured 3–6× faster in V8 than
 * updating a per-channel array at every element (the store/reload of the accumulator bounds the
 * loop). A block of ~16 KB stays in L1 across the channel groups, so memory is still read once.
 */
const blockPixels = (c: number): number => Math.max(1, (4096 / c) | 0);

/** acc[k] += Σ x[·, k] over the elements [start, end) (whole pixels). */
function addSums(x: Float32Array, start: number, end: number, c: number, acc: Float64Array, k0: number, k1: number): void {
  const c4 = k1 - ((k1 - k0) % 4);
  const step = blockPixels(c) * c;
  for (let b0 = start; b0 < end; b0 += step) {
    const e = Math.min(end, b0 + step);
    for (let k = k0; k < c4; k += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let o = b0 + k; o < e; o += c) {
        s0 += x[o]!;
        s1 += x[o + 1]!;
        s2 += x[o + 2]!;
        s3 += x[o + 3]!;
      }
      acc[k] += s0;
      acc[k + 1] += s1;
      acc[k + 2] += s2;
      acc[k + 3] += s3;
    }
    if (c4 < k1) for (let o = b0; o < e; o += c) for (let k = c4; k < k1; k++) acc[k] += x[o + k]!;
  }
}

/** acc[k] += Σ (x[·, k] − mu[k])² over [start, end): the second pass of the two-pass variance. */
function addCentredSquares(x: Float32Array, start: number, end: number, c: number, mu: Float64Array, acc: Float64Array, k0: number, k1: number): void {
  const c4 = k1 - ((k1 - k0) % 4);
  const step = blockPixels(c) * c;
  for (let b0 = start; b0 < end; b0 += step) {
    const e = Math.min(end, b0 + step);
    for (let k = k0; k < c4; k += 4) {
      const m0 = mu[k]!, m1 = mu[k + 1]!, m2 = mu[k + 2]!, m3 = mu[k + 3]!;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let o = b0 + k; o < e; o += c) {
        const d0 = x[o]! - m0, d1 = x[o + 1]! - m1, d2 = x[o + 2]! - m2, d3 = x[o + 3]! - m3;
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
      acc[k] += s0;
      acc[k + 1] += s1;
      acc[k + 2] += s2;
      acc[k + 3] += s3;
    }
    if (c4 < k1) {
      for (let o = b0; o < e; o += c) {
        for (let k = c4; k < k1; k++) {
          const d = x[o + k]! - mu[k]!;
          acc[k] += d * d;
        }
      }
    }
  }
}

/** x̂ = (x − mu)·r and y = x̂·gm + bt over [start, end); with `xhat` null only y = x̂ is written. */
function writeNormalised(
  x: Float32Array,
  start: number,
  end: number,
  c: number,
  mu: Float64Array,
  r: Float64Array,
  gm: Float64Array,
  bt: Float64Array,
  y: Float32Array,
  xhat: Float32Array | null,
  k0: number,
  k1: number,
): void {
  const c4 = k1 - ((k1 - k0) % 4);
  const step = blockPixels(c) * c;
  for (let b0 = start; b0 < end; b0 += step) {
    const e = Math.min(end, b0 + step);
    for (let k = k0; k < c4; k += 4) {
      const m0 = mu[k]!, m1 = mu[k + 1]!, m2 = mu[k + 2]!, m3 = mu[k + 3]!;
      const r0 = r[k]!, r1 = r[k + 1]!, r2 = r[k + 2]!, r3 = r[k + 3]!;
      if (xhat == null) {
        for (let o = b0 + k; o < e; o += c) {
          y[o] = (x[o]! - m0) * r0;
          y[o + 1] = (x[o + 1]! - m1) * r1;
          y[o + 2] = (x[o + 2]! - m2) * r2;
          y[o + 3] = (x[o + 3]! - m3) * r3;
        }
        continue;
      }
      const g0 = gm[k]!, g1 = gm[k + 1]!, g2 = gm[k + 2]!, g3 = gm[k + 3]!;
      const t0 = bt[k]!, t1 = bt[k + 1]!, t2 = bt[k + 2]!, t3 = bt[k + 3]!;
      for (let o = b0 + k; o < e; o += c) {
        const v0 = (x[o]! - m0) * r0, v1 = (x[o + 1]! - m1) * r1, v2 = (x[o + 2]! - m2) * r2, v3 = (x[o + 3]! - m3) * r3;
        xhat[o] = v0;
        xhat[o + 1] = v1;
        xhat[o + 2] = v2;
        xhat[o + 3] = v3;
        y[o] = v0 * g0 + t0;
        y[o + 1] = v1 * g1 + t1;
        y[o + 2] = v2 * g2 + t2;
        y[o + 3] = v3 * g3 + t3;
      }
    }
    if (c4 < k1) {
      for (let o = b0; o < e; o += c) {
        for (let k = c4; k < k1; k++) {
          const v = (x[o + k]! - mu[k]!) * r[k]!;
          if (xhat == null) y[o + k] = v;
          else {
            xhat[o + k] = v;
            y[o + k] = v * gm[k]! + bt[k]!;
          }
        }
      }
    }
  }
}

/** sdy[k] += Σ dy[·, k], sdyx[k] += Σ dy·x̂ over [start, end). */
function addGradSums(dy: Float32Array, xhat: Float32Array, start: number, end: number, c: number, sdy: Float64Array, sdyx: Float64Array, k0: number, k1: number): void {
  const c4 = k1 - ((k1 - k0) % 4);
  const step = blockPixels(c) * c;
  for (let b0 = start; b0 < end; b0 += step) {
    const e = Math.min(end, b0 + step);
    for (let k = k0; k < c4; k += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let q0 = 0, q1 = 0, q2 = 0, q3 = 0;
      for (let o = b0 + k; o < e; o += c) {
        const d0 = dy[o]!, d1 = dy[o + 1]!, d2 = dy[o + 2]!, d3 = dy[o + 3]!;
        s0 += d0;
        s1 += d1;
        s2 += d2;
        s3 += d3;
        q0 += d0 * xhat[o]!;
        q1 += d1 * xhat[o + 1]!;
        q2 += d2 * xhat[o + 2]!;
        q3 += d3 * xhat[o + 3]!;
      }
      sdy[k] += s0;
      sdy[k + 1] += s1;
      sdy[k + 2] += s2;
      sdy[k + 3] += s3;
      sdyx[k] += q0;
      sdyx[k + 1] += q1;
      sdyx[k + 2] += q2;
      sdyx[k + 3] += q3;
    }
    if (c4 < k1) {
      for (let o = b0; o < e; o += c) {
        for (let k = c4; k < k1; k++) {
          const d = dy[o + k]!;
          sdy[k] += d;
          sdyx[k] += d * xhat[o + k]!;
        }
      }
    }
  }
}

/** dx = a·(dy − mdy − x̂·mdyx) over [start, end). */
function writeDx(
  dy: Float32Array,
  xhat: Float32Array,
  start: number,
  end: number,
  c: number,
  a: Float64Array,
  mdy: Float64Array,
  mdyx: Float64Array,
  dx: Float32Array,
  k0: number,
  k1: number,
): void {
  const c4 = k1 - ((k1 - k0) % 4);
  const step = blockPixels(c) * c;
  for (let b0 = start; b0 < end; b0 += step) {
    const e = Math.min(end, b0 + step);
    for (let k = k0; k < c4; k += 4) {
      const a0 = a[k]!, a1 = a[k + 1]!, a2 = a[k + 2]!, a3 = a[k + 3]!;
      const m0 = mdy[k]!, m1 = mdy[k + 1]!, m2 = mdy[k + 2]!, m3 = mdy[k + 3]!;
      const q0 = mdyx[k]!, q1 = mdyx[k + 1]!, q2 = mdyx[k + 2]!, q3 = mdyx[k + 3]!;
      for (let o = b0 + k; o < e; o += c) {
        dx[o] = a0 * (dy[o]! - m0 - xhat[o]! * q0);
        dx[o + 1] = a1 * (dy[o + 1]! - m1 - xhat[o + 1]! * q1);
        dx[o + 2] = a2 * (dy[o + 2]! - m2 - xhat[o + 2]! * q2);
        dx[o + 3] = a3 * (dy[o + 3]! - m3 - xhat[o + 3]! * q3);
      }
    }
    if (c4 < k1) {
      for (let o = b0; o < e; o += c) {
        for (let k = c4; k < k1; k++) dx[o + k] = a[k]! * (dy[o + k]! - mdy[k]! - xhat[o + k]! * mdyx[k]!);
      }
    }
  }
}

export interface NormForwardOut {
  y: Float32Array;
  /** x̂; null when there is no affine transform (then y is x̂). */
  xhat: Float32Array | null;
  /** 1/sqrt(σ² + ε), [groups, C] */
  rstd: Float32Array;
  /** batch mean / biased variance, [groups, C]; null when not wanted */
  mean: Float32Array | null;
  variance: Float32Array | null;
}

/**
 * y = γ·x̂ + β, x̂ = (x − μ)·r, r = 1/sqrt(σ² + ε): fills `out` (every element of y, x̂, r).
 * With m = 1 (a 1×1 image in instance norm) σ² = 0 and x̂ = 0, exactly as the composite.
 */
export function normForward(
  x: Float32Array,
  gamma: Float32Array | null,
  beta: Float32Array | null,
  g: NormGeom,
  eps: number,
  out: NormForwardOut,
  k0 = 0,
  k1 = g.c,
): void {
  const { c } = g;
  const span = (g.perSample ? g.p : g.n * g.p) * c; // elements in one group
  const m = span / c;
  const acc = new Float64Array(c);
  const mu = new Float64Array(c);
  const r = new Float64Array(c);
  const gm = new Float64Array(c).fill(1);
  const bt = new Float64Array(c);
  if (gamma) gm.set(gamma);
  if (beta) bt.set(beta);
  for (let gi = 0; gi < statGroups(g); gi++) {
    const start = gi * span;
    const end = start + span;
    acc.fill(0);
    addSums(x, start, end, c, acc, k0, k1);
    for (let k = k0; k < k1; k++) mu[k] = acc[k]! / m;
    acc.fill(0);
    addCentredSquares(x, start, end, c, mu, acc, k0, k1);
    const row = gi * c;
    for (let k = k0; k < k1; k++) {
      const v = acc[k]! / m;
      r[k] = 1 / Math.sqrt(v + eps);
      out.rstd[row + k] = r[k]!;
      if (out.mean) out.mean[row + k] = mu[k]!;
      if (out.variance) out.variance[row + k] = v;
    }
    writeNormalised(x, start, end, c, mu, r, gm, bt, out.y, out.xhat, k0, k1);
  }
}

export interface NormBackwardOut {
  dx: Float32Array;
  /** Σ_{N,H,W} dy·x̂, [C]; null when there is no γ */
  dgamma: Float32Array | null;
  /** Σ_{N,H,W} dy, [C]; null when there is no β */
  dbeta: Float32Array | null;
}

/**
 * dx = r·γ·(dy − mean_R(dy) − x̂·mean_R(dy·x̂)) (the composite's r·(g − mean g − x̂·mean(g·x̂))
 * with g = γ·dy, γ taken out of the means), dγ = Σ dy·x̂, dβ = Σ dy — one pass for the sums,
 * one for dx.
 */
export function normBackward(
  dy: Float32Array,
  xhat: Float32Array,
  rstd: Float32Array,
  gamma: Float32Array | null,
  g: NormGeom,
  out: NormBackwardOut,
  k0 = 0,
  k1 = g.c,
): void {
  const { c } = g;
  const span = (g.perSample ? g.p : g.n * g.p) * c;
  const m = span / c;
  const sdy = new Float64Array(c);
  const sdyx = new Float64Array(c);
  const totDy = new Float64Array(c);
  const totDyx = new Float64Array(c);
  const a = new Float64Array(c);
  const mdy = new Float64Array(c);
  const mdyx = new Float64Array(c);
  for (let gi = 0; gi < statGroups(g); gi++) {
    const start = gi * span;
    const end = start + span;
    sdy.fill(0);
    sdyx.fill(0);
    addGradSums(dy, xhat, start, end, c, sdy, sdyx, k0, k1);
    const row = gi * c;
    for (let k = k0; k < k1; k++) {
      totDy[k] += sdy[k]!;
      totDyx[k] += sdyx[k]!;
      a[k] = rstd[row + k]! * (gamma ? gamma[k]! : 1);
      mdy[k] = sdy[k]! / m;
      mdyx[k] = sdyx[k]! / m;
    }
    writeDx(dy, xhat, start, end, c, a, mdy, mdyx, out.dx, k0, k1);
  }
  for (let k = k0; k < k1; k++) {
    if (out.dgamma) out.dgamma[k] = totDyx[k]!;
    if (out.dbeta) out.dbeta[k] = totDy[k]!;
  }
}
