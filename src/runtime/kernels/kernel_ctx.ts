/**
 * Kernel-level composition helper.
 *
 * Our replacement kernels (e.g. a fast `Conv2DBackpropFilter` for wasm) are
 * built by calling *other registered kernels of the same backend* directly,
 * the same way tfjs' own backends compose kernels.  This bypasses the engine
 * entirely (no tape, no scopes), so every intermediate `TensorInfo` has to be
 * released explicitly.  `KernelCtx` tracks them and frees everything but the
 * value that is returned.
 */
import * as tf from "@tensorflow/tfjs";
import { wasmHeap } from "./heap_backend.js";
import { transposeTiles } from "./heap_loops.js";
import { heapSimdFor } from "./heap_simd.js";

export type TensorInfo = tf.TensorInfo;
type Attrs = Record<string, unknown>;

export class KernelCtx {
  private readonly temps: TensorInfo[] = [];

  constructor(
    readonly backend: tf.KernelBackend,
    readonly backendName: string,
  ) {}

  /** Runs kernel `name` of this backend; the output is tracked as a temporary. */
  run(name: string, inputs: Record<string, TensorInfo>, attrs: Attrs = {}): TensorInfo {
    const cfg = tf.getKernel(name, this.backendName);
    if (cfg == null) {
      throw new Error(`gancc kernel fix: kernel '${name}' is not registered for backend '${this.backendName}'`);
    }
    const out = cfg.kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      backend: this.backend,
      attrs: attrs as tf.NamedAttrMap,
    });
    if (Array.isArray(out)) throw new Error(`gancc kernel fix: kernel '${name}' returned several outputs`);
    this.temps.push(out);
    return out;
  }

  /** Tracks a TensorInfo created outside `run` (e.g. via backend.makeTensorInfo). */
  track(t: TensorInfo): TensorInfo {
    this.temps.push(t);
    return t;
  }

  /** Creates a float32 tensor on this backend from JS values (tracked). */
  upload(values: Float32Array, shape: number[]): TensorInfo {
    const dataId = this.backend.write(values, shape, "float32");
    return this.track({ dataId, shape, dtype: "float32" });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    if (perm.every((p, i) => p === i)) return x;
    // A transpose that only moves size-1 axes is a reshape (no copy).
    const moved = perm.map((p) => x.shape[p]!);
    const nonUnitOrder = perm.filter((p) => x.shape[p] !== 1);
    if (nonUnitOrder.every((p, i) => i === 0 || p > nonUnitOrder[i - 1]!)) return this.reshape(x, moved);
    const m = this.backendName === "wasm" && x.dtype === "float32" ? asMatrixTranspose(x.shape, perm) : undefined;
    return (m && this.transposeOnHeap(x, moved, m.rows, m.cols)) ?? this.run("Transpose", { x }, { perm });
  }

  /**
   * A transpose that is a matrix transpose ([rows, cols] → [cols, rows] once adjacent axes are
   * merged) on the wasm heap, by the SIMD heap loops' tiled transpose (./heap_loops.ts `transposeTiles`): tfjs's
   * Transpose takes 3–6 ns an element on shapes such as [256, 256] or [4096, 64] (power-of-two
   * strides), this ~0.3 (bench/heap_simd.ts). Undefined where the module is not attached.
   */
  private transposeOnHeap(x: TensorInfo, shape: number[], rows: number, cols: number): TensorInfo | undefined {
    const heap = wasmHeap(this.backend);
    if (heap === undefined || heapSimdFor(heap.typedArrayFromHeap(x).buffer) === undefined) return undefined;
    const out = this.track(heap.makeOutput(shape, "float32"));
    // views after the allocation (heap growth detaches earlier ones)
    const [xv, ov] = [heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(out)];
    if (xv.buffer !== ov.buffer || heapSimdFor(xv.buffer) === undefined) {
      this.free(out);
      return undefined;
    }
    if (xv.length !== rows * cols || ov.length !== rows * cols) throw new Error(`internal: transpose of [${x.shape.join(",")}] as ${rows}×${cols}`);
    transposeTiles(xv, 0, rows, cols, ov, 0, rows);
    return out;
  }

  slice(x: TensorInfo, begin: number[], size: number[]): TensorInfo {
    if (begin.every((b) => b === 0) && size.every((s, i) => s === x.shape[i])) return x;
    return this.run("Slice", { x }, { begin, size });
  }

  pad(x: TensorInfo, paddings: Array<[number, number]>, constantValue = 0): TensorInfo {
    if (paddings.every(([a, b]) => a === 0 && b === 0)) return x;
    return this.run("PadV2", { x }, { paddings, constantValue });
  }

  reverse(x: TensorInfo, dims: number[]): TensorInfo {
    const eff = dims.filter((d) => x.shape[d]! > 1);
    if (eff.length === 0) return x;
    return this.run("Reverse", { x }, { dims: eff });
  }

  conv2d(
    x: TensorInfo,
    filter: TensorInfo,
    strides: [number, number],
    dilations: [number, number],
    pad: "valid" | "same" | Array<[number, number]>,
  ): TensorInfo {
    return this.run(
      "Conv2D",
      { x, filter },
      { strides, pad, dataFormat: "NHWC", dilations, dimRoundingMode: undefined },
    );
  }

  /**
   * BatchMatMul. On wasm, the untransposed form is XNNPACK's fully-connected operator with `b` as its
   * weights, and tfjs caches that operator on b's tensor id alone (not its shape) until b is freed:
   * a buffer must not be `b` under two different 2-D shapes (reshapes share the id), or the second
   * call runs the first call's operator and writes out of bounds.
   */
  matMul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
    return this.run("BatchMatMul", { a, b }, { transposeA, transposeB });
  }

  /** Frees temporary `t` now (to cap the peak of a kernel that makes several large ones). */
  free(t: TensorInfo): void {
    const i = this.temps.indexOf(t);
    if (i < 0) throw new Error("gancc kernel fix: free() of a tensor that is not a temporary");
    this.temps.splice(i, 1);
    this.backend.disposeData(t.dataId);
  }

  /**
   * Frees every temporary except `result` (and except inputs, which were never
   * tracked).  Returns `result`.  If `result` is not a temporary (i.e. one of
   * the kernel's inputs was returned unchanged), a copy-free new reference is
   * made so that the engine may own it.
   */
  finish(result: TensorInfo): TensorInfo {
    let out = result;
    if (!this.temps.includes(result)) {
      // Never hand an input's dataId back without taking a reference.
      out = this.run("Identity", { x: result });
    }
    for (const t of this.temps) {
      if (t !== out) this.backend.disposeData(t.dataId);
    }
    this.temps.length = 0;
    return out;
  }

  /** Frees all temporaries (error path). */
  disposeAll(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

/**
 * `perm` of `shape` as a matrix transpose: with size-1 axes dropped and axes that stay adjacent
 * merged, [A, B] → [B, A]; rows = |A|, cols = |B|. Undefined for any other permutation.
 */
export function asMatrixTranspose(shape: readonly number[], perm: readonly number[]): { rows: number; cols: number } | undefined {
  // input axes of size > 1, numbered in input order (size-1 axes do not separate their neighbours)
  const rank = new Map<number, number>();
  shape.forEach((d, i) => d !== 1 && rank.set(i, rank.size));
  // runs of consecutive such axes in output order
  const runs: number[][] = [];
  for (const p of perm) {
    const r = rank.get(p);
    if (r === undefined) continue;
    const last = runs[runs.length - 1];
    if (last !== undefined && r === last[last.length - 1]! + 1) last.push(r);
    else runs.push([r]);
  }
  // [A, B] → [B, A]: the output's first run starts after the second
  if (runs.length !== 2 || runs[0]![0]! < runs[1]![0]!) return undefined;
  const dims = shape.filter((d) => d !== 1);
  const size = (ranks: number[]) => ranks.reduce((a, r) => a * dims[r]!, 1);
  return { rows: size(runs[1]!), cols: size(runs[0]!) };
}
