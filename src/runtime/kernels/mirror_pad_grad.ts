/**
 * Correct gradient for the `MirrorPad` kernel.
 *
 * tfjs-core 4.22's gradient (`gradients/MirrorPad_grad.js`) only slices the
 * interior of dy, silently dropping the gradient that flowed into the
 * mirrored border.  Here, for every padded axis, the border slices of dy are
 * reversed and added back onto the input positions they were copied from:
 *
 *   reflect   (pads ≤ L-1):  before → x[1 .. pb],        after → x[L-1-pa .. L-2]
 *   symmetric (pads ≤ L):    before → x[0 .. pb-1],      after → x[L-pa .. L-1]
 *
 * On backends with the one-pass kernel (wasm, cpu: mirror_pad_grad_kernel.ts, registered by
 * register.ts) the gradient runs that kernel; elsewhere (webgpu, tensorflow) this composite of
 * differentiable ops.
 */
import * as tf from "@tensorflow/tfjs";
import { MIRROR_PAD_GRAD, type MirrorPadMode } from "./mirror_pad_grad_kernel.js";

export type { MirrorPadMode };

function sliceAxis(t: tf.Tensor, axis: number, begin: number, size: number): tf.Tensor {
  const b = t.shape.map(() => 0);
  const s = t.shape.slice();
  b[axis] = begin;
  s[axis] = size;
  return tf.slice(t, b, s);
}

function padAxis(t: tf.Tensor, axis: number, before: number, after: number): tf.Tensor {
  if (before === 0 && after === 0) return t;
  const p = t.shape.map((): [number, number] => [0, 0]);
  p[axis] = [before, after];
  return tf.pad(t, p);
}

/** dx for `y = mirrorPad(x, paddings, mode)` given dy (pure tfjs ops, differentiable). */
export function mirrorPadBackward(
  dy: tf.Tensor,
  paddings: ReadonlyArray<readonly [number, number]>,
  mode: MirrorPadMode,
): tf.Tensor {
  const off = mode === "reflect" ? 1 : 0;
  return tf.tidy(() => {
    let g = dy;
    for (let axis = 0; axis < paddings.length; axis++) {
      const [pb, pa] = paddings[axis]!;
      if (pb === 0 && pa === 0) continue;
      const L = g.shape[axis]! - pb - pa;
      let acc = sliceAxis(g, axis, pb, L);
      if (pb > 0) {
        const before = tf.reverse(sliceAxis(g, axis, 0, pb), axis);
        acc = tf.add(acc, padAxis(before, axis, off, L - off - pb));
      }
      if (pa > 0) {
        const after = tf.reverse(sliceAxis(g, axis, pb + L, pa), axis);
        const start = L - pa - off;
        acc = tf.add(acc, padAxis(after, axis, start, L - start - pa));
      }
      g = acc;
    }
    return g;
  });
}

export const mirrorPadGradConfig: tf.GradConfig = {
  kernelName: tf.MirrorPad,
  // Nothing to save: x's shape follows from dy's shape and the paddings.
  gradFunc: (dy, _saved, attrs) => {
    const { paddings, mode } = attrs as unknown as {
      paddings: Array<[number, number]>;
      mode: MirrorPadMode;
    };
    const g = dy as tf.Tensor;
    return { x: () => (hasDirectKernel(g) ? mirrorPadGradDirect(g, paddings, mode) : mirrorPadBackward(g, paddings, mode)) };
  },
};

/** The one-pass kernel is registered for the active backend (it takes float32 only). */
function hasDirectKernel(dy: tf.Tensor): boolean {
  return dy.dtype === "float32" && tf.getKernel(MIRROR_PAD_GRAD, tf.getBackend()) != null;
}

/** dx through the one-pass kernel (differentiable: its gradient is registered with it). */
export function mirrorPadGradDirect(
  dy: tf.Tensor,
  paddings: ReadonlyArray<readonly [number, number]>,
  mode: MirrorPadMode,
): tf.Tensor {
  const attrs = { paddings: paddings.map(([b, a]) => [b, a]), mode } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(MIRROR_PAD_GRAD, { dy }, attrs) as tf.Tensor;
}
