/**
 * MirrorPad gradient fix (tfjs 4.22's gradient drops the border contributions).
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  mirrorPadGradConfig,
  reflectPad,
  registerKernelFixes,
  unregisterKernelFixes,
} from "../../../src/runtime/kernels/index.js";
import { checkFiniteDiff, expectClose, expectNoLeak, f64, padGradRef, padRef, prod, randn } from "./reference.js";
import { BACKENDS, useBackend } from "./setup.js";

type Mode = "reflect" | "symmetric";

const cases: Array<{ name: string; shape: number[]; pads: Array<[number, number]>; mode: Mode }> = [
  { name: "1-D reflect [2,3]", shape: [5], pads: [[2, 3]], mode: "reflect" },
  { name: "1-D symmetric [3,1]", shape: [4], pads: [[3, 1]], mode: "symmetric" },
  { name: "2-D reflect", shape: [4, 5], pads: [[1, 3], [2, 0]], mode: "reflect" },
  { name: "NHWC reflect 3 (CycleGAN c7s1)", shape: [2, 6, 5, 3], pads: [[0, 0], [3, 3], [3, 3], [0, 0]], mode: "reflect" },
  { name: "NHWC reflect 1 (resblock)", shape: [1, 4, 4, 2], pads: [[0, 0], [1, 1], [1, 1], [0, 0]], mode: "reflect" },
  { name: "NHWC reflect asymmetric", shape: [1, 5, 7, 2], pads: [[0, 0], [0, 4], [2, 1], [0, 0]], mode: "reflect" },
  { name: "NHWC symmetric max pads", shape: [2, 3, 4, 2], pads: [[0, 0], [3, 3], [4, 2], [0, 0]], mode: "symmetric" },
  { name: "NHWC reflect on batch & channel axes too", shape: [3, 4, 3, 4], pads: [[1, 1], [2, 1], [1, 2], [3, 2]], mode: "reflect" },
];

/** tf.grad of sum(mirrorPad(x) * r). */
async function tfjsGrad(x: Float64Array, shape: number[], pads: Array<[number, number]>, mode: Mode, r: Float64Array) {
  let y!: Float64Array, dx!: Float64Array;
  await expectNoLeak(() => {
    const xt = tf.tensor(Float32Array.from(x), shape);
    const oshape = shape.map((s, d) => s + pads[d]![0] + pads[d]![1]);
    const rt = tf.tensor(Float32Array.from(r), oshape);
    const f = (a: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(a, pads, mode), rt));
    y = f64(tf.mirrorPad(xt, pads, mode));
    dx = f64(tf.grad(f)(xt));
  });
  return { y, dx };
}

describe.each(BACKENDS)("MirrorPad gradient on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("registers our gradient for MirrorPad", () => {
    expect(tf.getGradient("MirrorPad")).toBe(mirrorPadGradConfig);
  });

  it.each(cases)("$name", async ({ shape, pads, mode }) => {
    const x = randn(prod(shape), 5 + shape.length);
    const ref = padRef(x, shape, pads, mode);
    const r = randn(ref.y.length, 6 + shape.length);
    const { y, dx } = await tfjsGrad(x, shape, pads, mode, r);
    expectClose(y, ref.y, 1e-6, "forward");
    expectClose(dx, padGradRef(r, shape, pads, mode), 1e-5, "dx");
    checkFiniteDiff((v) => padRef(v, shape, pads, mode).y, x, r, dx, { what: "dx", samples: 20 });
  });

  it("the stock tfjs 4.22 gradient is wrong, ours is right", async () => {
    const shape = [1, 4, 4, 1];
    const pads: Array<[number, number]> = [[0, 0], [2, 2], [2, 2], [0, 0]];
    const x = randn(16, 99);
    const r = randn(64, 100);
    const want = padGradRef(r, shape, pads, "reflect");
    unregisterKernelFixes();
    let stock: Float64Array;
    try {
      expect(tf.getGradient("MirrorPad")).not.toBe(mirrorPadGradConfig);
      stock = (await tfjsGrad(x, shape, pads, "reflect", r)).dx;
    } finally {
      registerKernelFixes();
    }
    // stock: only the interior slice of dy, i.e. exactly r at the unpadded positions
    const interior = new Float64Array(16);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) interior[i * 4 + j] = r[(i + 2) * 8 + (j + 2)]!;
    expectClose(stock, interior, 1e-6, "stock = interior slice");
    let maxErr = 0;
    for (let i = 0; i < 16; i++) maxErr = Math.max(maxErr, Math.abs(stock[i]! - want[i]!));
    expect(maxErr).toBeGreaterThan(0.1);
    expectClose((await tfjsGrad(x, shape, pads, "reflect", r)).dx, want, 1e-5, "fixed");
  });

  it("reflectPad([t,b,l,r]) pads H/W with reflect semantics and a correct gradient", async () => {
    const shape = [2, 5, 4, 3] as const;
    const x = randn(prod(shape), 31);
    const pads4 = [1, 3, 2, 0] as const;
    const padsNd: Array<[number, number]> = [[0, 0], [1, 3], [2, 0], [0, 0]];
    const ref = padRef(x, shape, padsNd, "reflect");
    const r = randn(ref.y.length, 32);
    let y!: Float64Array, dx!: Float64Array;
    await expectNoLeak(() => {
      const xt = tf.tensor4d(Float32Array.from(x), [...shape]);
      const rt = tf.tensor(Float32Array.from(r), ref.shape);
      const yt = reflectPad(xt, pads4);
      expect(yt.shape).toEqual(ref.shape);
      y = f64(yt);
      dx = f64(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(reflectPad(a as tf.Tensor4D, pads4), rt)))(xt));
    });
    expectClose(y, ref.y, 1e-6, "forward");
    expectClose(dx, padGradRef(r, shape, padsNd, "reflect"), 1e-5, "dx");
    expect(() => reflectPad(tf.zeros([1, 3, 3, 1]) as tf.Tensor4D, [3, 0, 0, 0])).toThrow(/smaller/);
  });

  it("second-order: gradient of the gradient is finite and correct in shape", async () => {
    // cpu/wasm: the one-pass kernel, whose gradient is MirrorPad; elsewhere the composite of differentiable ops
    let total!: Float64Array;
    await expectNoLeak(() => {
      const xt = tf.randomNormal([1, 4, 4, 1]);
      const pads: Array<[number, number]> = [[0, 0], [1, 1], [1, 1], [0, 0]];
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.grad((b: tf.Tensor) => tf.sum(tf.square(tf.mirrorPad(b, pads, "reflect"))))(a))));
      const gg = g(xt);
      expect(gg.shape).toEqual([1, 4, 4, 1]);
      total = f64(tf.sum(gg));
    });
    expect(Number.isFinite(total[0]!)).toBe(true);
  });
});
