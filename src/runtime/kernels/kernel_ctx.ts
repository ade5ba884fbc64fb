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
    return this.run("Transpose", { x }, { perm });
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
