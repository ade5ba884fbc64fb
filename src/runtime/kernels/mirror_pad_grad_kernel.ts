/**
 * The MirrorPad gradient as one kernel (`GanccMirrorPadGrad`) for the wasm and cpu backends.
 *
 * The composite in mirror_pad_grad.ts runs slice/reverse/pad/add per padded axis: ~10 kernel
 * launches and as many full-size temporaries, measured at ~2.5 ms per call on wasm for the
 * CycleGAN resblock shape [1,18,18,256] (the forward MirrorPad: ~0.05 ms).  Here dx is written in
 * one pass: every element of dy is added onto the input element it was copied from,
 *
 *   dx[i] = Σ_{o : src(o) = i} dy[o],   src per axis (o in [0, pb+L+pa)):
 *     reflect:    o < pb → pb − o,      o ≥ pb+L → 2L − 2 − (o − pb)
 *     symmetric:  o < pb → pb − 1 − o,  o ≥ pb+L → 2L − 1 − (o − pb)
 *     interior:   o − pb
 *
 * The axes after the last padded one are contiguous in both dy and dx, so the work is whole
 * runs (the channels, for NHWC padded on H and W): first the interior is copied, one block per
 * row of the last padded axis (it covers dx exactly once, so dx needs no zero fill), then the
 * border runs are added.
 *
 * The map dy → dx is linear and its adjoint is the forward MirrorPad, which is therefore the
 * kernel's gradient (double backward, e.g. gradient penalties through reflection padding).
 */
import * as tf from "@tensorflow/tfjs";
import { requireWasmHeap } from "./heap_backend.js";

export const MIRROR_PAD_GRAD = "GanccMirrorPadGrad";

export type MirrorPadMode = "reflect" | "symmetric";

export interface MirrorPadGradAttrs {
  paddings: Array<[number, number]>;
  mode: MirrorPadMode;
}

/** dx's shape: dy's minus the paddings. */
export function mirrorPadGradShape(dyShape: readonly number[], paddings: ReadonlyArray<readonly [number, number]>): number[] {
  return dyShape.map((d, a) => d - paddings[a]![0] - paddings[a]![1]);
}

/**
 * Writes dx = the fold of dy (see the file comment), on flat row-major arrays.  `dx` may hold
 * garbage on entry (a fresh wasm heap block): every element is first written by the interior copy.
 */
export function mirrorPadGradInto(
  dy: Float32Array,
  dyShape: readonly number[],
  paddings: ReadonlyArray<readonly [number, number]>,
  mode: MirrorPadMode,
  dx: Float32Array,
): void {
  const rank = dyShape.length;
  const xShape = mirrorPadGradShape(dyShape, paddings);
  if (xShape.some((s) => s === 0)) return;
  // `k`: the last padded axis; everything after it is one contiguous run of `run` elements.
  let k = rank - 1;
  while (k > 0 && paddings[k]![0] === 0 && paddings[k]![1] === 0) k--;
  let run = 1;
  for (let a = k + 1; a < rank; a++) run *= xShape[a]!;
  // Per axis a ≤ k: dx offset (elements) of dy index o, and dy's stride.
  const dstOff: Int32Array[] = [];
  const srcStride: number[] = new Array<number>(k + 1);
  let xs = run;
  let ys = run;
  for (let a = k; a >= 0; a--) {
    const [pb] = paddings[a]!;
    const L = xShape[a]!;
    const n = dyShape[a]!;
    const off = new Int32Array(n);
    for (let o = 0; o < n; o++) off[o] = mirrorSource(o, pb, L, mode) * xs;
    dstOff[a] = off;
    srcStride[a] = ys;
    xs *= L;
    ys *= n;
  }
  const lo = paddings.slice(0, k + 1).map(([pb]) => pb);
  const hi = lo.map((pb, a) => pb + xShape[a]!);
  // Along axis k the interior is contiguous in both arrays: one block of L_k · run elements.
  const block = xShape[k]! * run;
  const copy = block >= 16 ? copyRunSet : copyRunLoop;

  // Pass 1: interior blocks, copied (a bijection onto dx).
  const interior = (a: number, s: number, d: number): void => {
    if (a === k) {
      copy(dy, s + lo[k]! * run, dx, d, block);
      return;
    }
    const off = dstOff[a]!;
    const st = srcStride[a]!;
    for (let o = lo[a]!; o < hi[a]!; o++) interior(a + 1, s + o * st, d + off[o]!);
  };
  // Pass 2: every run with at least one index in a border, added.
  const border = (a: number, s: number, d: number, inside: boolean): void => {
    const off = dstOff[a]!;
    const st = srcStride[a]!;
    const n = dyShape[a]!;
    for (let o = 0; o < n; o++) {
      const ins = inside && o >= lo[a]! && o < hi[a]!;
      if (a === k) {
        if (!ins) addRun(dy, s + o * st, dx, d + off[o]!, run);
      } else border(a + 1, s + o * st, d + off[o]!, ins);
    }
  };
  interior(0, 0, 0);
  border(0, 0, 0, true);
}

