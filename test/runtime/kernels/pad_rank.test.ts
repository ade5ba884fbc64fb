/**
 * Constant padding (PadV2) of rank-5 and rank-6 tensors, and its gradient (a slice), and the
 * gradient of rank-5/6 slices (a pad): gancc pads a rank-6 view whenever it dilates a kernel.
 * tfjs-backend-webgpu 4.22's PadProgram does not compile above rank 4 (see
 * src/runtime/kernels/webgpu_pad.ts); the fix goes through rank ≤ 4 reshapes.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { foldPaddings, isKernelFixActive, registerKernelFixes, unregisterKernelFixes } from "../../../src/runtime/kernels/index.js";
import { expectClose, expectNoLeak, f64, prod, randn } from "./reference.js";
import { BACKENDS, BACKEND_INDEPENDENT_TESTS, useBackend } from "./setup.js";

type Pads = Array<[number, number]>;

const strides = (s: readonly number[]) => s.map((_, i) => prod(s.slice(i + 1)));

/** Constant padding in float64 (independent of tfjs). */
function constPadRef(x: Float64Array, shape: number[], pads: Pads, value: number): { y: Float64Array; shape: number[] } {
  const oshape = shape.map((s, i) => s + pads[i]![0] + pads[i]![1]);
  const y = new Float64Array(prod(oshape)).fill(value);
  const xs = strides(shape);
  const ys = strides(oshape);
  for (let i = 0; i < x.length; i++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o += (Math.floor(i / xs[d]!) % shape[d]! + pads[d]![0]) * ys[d]!;
    y[o] = x[i]!;
  }
  return { y, shape: oshape };
}

/** The gradient of sum(pad(x)·r) with respect to x: r at the positions x was copied to. */
function constPadGradRef(r: Float64Array, shape: number[], pads: Pads): Float64Array {
  const oshape = shape.map((s, i) => s + pads[i]![0] + pads[i]![1]);
  const xs = strides(shape);
  const ys = strides(oshape);
  const g = new Float64Array(prod(shape));
  for (let i = 0; i < g.length; i++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) o += (Math.floor(i / xs[d]!) % shape[d]! + pads[d]![0]) * ys[d]!;
    g[i] = r[o]!;
  }
  return g;
}

const cases: Array<{ name: string; shape: number[]; pads: Pads; value: number }> = [
  // exactly what dilateKernel does for a 3×3 kernel, dilation 2 (folds to one rank-3 pad)
  { name: "rank 6, dilateKernel's view", shape: [3, 1, 3, 1, 2, 4], pads: [[0, 0], [0, 1], [0, 0], [0, 1], [0, 0], [0, 0]], value: 0 },
  { name: "rank 6, every axis padded (one axis at a time)", shape: [2, 1, 3, 2, 1, 2], pads: [[1, 0], [0, 2], [1, 1], [2, 0], [1, 1], [0, 1]], value: -1.5 },
  { name: "rank 5, leading unpadded axes, constant 0.25", shape: [2, 3, 2, 2, 3], pads: [[0, 0], [0, 0], [2, 1], [0, 0], [1, 2]], value: 0.25 },
  { name: "rank 5, five padded axes", shape: [2, 2, 1, 2, 3], pads: [[1, 1], [0, 1], [2, 0], [1, 0], [0, 1]], value: 3 },
  { name: "rank 6, no padding", shape: [1, 2, 1, 2, 1, 2], pads: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0]], value: 7 },
];

describe.runIf(BACKEND_INDEPENDENT_TESTS)("foldPaddings", () => {
  it("folds unpadded axes into the axis before them", () => {
    expect(foldPaddings([3, 1, 3, 1, 2, 4], [[0, 0], [0, 1], [0, 0], [0, 1], [0, 0], [0, 0]])).toEqual({
      shape: [3, 3, 8],
      paddings: [[0, 0], [0, 3], [0, 8]],
    });
    expect(foldPaddings([2, 3, 4], [[0, 0], [0, 0], [1, 2]])).toEqual({ shape: [6, 4], paddings: [[0, 0], [1, 2]] });
    expect(foldPaddings([2, 3], [[1, 1], [2, 0]])).toEqual({ shape: [2, 3], paddings: [[1, 1], [2, 0]] });
  });
});

describe.each(BACKENDS)("rank-5/6 constant padding on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(cases)("$name: forward and gradient", async ({ shape, pads, value }) => {
    const x = randn(prod(shape), 90 + shape.length);
    const ref = constPadRef(x, shape, pads, value);
    const r = randn(ref.y.length, 91);
    let y!: Float64Array, dx!: Float64Array;
    await expectNoLeak(() => {
      const xt = tf.tensor(Float32Array.from(x), shape);
      const rt = tf.tensor(Float32Array.from(r), ref.shape);
      const yt = tf.pad(xt, pads, value);
      expect(yt.shape).toEqual(ref.shape);
      y = f64(yt);
      dx = f64(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.pad(a, pads, value), rt)))(xt));
    });
    expectClose(y, ref.y, 1e-6, "forward");
    expectClose(dx, constPadGradRef(r, shape, pads), 1e-6, "dx");
  });

  it("the gradient of a rank-6 slice is a rank-6 pad", async () => {
    const shape = [2, 3, 1, 4, 2, 3];
    const begin = [1, 0, 0, 1, 0, 1];
    const size = [1, 2, 1, 2, 2, 2];
    const x = randn(prod(shape), 95);
    const r = randn(prod(size), 96);
    // the slice is pad's inverse: x's gradient is r placed at the slice, zeros elsewhere
    const pads: Pads = shape.map((s, i) => [begin[i]!, s - begin[i]! - size[i]!]);
    let dx!: Float64Array;
    await expectNoLeak(() => {
      const xt = tf.tensor(Float32Array.from(x), shape);
      const rt = tf.tensor(Float32Array.from(r), size);
      dx = f64(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.slice(a, begin, size), rt)))(xt));
    });
    expectClose(dx, constPadRef(r, size, pads, 0).y, 1e-6, "dx");
  });

  if (backend === "webgpu") {
    it("the stock webgpu PadV2 does not compile at rank 6 (invalid WGSL); the fix pads correctly", async () => {
      expect(isKernelFixActive("PadV2", "webgpu")).toBe(true);
      const device = (tf.backend() as unknown as { device: GPUDeviceLike }).device;
      const { shape, pads, value } = cases[0]!;
      const x = randn(prod(shape), 97);
      const want = constPadRef(x, shape, pads, value).y;
      const run = async () => {
        device.pushErrorScope("validation");
        const xt = tf.tensor(Float32Array.from(x), shape);
        const yt = tf.pad(xt, pads, value);
        const y = Float64Array.from(await yt.data());
        tf.dispose([xt, yt]);
        return { y, error: await device.popErrorScope() };
      };
      unregisterKernelFixes();
      let stock: Awaited<ReturnType<typeof run>>;
      try {
        stock = await run();
      } finally {
        registerKernelFixes();
      }
      expect(stock.error?.message).toMatch(/PadProgram|WGSL/);
      const fixed = await run();
      expect(fixed.error).toBeNull();
      expectClose(fixed.y, want, 1e-6, "fixed");
    });
  }
});

/** The part of GPUDevice the test uses (Node has no WebGPU types). */
interface GPUDeviceLike {
  pushErrorScope(filter: "validation"): void;
  popErrorScope(): Promise<{ message: string } | null>;
}
