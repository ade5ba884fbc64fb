/**
 * Normalisation ops for NHWC tensors (PyTorch semantics), with hand-written
 * gradients via `tf.customGrad`: only x̂ and 1/σ are kept for the backward
 * pass instead of every intermediate of the composite.
 *
 * For y = γ·x̂ + β, x̂ = (x - μ)·r, r = 1/sqrt(σ²_biased + ε), with the
 * statistics taken over the reduction axes R (m elements):
 *   g  = dy·γ
 *   dx = r · (g - mean_R(g) - x̂ · mean_R(g·x̂))
 *   dγ = Σ_{N,H,W} dy·x̂,   dβ = Σ_{N,H,W} dy
 *
 * On wasm and cpu each direction is one fused kernel (norm_fused.ts,
 * norm_kernels.ts): the composite of ~9 + ~8 small tfjs kernels per norm cost
 * ~2,000 kernel launches per CycleGAN iteration.  Other backends keep the
 * composite (see `normalize`).
 */
import * as tf from "@tensorflow/tfjs";
import { NORM_BACKWARD, NORM_FORWARD, type NormBackwardAttrs, type NormKernelAttrs } from "./norm_fused.js";

export interface NormOptions {
  /** Added to the variance (default 1e-5, as in PyTorch). */
  eps?: number;
  /** Per-channel scale [C] (affine). */
  gamma?: tf.Tensor1D;
  /** Per-channel shift [C] (affine). */
  beta?: tf.Tensor1D;
}

function checkAffine(x: tf.Tensor4D, o: NormOptions, what: string): void {
  if (x.rank !== 4) throw new Error(`${what}: expected a rank-4 NHWC tensor, got shape [${x.shape.join(",")}]`);
  const c = x.shape[3];
  for (const [name, t] of [["gamma", o.gamma], ["beta", o.beta]] as const) {
    if (t != null && (t.rank !== 1 || t.shape[0] !== c)) {
      throw new Error(`${what}: ${name} must have shape [${c}], got [${t.shape.join(",")}]`);
    }
  }
}

interface NormCore {
  y: tf.Tensor4D;
  /** Batch statistics (shape [1,1,1,C] or [N,1,1,C] as keepDims of the reduction) — kept outside any scope. */
  mean?: tf.Tensor;
  variance?: tf.Tensor;
}

/** The forward's results: y, what the backward keeps (x̂, r) and the statistics when asked for. */
interface ForwardParts {
  y: tf.Tensor4D;
  /** y itself when there is no affine transform */
  xhat: tf.Tensor4D;
  rstd: tf.Tensor;
  mean?: tf.Tensor;
  variance?: tf.Tensor;
}

/** True when the fused kernel `name` (norm_fused.ts) is registered for the active backend and every tensor is float32. */
function fusedAvailable(name: string, ts: Array<tf.Tensor | null>): boolean {
  return tf.getKernel(name, tf.getBackend()) != null && ts.every((t) => t == null || t.dtype === "float32");
}

/** The forward in tf ops (any backend): the statistics as keepDims reductions. */
function compositeForward(x: tf.Tensor4D, gamma: tf.Tensor | null, beta: tf.Tensor | null, axes: number[], eps: number): ForwardParts {
  const mean = tf.mean(x, axes, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), axes, true);
  const rstd = tf.rsqrt(tf.add(variance, eps));
  const xhat = tf.mul(centered, rstd) as tf.Tensor4D;
  let y: tf.Tensor4D = xhat;
  if (gamma) y = tf.mul(y, gamma);
  if (beta) y = tf.add(y, beta);
  return { y, xhat, rstd, mean, variance };
}

/** The forward as one GanccNormForward kernel (norm_kernels.ts lists its outputs). */
function fusedForward(x: tf.Tensor4D, gamma: tf.Tensor | null, beta: tf.Tensor | null, axes: number[], eps: number, stats: boolean): ForwardParts {
  const inputs: tf.NamedTensorMap = { x };
  if (gamma) inputs.gamma = gamma;
  if (beta) inputs.beta = beta;
  const attrs: NormKernelAttrs = { axes, eps, stats };
  const outs = tf.engine().runKernel<tf.Tensor[]>(NORM_FORWARD, inputs, attrs as unknown as tf.NamedAttrMap);
  let i = 0;
  const y = outs[i++] as tf.Tensor4D;
  const xhat = gamma || beta ? (outs[i++] as tf.Tensor4D) : y;
  const rstd = outs[i++]!;
  return stats ? { y, xhat, rstd, mean: outs[i++], variance: outs[i++] } : { y, xhat, rstd };
}

/** The backward in tf ops: differentiable itself, so it also serves second-order gradients. */
function compositeBackward(dy: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor, gamma: tf.Tensor | null, withBeta: boolean, axes: number[]): tf.Tensor[] {
  const sumAxes = [0, 1, 2];
  const g = gamma ? tf.mul(dy, gamma) : dy;
  const mg = tf.mean(g, axes, true);
  const mgx = tf.mean(tf.mul(g, xhat), axes, true);
  const dx = tf.mul(rstd, tf.sub(tf.sub(g, mg), tf.mul(xhat, mgx)));
  const out: tf.Tensor[] = [dx];
  if (gamma) out.push(tf.sum(tf.mul(dy, xhat), sumAxes));
  if (withBeta) out.push(tf.sum(dy, sumAxes));
  return out;
}