/** Index of the input element that padded position `o` copies (one axis of length L, pb before). */
function mirrorSource(o: number, pb: number, L: number, mode: MirrorPadMode): number {
  const i = o - pb;
  const sym = mode === "symmetric" ? 1 : 0;
  if (i < 0) return -i - sym;
  if (i >= L) return 2 * L - 2 + sym - i;
  return i;
}

function copyRunSet(src: Float32Array, s: number, dst: Float32Array, d: number, n: number): void {
  dst.set(src.subarray(s, s + n), d);
}

function copyRunLoop(src: Float32Array, s: number, dst: Float32Array, d: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
}

function addRun(src: Float32Array, s: number, dst: Float32Array, d: number, n: number): void {
  for (let i = 0; i < n; i++) dst[d + i] += src[s + i]!;
}

function attrsOf(args: Parameters<tf.KernelFunc>[0]): { dy: tf.TensorInfo } & MirrorPadGradAttrs {
  const { dy } = args.inputs as { dy: tf.TensorInfo };
  const { paddings, mode } = args.attrs as unknown as MirrorPadGradAttrs;
  if (dy.dtype !== "float32") throw new Error(`${MIRROR_PAD_GRAD}: dy must be float32, got ${dy.dtype}`);
  // Only reached from the gradient of a valid MirrorPad; anything else would index out of range.
  const edge = mode === "reflect" ? 1 : 0; // reflect does not repeat the edge element: pads ≤ L − 1
  const bad = paddings.length !== dy.shape.length || mirrorPadGradShape(dy.shape, paddings).some((L, a) => {
    const [pb, pa] = paddings[a]!;
    return pb < 0 || pa < 0 || L < 0 || ((pb > 0 || pa > 0) && Math.max(pb, pa) > L - edge);
  });
  if (bad) throw new Error(`${MIRROR_PAD_GRAD}: paddings ${JSON.stringify(paddings)} (${mode}) do not fit dy ${JSON.stringify(dy.shape)}`);
  return { dy, paddings, mode };
}

/** wasm: dx is allocated on the heap and filled there (no JS-side buffer, no upload). */
export const wasmMirrorPadGrad: tf.KernelFunc = (args) => {
  const backend = requireWasmHeap(args.backend, MIRROR_PAD_GRAD);
  const { dy, paddings, mode } = attrsOf(args);
  const out = backend.makeOutput(mirrorPadGradShape(dy.shape, paddings), "float32");
  // Views after the allocation: growing the heap detaches earlier views.
  const dyv = backend.typedArrayFromHeap(dy);
  const dxv = backend.typedArrayFromHeap(out);
  mirrorPadGradInto(dyv, dy.shape, paddings, mode, dxv);
  return out;
};

/** cpu: read dy's values, fill a fresh array, hand it to the backend. */
export const cpuMirrorPadGrad: tf.KernelFunc = (args) => {
  const backend = args.backend as tf.KernelBackend;
  const { dy, paddings, mode } = attrsOf(args);
  const shape = mirrorPadGradShape(dy.shape, paddings);
  const dx = new Float32Array(shape.reduce((p, s) => p * s, 1));
  mirrorPadGradInto(backend.readSync(dy.dataId) as Float32Array, dy.shape, paddings, mode, dx);
  const dataId = backend.write(dx, shape, "float32");
  return { dataId, shape, dtype: "float32" };
};

/** The kernel's gradient: its adjoint, the forward MirrorPad. */
export const mirrorPadGradKernelGradConfig: tf.GradConfig = {
  kernelName: MIRROR_PAD_GRAD,
  gradFunc: (ddx, _saved, attrs) => {
    const { paddings, mode } = attrs as unknown as MirrorPadGradAttrs;
    return { dy: () => tf.mirrorPad(ddx as tf.Tensor, paddings, mode) };
  },
};
