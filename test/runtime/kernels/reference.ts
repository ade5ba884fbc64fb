/**
 * Float64 reference implementations and numeric-check helpers for the kernel
 * tests.  Everything here is plain JS on Float64Arrays, independent of tfjs.
 */
import * as tf from "@tensorflow/tfjs";
import { expect } from "vitest";

export type Shape4 = [number, number, number, number];

/** Deterministic uniform [0,1) PRNG (mulberry32). */
export function urng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic N(0,1) PRNG (Box-Muller over mulberry32). */
export function rng(seed: number): () => number {
  const uni = urng(seed);
  return () => {
    const u = Math.max(uni(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uni());
  };
}

/** Random values rounded to float32 (so tfjs and the reference see identical inputs). */
export function randn(size: number, seed: number, scale = 1): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = Math.fround(r() * scale);
  return out;
}

export const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function t4(v: Float64Array, s: Shape4): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(v), s);
}

// ---------------------------------------------------------------- conv2d

export interface ConvGeom {
  n: number;
  h: number;
  w: number;
  ci: number;
  kh: number;
  kw: number;
  co: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  ho: number;
  wo: number;
}

export type PadSpec = "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];

/** Output size/padding exactly as TensorFlow defines them (computed independently of tfjs). */
export function convGeom(xs: Shape4, ws: Shape4, stride: number | [number, number], pad: PadSpec): ConvGeom {
  const [n, h, w, ci] = xs;
  const [kh, kw, , co] = ws;
  const [sh, sw] = typeof stride === "number" ? [stride, stride] : stride;
  let ho: number, wo: number, top: number, left: number;
  if (pad === "same") {
    ho = Math.ceil(h / sh);
    wo = Math.ceil(w / sw);
    top = Math.floor(Math.max((ho - 1) * sh + kh - h, 0) / 2);
    left = Math.floor(Math.max((wo - 1) * sw + kw - w, 0) / 2);
  } else if (pad === "valid") {
    ho = Math.ceil((h - kh + 1) / sh);
    wo = Math.ceil((w - kw + 1) / sw);
    top = 0;
    left = 0;
  } else {
    const [, [pt, pb], [pl, pr]] = pad;
    ho = Math.floor((h + pt + pb - kh) / sh) + 1;
    wo = Math.floor((w + pl + pr - kw) / sw) + 1;
    top = pt;
    left = pl;
  }
  return { n, h, w, ci, kh, kw, co, sh, sw, top, left, ho, wo };
}

/** y[n,i,j,o] = Σ x[n, i·sh - top + a, j·sw - left + b, c] · W[a,b,c,o] */
export function conv2dRef(x: Float64Array, wt: Float64Array, g: ConvGeom): Float64Array {
  const y = new Float64Array(g.n * g.ho * g.wo * g.co);
  for (let n = 0; n < g.n; n++)
    for (let i = 0; i < g.ho; i++)
      for (let j = 0; j < g.wo; j++)
        for (let a = 0; a < g.kh; a++) {
          const hh = i * g.sh - g.top + a;
          if (hh < 0 || hh >= g.h) continue;
          for (let b = 0; b < g.kw; b++) {
            const ww = j * g.sw - g.left + b;
            if (ww < 0 || ww >= g.w) continue;
            for (let c = 0; c < g.ci; c++) {
              const xv = x[((n * g.h + hh) * g.w + ww) * g.ci + c]!;
              const wo = ((a * g.kw + b) * g.ci + c) * g.co;
              const yo = ((n * g.ho + i) * g.wo + j) * g.co;
              for (let o = 0; o < g.co; o++) y[yo + o] += xv * wt[wo + o]!;
            }
          }
        }
  return y;
}

/** Analytic dL/dx and dL/dW for L = Σ conv2d(x, W) · dy. */
export function conv2dGradsRef(
  x: Float64Array,
  wt: Float64Array,
  dy: Float64Array,
  g: ConvGeom,
): { dx: Float64Array; dw: Float64Array } {
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(wt.length);
  for (let n = 0; n < g.n; n++)
    for (let i = 0; i < g.ho; i++)
      for (let j = 0; j < g.wo; j++)
        for (let a = 0; a < g.kh; a++) {
          const hh = i * g.sh - g.top + a;
          if (hh < 0 || hh >= g.h) continue;
          for (let b = 0; b < g.kw; b++) {
            const ww = j * g.sw - g.left + b;
            if (ww < 0 || ww >= g.w) continue;
            for (let c = 0; c < g.ci; c++) {
              const xi = ((n * g.h + hh) * g.w + ww) * g.ci + c;
              const wo = ((a * g.kw + b) * g.ci + c) * g.co;
              const yo = ((n * g.ho + i) * g.wo + j) * g.co;
              for (let o = 0; o < g.co; o++) {
                dx[xi] += wt[wo + o]! * dy[yo + o]!;
                dw[wo + o] += x[xi]! * dy[yo + o]!;
              }
            }
          }
        }
  return { dx, dw };
}

