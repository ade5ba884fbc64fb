/**
 * Spatial padding ops for NHWC tensors, with correct gradients.
 *
 * Pads are given PyTorch-style per spatial side: [top, bottom, left, right].
 */
import * as tf from "@tensorflow/tfjs";
import { registerKernelFixes } from "./register.js";

export type SpatialPads = readonly [top: number, bottom: number, left: number, right: number];

function checkPads(x: tf.Tensor, pads: SpatialPads, what: string): void {
  if (x.rank !== 4) throw new Error(`${what}: expected a rank-4 NHWC tensor, got shape [${x.shape.join(",")}]`);
  if (pads.length !== 4 || pads.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new Error(`${what}: pads must be 4 non-negative integers [top,bottom,left,right], got [${pads.join(",")}]`);
  }
}

/**
 * Reflection padding (PyTorch `ReflectionPad2d`, TF `MirrorPad` mode REFLECT):
 * the edge pixel is not repeated.  Requires each pad < the size of its axis.
 * Its gradient relies on our MirrorPad gradient fix (registered on demand).
 */
export function reflectPad<T extends tf.Tensor4D>(x: T, pads: SpatialPads): T {
  checkPads(x, pads, "reflectPad");
  const [t, b, l, r] = pads;
  const [, h, w] = x.shape;
  if (Math.max(t, b) >= h || Math.max(l, r) >= w) {
    throw new Error(`reflectPad: pads [${pads.join(",")}] must be smaller than the spatial size ${h}x${w}`);
  }
  registerKernelFixes();
  if (t + b + l + r === 0) return x.clone() as T;
  return tf.mirrorPad(x, [[0, 0], [t, b], [l, r], [0, 0]], "reflect") as T;
}

/** Repeats the first/last index of `axis` `before`/`after` times (differentiable). */
function edgePadAxis(x: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D {
  if (before === 0 && after === 0) return x;
  const n = x.shape[axis];
  const parts: tf.Tensor4D[] = [];
  const edge = (index: number, reps: number): tf.Tensor4D => {
    const begin = [0, 0, 0, 0];
    const size = x.shape.slice() as [number, number, number, number];
    begin[axis] = index;
    size[axis] = 1;
    const e = tf.slice(x, begin, size);
    const target = x.shape.slice() as [number, number, number, number];
    target[axis] = reps;
    return tf.broadcastTo(e, target);
  };
  if (before > 0) parts.push(edge(0, before));
  parts.push(x);
  if (after > 0) parts.push(edge(n - 1, after));
  return tf.concat(parts, axis);
}

/**
 * Edge ("replicate") padding, PyTorch `ReplicationPad2d`.  Any pad size is
 * allowed.  Built from slice/broadcastTo/concat, whose tfjs gradients are
 * correct (the border gradient is summed onto the edge pixels).
 */
export function replicatePad<T extends tf.Tensor4D>(x: T, pads: SpatialPads): T {
  checkPads(x, pads, "replicatePad");
  const [t, b, l, r] = pads;
  if (t + b + l + r === 0) return x.clone() as T;
  return tf.tidy(() => edgePadAxis(edgePadAxis(x, 1, t, b), 2, l, r)) as T;
}