/** The backward as one GanccNormBackward kernel: [dx, dγ (with γ), dβ (with β)], as the composite. */
function fusedBackward(dy: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor, gamma: tf.Tensor | null, withBeta: boolean, axes: number[]): tf.Tensor[] {
  const inputs: tf.NamedTensorMap = { dy, xhat, rstd };
  if (gamma) inputs.gamma = gamma;
  const attrs: NormBackwardAttrs = { axes, beta: withBeta };
  return tf.engine().runKernel<tf.Tensor[]>(NORM_BACKWARD, inputs, attrs as unknown as tf.NamedAttrMap);
}

/**
 * Shared implementation.  `axes` are the reduction axes ([1,2] instance norm,
 * [0,1,2] batch norm).  When `wantStats` the (biased) mean/variance are
 * returned too, with gradients deliberately stopped (they are leaves).
 *
 * Each direction runs as one fused kernel (norm_fused.ts) where the active
 * backend has it registered (wasm, cpu; register.ts) and the tensors are
 * float32, else as the tf-op composite (webgpu, tensorflow); both keep only x̂
 * and r for the backward pass and give the same saved shapes, so either
 * backward can follow either forward.  The fused backward kernel has no
 * gradient of its own: when a tape is recording over the backward pass
 * (second-order gradients, e.g. a gradient penalty — nothing in gancc does
 * this today) the composite backward runs instead, so higher-order gradients
 * stay exactly as before.
 */
function normalize(x: tf.Tensor4D, axes: number[], o: NormOptions, wantStats: boolean): NormCore {
  const eps = o.eps ?? 1e-5;
  let stats: { mean: tf.Tensor; variance: tf.Tensor } | undefined;

  const forward = (xx: tf.Tensor4D, gamma: tf.Tensor | null, beta: tf.Tensor | null, save: tf.GradSaveFunc) => {
    const fused = xx.size > 0 && fusedAvailable(NORM_FORWARD, [xx, gamma, beta]);
    const parts = fused ? fusedForward(xx, gamma, beta, axes, eps, wantStats) : compositeForward(xx, gamma, beta, axes, eps);
    if (wantStats) stats = { mean: tf.keep(parts.mean!), variance: tf.keep(parts.variance!) };
    save([parts.xhat, parts.rstd]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sr] = saved as [tf.Tensor4D, tf.Tensor];
      const useFused = !tf.engine().isTapeOn() && fusedAvailable(NORM_BACKWARD, [dy, sx, sr, gamma]);
      return (useFused ? fusedBackward : compositeBackward)(dy, sx, sr, gamma, beta != null, axes);
    };
    return { value: parts.y, gradFunc };
  };

  const gamma = o.gamma ?? null;
  const beta = o.beta ?? null;
  const inputs: tf.Tensor[] = [x];
  if (gamma) inputs.push(gamma);
  if (beta) inputs.push(beta);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xx = args[0] as tf.Tensor4D;
    let i = 1;
    const gg = gamma ? (args[i++] as tf.Tensor) : null;
    const bb = beta ? (args[i++] as tf.Tensor) : null;
    return forward(xx, gg, bb, save);
  });
  const y = op(...inputs) as tf.Tensor4D;
  if (!wantStats || stats == null) return { y };
  // The stats were tf.keep()-ed inside customGrad's tidy; re-home them in the
  // caller's scope (clone shares the buffer) and drop the kept handle.
  const s = stats as { mean: tf.Tensor; variance: tf.Tensor };
  const mean = s.mean.clone();
  const variance = s.variance.clone();
  s.mean.dispose();
  s.variance.dispose();
  return { y, mean, variance };
}

/**
 * Instance normalisation (PyTorch `InstanceNorm2d`): normalises over H,W per
 * sample and channel, biased variance, optional affine γ/β of shape [C].
 */
export function instanceNorm(x: tf.Tensor4D, opts: NormOptions = {}): tf.Tensor4D {
  checkAffine(x, opts, "instanceNorm");
  return normalize(x, [1, 2], opts, false).y;
}

export interface BatchNormTrainResult {
  /** Normalised (and affine-transformed) output, NHWC. */
  y: tf.Tensor4D;
  /** Batch mean over N,H,W, shape [C] (no gradient). */
  mean: tf.Tensor1D;
  /** Biased batch variance (used for normalisation), shape [C] (no gradient). */
  variance: tf.Tensor1D;
  /** Unbiased batch variance (m/(m-1)·variance, for running stats like PyTorch), shape [C] (no gradient). */
  unbiasedVariance: tf.Tensor1D;
}

/**
 * Batch normalisation in training mode (PyTorch `BatchNorm2d.train()`):
 * statistics over N,H,W; the output uses the biased variance, and the
 * unbiased variance is returned for the caller's running-stat update
 * (running = (1-momentum)·running + momentum·stat).  Gradients flow through the
 * batch statistics into x (as in PyTorch); the returned stats are leaves.
 */
export function batchNormTrain(x: tf.Tensor4D, opts: NormOptions = {}): BatchNormTrainResult {
  checkAffine(x, opts, "batchNormTrain");
  const [n, h, w, c] = x.shape;
  const m = n * h * w;
  const r = normalize(x, [0, 1, 2], opts, true);
  return tf.tidy(() => {
    const mean = tf.reshape(r.mean!, [c]) as tf.Tensor1D;
    const variance = tf.reshape(r.variance!, [c]) as tf.Tensor1D;
    const unbiasedVariance = (m > 1 ? tf.mul(variance, m / (m - 1)) : variance.clone()) as tf.Tensor1D;
    r.mean!.dispose();
    r.variance!.dispose();
    return { y: r.y, mean, variance, unbiasedVariance };
  });
}
