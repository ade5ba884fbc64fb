/**
 * `PadV2` for rank-5 and rank-6 tensors on webgpu.
 *
 * tfjs-backend-webgpu 4.22's PadProgram indexes its shape uniforms (`uniforms.xShape[i]`), which
 * for rank 5 and 6 are WGSL structs (`vec5`/`vec6`), not vectors: the shader does not compile,
 * the pipeline is invalid and the output is left unwritten (garbage). gancc pads rank-6 tensors
 * whenever it dilates a kernel (`dilateKernel` in ../layers.ts), and `tf.slice`'s gradient is a
 * pad of the sliced tensor's rank.
 *
 * The fix pads through reshapes to rank ≤ 4: an axis without padding folds into the axis before
 * it (whose padding then counts whole blocks of the folded axis), so
 *   [kh, 1, kw, 1, a, b] padded [[0,0],[0,d-1],[0,0],[0,d-1],[0,0],[0,0]]
 * becomes [kh, kw, a·b] padded [[0,0],[0,(d-1)·kw],[0,(d-1)·a·b]] — one pad. Where even that
 * leaves more than 4 axes, each padded axis is padded on its own as [outer, axis, inner].
 */
import type * as tf from "@tensorflow/tfjs";
import type { KernelCtx, TensorInfo } from "./kernel_ctx.js";

export type Paddings = Array<[number, number]>;

/** Folds every unpadded axis into the axis before it. Same number of elements, same padding. */
export function foldPaddings(shape: readonly number[], paddings: Paddings): { shape: number[]; paddings: Paddings } {
  const outShape: number[] = [];
  const outPads: Paddings = [];
  for (let i = 0; i < shape.length; i++) {
    const [a, b] = paddings[i]!;
    const k = outShape.length - 1;
    if (a === 0 && b === 0 && k >= 0) {
      outPads[k] = [outPads[k]![0] * shape[i]!, outPads[k]![1] * shape[i]!];
      outShape[k]! *= shape[i]!;
    } else {
      outShape.push(shape[i]!);
      outPads.push([a, b]);
    }
  }
  return { shape: outShape, paddings: outPads };
}

/**
 * A pad of x (any rank) by `stockPad` (the backend's own pad with the constant value bound; it
 * must handle ranks ≤ 4), run on rank ≤ 4 views of x.
 */
export function padViaLowRank(
  ctx: KernelCtx,
  x: TensorInfo,
  paddings: Paddings,
  stockPad: (x: TensorInfo, paddings: Paddings) => TensorInfo,
): TensorInfo {
  const outShape = x.shape.map((s, i) => s + paddings[i]![0] + paddings[i]![1]);
  const folded = foldPaddings(x.shape, paddings);
  if (folded.shape.length <= 4) {
    const y = stockPad(ctx.reshape(x, folded.shape), folded.paddings);
    return ctx.reshape(y, outShape);
  }
  let cur = x;
  const shape = x.shape.slice();
  for (let i = 0; i < shape.length; i++) {
    const [a, b] = paddings[i]!;
    if (a === 0 && b === 0) continue;
    const outer = shape.slice(0, i).reduce((p, s) => p * s, 1);
    const inner = shape.slice(i + 1).reduce((p, s) => p * s, 1);
    const y = stockPad(ctx.reshape(cur, [outer, shape[i]!, inner]), [[0, 0], [a, b], [0, 0]]);
    shape[i] = shape[i]! + a + b;
    cur = ctx.reshape(y, shape.slice());
  }
  return cur;
}

/** The attributes of tfjs's PadV2 kernel. */
export interface PadV2Attrs {
  paddings: Paddings;
  constantValue: number;
}

/** Whether the stock webgpu PadV2 handles this input (ranks ≤ 4). */
export const webgpuPadSupports = (x: Pick<tf.TensorInfo, "shape">) => x.shape.length <= 4;