/**
 * PyTorch ConvTranspose2d in NHWC with filter [kh,kw,outC,inC] (tfjs layout):
 * y[n,o,q,oc] = Σ x[n,i,j,ic] · W[o + p - i·s, q + p - j·s, oc, ic]
 */
export function torchConvTransposeRef(
  x: Float64Array,
  xs: Shape4,
  wt: Float64Array,
  ws: Shape4,
  s: number,
  p: number,
  op: number,
): { y: Float64Array; shape: Shape4 } {
  const [n, h, w, ic] = xs;
  const [kh, kw, oc] = ws;
  const oh = (h - 1) * s - 2 * p + kh + op;
  const ow = (w - 1) * s - 2 * p + kw + op;
  const y = new Float64Array(n * oh * ow * oc);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let a = 0; a < kh; a++) {
          const o = i * s - p + a;
          if (o < 0 || o >= oh) continue;
          for (let c = 0; c < kw; c++) {
            const q = j * s - p + c;
            if (q < 0 || q >= ow) continue;
            for (let u = 0; u < oc; u++) {
              let acc = 0;
              for (let v = 0; v < ic; v++) acc += x[((b * h + i) * w + j) * ic + v]! * wt[((a * kw + c) * oc + u) * ic + v]!;
              y[((b * oh + o) * ow + q) * oc + u] += acc;
            }
          }
        }
  return { y, shape: [n, oh, ow, oc] };
}

// ---------------------------------------------------------------- padding

/** Index map of a padded axis for mode reflect|symmetric|edge. */
export function padIndex(o: number, before: number, len: number, mode: "reflect" | "symmetric" | "edge"): number {
  let i = o - before;
  if (mode === "edge") return Math.min(Math.max(i, 0), len - 1);
  if (i < 0) i = mode === "reflect" ? -i : -i - 1;
  if (i >= len) i = mode === "reflect" ? 2 * (len - 1) - i : 2 * len - 1 - i;
  return i;
}

/** Generic N-d pad reference; returns values and shape. */
export function padRef(
  x: Float64Array,
  shape: readonly number[],
  pads: ReadonlyArray<readonly [number, number]>,
  mode: "reflect" | "symmetric" | "edge",
): { y: Float64Array; shape: number[] } {
  const { oshape, source } = padSources(shape, pads, mode);
  const y = new Float64Array(source.length);
  for (let k = 0; k < y.length; k++) y[k] = x[source[k]!]!;
  return { y, shape: oshape };
}

/** Adjoint of padRef: dx[i] = Σ_{o ↦ i} dy[o]. */
export function padGradRef(
  dy: Float64Array,
  shape: readonly number[],
  pads: ReadonlyArray<readonly [number, number]>,
  mode: "reflect" | "symmetric" | "edge",
): Float64Array {
  const { source } = padSources(shape, pads, mode);
  const dx = new Float64Array(prod(shape));
  for (let k = 0; k < dy.length; k++) dx[source[k]!] += dy[k]!;
  return dx;
}

/** For every element of the padded output, the flat index of the input element it copies. */
function padSources(
  shape: readonly number[],
  pads: ReadonlyArray<readonly [number, number]>,
  mode: "reflect" | "symmetric" | "edge",
): { oshape: number[]; source: Int32Array } {
  const oshape = shape.map((s, d) => s + pads[d]![0] + pads[d]![1]);
  const source = new Int32Array(prod(oshape));
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < source.length; k++) {
    let rem = k;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d] = rem % oshape[d]!;
      rem = Math.floor(rem / oshape[d]!);
    }
    let src = 0;
    for (let d = 0; d < rank; d++) src = src * shape[d]! + padIndex(idx[d]!, pads[d]![0], shape[d]!, mode);
    source[k] = src;
  }
  return { oshape, source };
}

// ---------------------------------------------------------------- normalisation

/**
 * Normalisation over `axes` of an NHWC tensor (biased variance), with
 * optional affine.  Returns y and the (biased) mean/var per group.
 */
