/**
 * The fused norm kernels (norm_fused.ts) as tfjs kernels for the wasm and cpu backends.
 *
 *   GanccNormForward  inputs x [, gamma] [, beta]       attrs axes, eps, stats
 *                     outputs y, x̂ (only with gamma or beta: otherwise y is x̂), rstd [, mean, variance]
 *   GanccNormBackward inputs dy, xhat, rstd [, gamma]    attrs axes, beta
 *                     outputs dx [, dgamma (with gamma)] [, dbeta (when attrs.beta)]
 *
 * Statistics have the composite's keepDims shape ([N,1,1,C] instance, [1,1,1,C] batch); dgamma and
 * dbeta are [C]. The kernels have no registered gradient: norm.ts calls them only inside its
 * customGrad (forward) or when no tape is recording (backward). Only float32 is handled; norm.ts
 * keeps other dtypes on the composite.
 *
 * wasm: the outputs are allocated in the wasm heap (`makeOutput`) and filled in place through
 * views, taken after the last allocation since growing the heap detaches earlier views; on the
 * threaded build a big enough norm is split over channel blocks among the heap worker threads
 * (../heap_pool.ts: each thread runs the whole kernel for its channels, same bits). cpu: the
 * inputs are read with readSync and the outputs written with backend.write.
 */
import type * as tf from "@tensorflow/tfjs";
import { splitOnHeap } from "../heap_pool.js";
import { requireWasmHeap } from "./heap_backend.js";
import {
  normBackward,
  normForward,
  normGeom,
  statGroups,
  type NormBackwardAttrs,
  type NormKernelAttrs,
} from "./norm_fused.js";

type TensorInfo = tf.TensorInfo;
type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Allocates `outShapes`, then runs `compute` on float32 views of `inputs` and the outputs. */
type ArrayRunner = (
  backend: tf.KernelBackend,
  inputs: TensorInfo[],
  outShapes: number[][],
  compute: (ins: Float32Array[], outs: Float32Array[]) => void,
) => TensorInfo[];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function checkFloat32(inputs: TensorInfo[]): void {
  const bad = inputs.find((t) => t.dtype !== "float32");
  if (bad) throw new Error(`internal: fused norm kernels take float32, got ${bad.dtype}`);
}

const onWasmHeap: ArrayRunner = (backend, inputs, outShapes, compute) => {
  checkFloat32(inputs);
  const b = requireWasmHeap(backend, "fused norm kernel");
  const outs: TensorInfo[] = [];
  try {
    for (const s of outShapes) outs.push(b.makeOutput(s, "float32"));
    // views only now: each makeOutput may grow (and so detach) the heap
    compute(inputs.map((t) => b.typedArrayFromHeap(t)), outs.map((t) => b.typedArrayFromHeap(t)));
  } catch (e) {
    for (const t of outs) backend.disposeData(t.dataId);
    throw e;
  }
  return outs;
};

const onCpu: ArrayRunner = (backend, inputs, outShapes, compute) => {
  checkFloat32(inputs);
  const outs = outShapes.map((s) => new Float32Array(size(s)));
  compute(inputs.map((t) => backend.readSync(t.dataId) as Float32Array), outs);
  return outs.map((v, i) => ({ dataId: backend.write(v, outShapes[i]!, "float32"), shape: outShapes[i]!, dtype: "float32" as const }));
};

/** Heap offset (float32 elements) of a view, −1 for none: how a tensor travels in a heap job. */
const at = (v: Float32Array | null): number => (v == null ? -1 : v.byteOffset / 4);

/** Channels are split in blocks of 4: the loops' unit (norm_fused.ts). */
const CHANNEL_ALIGN = 4;

function forwardKernel(run: ArrayRunner, threaded = false): tf.KernelFunc {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { x, gamma, beta } = inputs as { x: TensorInfo; gamma?: TensorInfo; beta?: TensorInfo };
    const a = attrs as unknown as NormKernelAttrs;
    const g = normGeom(x.shape, a.axes);
    const stat = [statGroups(g), 1, 1, g.c];
    const affine = gamma != null || beta != null;
    const shapes = [x.shape, ...(affine ? [x.shape] : []), stat, ...(a.stats ? [stat, stat] : [])];
    const ins = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
    return run(backend as tf.KernelBackend, ins, shapes, (iv, ov) => {
      let i = 1;
      const gv = gamma ? iv[i++]! : null;
      const bv = beta ? iv[i++]! : null;
      let o = 0;
      const y = ov[o++]!;
      const xhat = affine ? ov[o++]! : null;
      const rstd = ov[o++]!;
      const mean = a.stats ? ov[o++]! : null;
      const variance = a.stats ? ov[o++]! : null;
      const job = [at(iv[0]!), at(gv), at(bv), at(y), at(xhat), at(rstd), at(mean), at(variance), g.n, g.p, g.c, g.perSample ? 1 : 0, a.eps];
      if (threaded && splitOnHeap(backend, "normForward", job, g.c, g.n * g.p * g.c, CHANNEL_ALIGN)) return;
      normForward(iv[0]!, gv, bv, g, a.eps, { y, xhat, rstd, mean, variance });
    });
  };
}

function backwardKernel(run: ArrayRunner, threaded = false): tf.KernelFunc {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const { dy, xhat, rstd, gamma } = inputs as { dy: TensorInfo; xhat: TensorInfo; rstd: TensorInfo; gamma?: TensorInfo };
    const a = attrs as unknown as NormBackwardAttrs;
    const g = normGeom(dy.shape, a.axes);
    const shapes = [dy.shape, ...(gamma ? [[g.c]] : []), ...(a.beta ? [[g.c]] : [])];
    const ins = [dy, xhat, rstd, ...(gamma ? [gamma] : [])];
    return run(backend as tf.KernelBackend, ins, shapes, (iv, ov) => {
      let o = 1;
      const dgamma = gamma ? ov[o++]! : null;
      const dbeta = a.beta ? ov[o++]! : null;
      const gv = gamma ? iv[3]! : null;
      const job = [at(iv[0]!), at(iv[1]!), at(iv[2]!), at(gv), at(ov[0]!), at(dgamma), at(dbeta), g.n, g.p, g.c, g.perSample ? 1 : 0];
      if (threaded && splitOnHeap(backend, "normBackward", job, g.c, g.n * g.p * g.c, CHANNEL_ALIGN)) return;
      normBackward(iv[0]!, iv[1]!, iv[2]!, gv, g, { dx: ov[0]!, dgamma, dbeta });
    });
  };
}

export const wasmNormForward = forwardKernel(onWasmHeap, true);
export const wasmNormBackward = backwardKernel(onWasmHeap, true);
export const cpuNormForward = forwardKernel(onCpu);
export const cpuNormBackward = backwardKernel(onCpu);
