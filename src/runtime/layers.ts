/**
 * Runtime lowering of every op in the compiler's ops table (src/compiler/ops.ts): one entry
 * per op, each a small function from input tensors, the node's attributes and its parameters
 * to the output tensor. Layout NHWC; conv kernels HWIO, conv-transpose kernels HWOI.
 *
 * Adding an op = one entry in OPS (compiler) + one entry here + a test in
 * test/runtime/layers.test.ts (which also checks that the two tables have the same keys).
 */
import * as tf from "@tensorflow/tfjs";
import type { IrNode } from "../ir/schema.js";
import { convTranspose2d, instanceNorm, batchNormTrain, reflectPad, replicatePad } from "./kernels/index.js";
import type { Rng } from "./rng.js";

export interface ForwardContext {
  /** training mode: batch statistics for batch norm (and running-stat updates), dropout on */
  training: boolean;
  /** source of dropout masks */
  rng: Rng;
  /** assigns a new value to a non-trainable state variable (batch-norm running statistics) */
  assignState(name: string, value: tf.Tensor): void;
}

export interface Lowering {
  (xs: tf.Tensor[], node: IrNode, params: tf.Tensor[], ctx: ForwardContext, fuse?: FusedActivation): tf.Tensor;
}

/** An activation folded into the preceding conv (tfjs fused conv2d; gradients exist for relu/linear). */
export type FusedActivation = "relu";

const num = (node: IrNode, k: string): number => {
  const v = node.attrs[k];
  if (typeof v !== "number") throw new Error(`internal: node ${node.id} (${node.op}) has no numeric attribute ${k}`);
  return v;
};

const img = (t: tf.Tensor): tf.Tensor4D => {
  if (t.rank !== 4) throw new Error(`internal: expected an NHWC image tensor, got shape [${t.shape.join(",")}]`);
  return t as tf.Tensor4D;
};

/**
 * A dilated kernel as an ordinary one (zeros between taps), so dilation trains on every backend
 * (tfjs has no conv gradient for dilation > 1). [k,k,a,b] → [(k-1)d+1, (k-1)d+1, a, b].
 */
export function dilateKernel(kernel: tf.Tensor4D, d: number): tf.Tensor4D {
  if (d === 1) return kernel;
  const [kh, kw, a, b] = kernel.shape;
  const spread = tf.pad(tf.reshape(kernel, [kh, 1, kw, 1, a, b]), [[0, 0], [0, d - 1], [0, 0], [0, d - 1], [0, 0], [0, 0]]);
  const full = tf.reshape(spread, [kh * d, kw * d, a, b]);
  return tf.slice(full, [0, 0, 0, 0], [(kh - 1) * d + 1, (kw - 1) * d + 1, a, b]) as tf.Tensor4D;
}

/**
 * The [n·s, n] matrix that upsamples a length-n axis by s: nearest (PyTorch mode='nearest':
 * source floor(o/s)) or bilinear with half-pixel centres (PyTorch align_corners=False: source
 * (o + 0.5)/s − 0.5, clamped to the edge). Upsampling is then two matrix products, whose
 * gradients are exact on every backend (tfjs's ResizeBilinearGrad on cpu ignores
 * half_pixel_centers and swaps H and W of non-square images).
 */
export function interpolationMatrix(n: number, s: number, bilinear: boolean): Float32Array {
  const m = new Float32Array(n * s * n);
  for (let o = 0; o < n * s; o++) {
    if (!bilinear) {
      m[o * n + Math.floor(o / s)] = 1;
      continue;
    }
    const src = Math.min(Math.max((o + 0.5) / s - 0.5, 0), n - 1);
    const i0 = Math.floor(src);
    const i1 = Math.min(i0 + 1, n - 1);
    const f = src - i0;
    m[o * n + i0]! += 1 - f;
    m[o * n + i1]! += f;
  }
  return m;
}

/** y[n, o, p, c] = Σ_h Σ_w A[o, h] · x[n, h, w, c] · B[p, w]  (two 2-D matrix products). */
function resample(x: tf.Tensor4D, a: Float32Array, b: Float32Array): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ho = a.length / h;
  const wo = b.length / w;
  const At = tf.transpose(tf.tensor2d(a, [ho, h])) as tf.Tensor2D;
  const Bt = tf.transpose(tf.tensor2d(b, [wo, w])) as tf.Tensor2D;
  // along H: [n, w, c, h] · Aᵀ → [n, w, c, ho]
  const xh = tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [n * w * c, h]) as tf.Tensor2D;
  const yh = tf.reshape(tf.matMul(xh, At), [n, w, c, ho]);
  // along W: [n, ho, c, w] · Bᵀ → [n, ho, c, wo] → [n, ho, wo, c]
  const xw = tf.reshape(tf.transpose(yh, [0, 3, 2, 1]), [n * ho * c, w]) as tf.Tensor2D;
  return tf.transpose(tf.reshape(tf.matMul(xw, Bt), [n, ho, c, wo]), [0, 1, 3, 2]) as tf.Tensor4D;
}