export function normRef(
  x: Float64Array,
  s: Shape4,
  axes: "instance" | "batch",
  eps: number,
  gamma?: Float64Array,
  beta?: Float64Array,
): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const [n, h, w, c] = s;
  const groups = axes === "instance" ? n * c : c;
  const gi = (b: number, ch: number) => (axes === "instance" ? b * c + ch : ch);
  const cnt = axes === "instance" ? h * w : n * h * w;
  const mean = new Float64Array(groups);
  const variance = new Float64Array(groups);
  for (let k = 0; k < x.length; k++) {
    const ch = k % c;
    const b = Math.floor(k / (h * w * c));
    mean[gi(b, ch)] += x[k]! / cnt;
  }
  for (let k = 0; k < x.length; k++) {
    const ch = k % c;
    const b = Math.floor(k / (h * w * c));
    const d = x[k]! - mean[gi(b, ch)]!;
    variance[gi(b, ch)] += (d * d) / cnt;
  }
  const y = new Float64Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const ch = k % c;
    const b = Math.floor(k / (h * w * c));
    const g = gi(b, ch);
    let v = (x[k]! - mean[g]!) / Math.sqrt(variance[g]! + eps);
    if (gamma) v *= gamma[ch]!;
    if (beta) v += beta[ch]!;
    y[k] = v;
  }
  return { y, mean, variance };
}

// ---------------------------------------------------------------- checks

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * Asserts max|actual - expected| ≤ tol · max(1, max|expected|).
 * (float32 results vs float64 references.)
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4, what = ""): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!);
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  const rel = worst / scale;
  expect(
    rel,
    `${what}: max abs err ${worst.toExponential(3)} at ${at} (actual ${actual[at]}, expected ${expected[at]}), scale ${scale.toExponential(3)}`,
  ).toBeLessThanOrEqual(tol);
}

/**
 * Central finite differences (float64) of loss(v) = f(v)·weights at a sample
 * of coordinates of v; compares against `grad`.
 */
export function checkFiniteDiff(
  f: (v: Float64Array) => Float64Array,
  v: Float64Array,
  weights: Float64Array,
  grad: ArrayLike<number>,
  opts: { samples?: number; h?: number; tol?: number; seed?: number; what?: string } = {},
): void {
  const h = opts.h ?? 1e-4;
  const samples = Math.min(opts.samples ?? 24, v.length);
  const r = urng(opts.seed ?? 7);
  const picks = new Set<number>();
  // always include the corners (borders are where padding bugs live)
  picks.add(0);
  picks.add(v.length - 1);
  while (picks.size < samples) picks.add(Math.floor(r() * v.length));
  const fd: number[] = [];
  const got: number[] = [];
  for (const i of picks) {
    const vp = v.slice();
    vp[i] = v[i]! + h;
    const vm = v.slice();
    vm[i] = v[i]! - h;
    fd.push((dot(f(vp), weights) - dot(f(vm), weights)) / (2 * h));
    got.push(grad[i]!);
  }
  expectClose(got, fd, opts.tol ?? 1e-4, `${opts.what ?? ""} finite-diff`);
}

/** Reads requested by `f64` inside the running `expectNoLeak`. */
let pendingReads: Array<{ t: tf.Tensor; out: Float64Array }> | null = null;

/**
 * Runs fn inside tf.tidy, fills the arrays `f64` returned inside it, and asserts that no
 * tensors/backend buffers leaked. The reads happen after fn, asynchronously (`await t.data()`):
 * the webgpu backend cannot read synchronously in Node.
 */
export async function expectNoLeak(fn: () => void): Promise<void> {
  const before = tf.memory().numTensors;
  const dataBefore = tf.engine().backend.numDataIds();
  const reads: Array<{ t: tf.Tensor; out: Float64Array }> = [];
  pendingReads = reads;
  try {
    tf.tidy(fn);
  } finally {
    pendingReads = null;
  }
  try {
    for (const r of reads) r.out.set(await r.t.data());
  } finally {
    tf.dispose(reads.map((r) => r.t));
  }
  expect(tf.memory().numTensors, "tensor leak").toBe(before);
  expect(tf.engine().backend.numDataIds(), "backend buffer leak").toBe(dataBefore);
}

/**
 * t's values as float64. Inside `expectNoLeak` the returned array is filled when
 * `expectNoLeak` reads it back (use it after the `await`); elsewhere it reads synchronously,
 * which the webgpu backend cannot do (use `read64` there).
 */
export function f64(t: tf.Tensor): Float64Array {
  if (pendingReads != null) {
    const out = new Float64Array(t.size);
    pendingReads.push({ t: tf.keep(t.clone()), out });
    return out;
  }
  if (tf.getBackend() === "webgpu") throw new Error("f64 outside expectNoLeak on webgpu: use await read64(t)");
  return Float64Array.from(t.dataSync());
}

/** t's values as float64, read asynchronously (every backend). */
export async function read64(t: tf.Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data());
}
