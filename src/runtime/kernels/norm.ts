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
 */
import * as tf from "@tensorflow/tfjs";

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

/**
 * Shared implementation.  `axes` are the reduction axes ([1,2] instance norm,
 * [0,1,2] batch norm).  When `wantStats` the (biased) mean/variance are
 * returned too, with gradients deliberately stopped (they are leaves).
 */
function normalize(x: tf.Tensor4D, axes: number[], o: NormOptions, wantStats: boolean): NormCore {
  const eps = o.eps ?? 1e-5;
  const sumAxes = [0, 1, 2];
  let stats: { mean: tf.Tensor; variance: tf.Tensor } | undefined;

  const forward = (xx: tf.Tensor4D, gamma: tf.Tensor | null, beta: tf.Tensor | null, save: tf.GradSaveFunc) => {
    const mean = tf.mean(xx, axes, true);
    const centered = tf.sub(xx, mean);
    const variance = tf.mean(tf.square(centered), axes, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(centered, rstd) as tf.Tensor4D;
    if (wantStats) stats = { mean: tf.keep(mean), variance: tf.keep(variance) };
    let y: tf.Tensor4D = xhat;
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    save([xhat, rstd]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [sx, sr] = saved as [tf.Tensor4D, tf.Tensor];
      const g = gamma ? tf.mul(dy, gamma) : dy;
      const mg = tf.mean(g, axes, true);
      const mgx = tf.mean(tf.mul(g, sx), axes, true);
      const dx = tf.mul(sr, tf.sub(tf.sub(g, mg), tf.mul(sx, mgx)));
      const out: tf.Tensor[] = [dx];
      if (gamma) out.push(tf.sum(tf.mul(dy, sx), sumAxes));
      if (beta) out.push(tf.sum(dy, sumAxes));
      return out;
    };
    return { value: y, gradFunc };
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
