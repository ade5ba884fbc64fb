/**
 * Small pieces several runtime tests and their child processes share: the optimizer cases every
 * rule is tested on, a tensor's TensorInfo (for kernels called directly), and a hash of float32
 * arrays (for "the same bits" across processes).
 */
import { createHash } from "node:crypto";
import type * as tf from "@tensorflow/tfjs";
import type { IrOptimizer } from "../../src/ir/schema.js";

/** adam ± weight decay, rmsprop ± momentum, sgd ± momentum and weight decay */
export const OPTIMIZER_CASES: IrOptimizer[] = [
  { kind: "adam", lr: 0.1, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0 },
  { kind: "adam", lr: 0.05, beta1: 0.9, beta2: 0.99, eps: 1e-3, weight_decay: 0.1 },
  { kind: "rmsprop", lr: 0.01, decay: 0.9, eps: 1e-8, momentum: 0 },
  { kind: "rmsprop", lr: 0.01, decay: 0.99, eps: 1e-6, momentum: 0.5 },
  { kind: "sgd", lr: 0.1, momentum: 0, weight_decay: 0 },
  { kind: "sgd", lr: 0.1, momentum: 0.9, weight_decay: 0.01 },
];

/** `t` as the TensorInfo a kernel takes */
export const tensorInfo = (t: tf.Tensor): tf.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });

/** SHA-256 of the arrays' bytes, in order */
export function sha256Of(chunks: Float32Array[]): string {
  const h = createHash("sha256");
  for (const c of chunks) h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
  return h.digest("hex");
}
