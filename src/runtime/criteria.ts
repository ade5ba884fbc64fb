/**
 * Runtime lowering of the loss graph's value ops (src/compiler/losses.ts): one entry per op.
 * `domain`, `apply` and `pool` are not here: they read the batch, run a net or query the
 * image pool, and the program (program.ts) handles them.
 *
 * All reductions are means over every element, batch included (PyTorch's default
 * `reduction='mean'`), so an LSGAN over a 30×30 patch map is the official recipe's loss and
 * over a 1×1 averaged score it is the seed's.
 */
import * as tf from "@tensorflow/tfjs";
import type { IrValue } from "../ir/schema.js";

export type ValueLowering = (xs: tf.Tensor[], v: IrValue) => tf.Tensor;

const targetOf = (v: IrValue): 0 | 1 => {
  const t = v.attrs.target;
  if (t === "real") return 1;
  if (t === "fake") return 0;
  throw new Error(`internal: value ${v.id} (${v.op}) has target ${String(t)}`);
};

/** Binary cross-entropy with logits, stable form: max(x,0) − x·t + log(1 + e^−|x|), mean. */
export function bceWithLogits(x: tf.Tensor, t: tf.Tensor | number): tf.Tensor {
  return tf.mean(tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))));
}

/**
 * The value with no gradient path: a new tensor over the same data that the tape does not link
 * to its producer, so backpropagation stops there without computing zeros through the net
 * that made it (tfjs has no stop_gradient op).
 */
export function detach(x: tf.Tensor): tf.Tensor {
  const e = tf.engine();
  const t = e.makeTensorFromDataId(x.dataId, x.shape, x.dtype);
  // makeTensorFromDataId only tracks the new tensor; the backend's reference count must grow
  // too, or disposing `x` would free the data `t` still uses
  e.backend.incRef(x.dataId);
  return t;
}

export const VALUE_OPS: Record<string, ValueLowering> = {
  l1: ([a, b]) => tf.mean(tf.abs(tf.sub(a!, b!))),
  mse: ([a, b]) => tf.mean(tf.squaredDifference(a!, b!)),
  bce: ([x, t], v) => bceWithLogits(x!, t ?? targetOf(v)),
  lsgan: ([x], v) => tf.mean(tf.square(tf.sub(x!, targetOf(v)))),
  vanilla: ([x], v) => bceWithLogits(x!, targetOf(v)),
  wgan: ([x], v) => (targetOf(v) === 1 ? tf.neg(tf.mean(x!)) : tf.mean(x!)),
  hinge: ([x], v) => tf.mean(tf.relu(targetOf(v) === 1 ? tf.sub(1, x!) : tf.add(1, x!))),
  mean: ([x]) => tf.mean(x!),
  detach: ([x]) => detach(x!),
  concat: (xs) => tf.concat(xs, 3),
  scale: ([x], v) => tf.mul(x!, v.attrs.k as number),
  const: (_xs, v) => tf.scalar(v.attrs.value as number),
  add: ([a, b]) => tf.add(a!, b!),
  sub: ([a, b]) => tf.sub(a!, b!),
  mul: ([a, b]) => tf.mul(a!, b!),
  div: ([a, b]) => tf.div(a!, b!),
};