function pool(kind: "avg" | "max"): Lowering {
  return ([x], node) => {
    const k = num(node, "kernel");
    const s = num(node, "stride") || k;
    const p = num(node, "pad");
    // PyTorch semantics: zero padding counted in the average (count_include_pad=True); max pool
    // pads with −∞.
    let t = img(x!);
    if (p > 0) t = tf.pad(t, [[0, 0], [p, p], [p, p], [0, 0]], kind === "max" ? -Infinity : 0);
    return kind === "avg" ? tf.avgPool(t, k, s, "valid") : tf.maxPool(t, k, s, "valid");
  };
}

export const LOWERINGS: Record<string, Lowering> = {
  input: ([x]) => x!,
  conv([x], node, [kernel, bias], _ctx, fuse) {
    let t = img(x!);
    const p = num(node, "pad");
    const mode = node.attrs.pad_mode;
    let pad: number | "valid" = p;
    if (p > 0 && mode === "reflect") [t, pad] = [reflectPad(t, [p, p, p, p]), "valid"];
    else if (p > 0 && mode === "replicate") [t, pad] = [replicatePad(t, [p, p, p, p]), "valid"];
    else if (p === 0) pad = "valid";
    const filter = dilateKernel(kernel as tf.Tensor4D, num(node, "dilation"));
    const s = num(node, "stride");
    return tf.fused.conv2d({ x: t, filter, strides: [s, s], pad, bias, activation: fuse ?? "linear" });
  },
  conv_transpose([x], node, [kernel, bias], _ctx, fuse) {
    const filter = dilateKernel(kernel as tf.Tensor4D, num(node, "dilation"));
    let y: tf.Tensor = convTranspose2d(img(x!), filter, {
      stride: num(node, "stride"),
      padding: num(node, "pad"),
      outputPadding: num(node, "output_pad"),
    });
    if (bias) y = tf.add(y, bias);
    return fuse === "relu" ? tf.relu(y) : y;
  },
  reflect_pad: ([x], node) => reflectPad(img(x!), [num(node, "pad"), num(node, "pad"), num(node, "pad"), num(node, "pad")]),
  replicate_pad: ([x], node) => replicatePad(img(x!), [num(node, "pad"), num(node, "pad"), num(node, "pad"), num(node, "pad")]),
  zero_pad: ([x], node) => {
    const p = num(node, "pad");
    return tf.pad(img(x!), [[0, 0], [p, p], [p, p], [0, 0]]);
  },
  instance_norm: ([x], node, [gamma, beta]) =>
    instanceNorm(img(x!), { eps: num(node, "eps"), gamma: gamma as tf.Tensor1D | undefined, beta: beta as tf.Tensor1D | undefined }),
  batch_norm([x], node, params, ctx) {
    const affine = node.attrs.affine === true;
    const [gamma, beta] = affine ? (params as tf.Tensor1D[]) : [undefined, undefined];
    const [mean, variance] = affine ? [params[2]!, params[3]!] : [params[0]!, params[1]!];
    const eps = num(node, "eps");
    if (ctx.training) {
      const r = batchNormTrain(img(x!), { eps, gamma, beta });
      // PyTorch: running = (1 − momentum)·running + momentum·batch_stat (unbiased variance)
      const m = num(node, "momentum");
      const names = node.params.slice(affine ? 2 : 0);
      ctx.assignState(names[0]!, tf.add(tf.mul(mean, 1 - m), tf.mul(r.mean, m)));
      ctx.assignState(names[1]!, tf.add(tf.mul(variance, 1 - m), tf.mul(r.unbiasedVariance, m)));
      return r.y;
    }
    let y = tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, eps)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y;
  },
  relu: ([x]) => tf.relu(x!),
  leaky_relu: ([x], node) => tf.leakyRelu(x!, num(node, "slope")),
  tanh: ([x]) => tf.tanh(x!),
  sigmoid: ([x]) => tf.sigmoid(x!),
  dropout([x], node, _p, ctx) {
    const p = num(node, "p");
    if (!ctx.training || p === 0) return x!;
    if (p >= 1) return tf.zerosLike(x!);
    // the mask comes from the run's seeded RNG, so a resumed run draws the same masks
    const u = tf.tensor(ctx.rng.uniformArray(x!.size), x!.shape);
    return tf.mul(x!, tf.mul(tf.cast(tf.greaterEqual(u, p), "float32"), 1 / (1 - p)));
  },
  upsample([x], node) {
    const s = num(node, "scale");
    return resample(img(x!), interpolationMatrix(img(x!).shape[1], s, node.attrs.mode === "bilinear"), interpolationMatrix(img(x!).shape[2], s, node.attrs.mode === "bilinear"));
  },
  avg_pool: pool("avg"),
  max_pool: pool("max"),
  global_avg_pool: ([x]) => tf.mean(img(x!), [1, 2], true),
  flatten: ([x]) => tf.reshape(x!, [x!.shape[0]!, -1]),
  linear([x], _node, [kernel, bias]) {
    const y = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
    return bias ? tf.add(y, bias) : y;
  },
  concat: (xs) => tf.concat(xs, 3),
  add: (xs) => (xs.length === 2 ? tf.add(xs[0]!, xs[1]!) : tf.addN(xs)),
};

/** Ops whose lowering accepts a fused trailing activation. */
export const FUSIBLE = new Set(["conv", "conv_transpose"]);
