/** replicatePad (edge padding) forward and gradient. */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { replicatePad, type SpatialPads } from "../../../src/runtime/kernels/index.js";
import { checkFiniteDiff, expectClose, expectNoLeak, f64, padGradRef, padRef, prod, randn } from "./reference.js";
import { BACKENDS, useBackend } from "./setup.js";

const cases: Array<{ name: string; shape: [number, number, number, number]; pads: SpatialPads }> = [
  { name: "1 all sides", shape: [1, 4, 4, 2], pads: [1, 1, 1, 1] },
  { name: "3 all sides, batch 2", shape: [2, 5, 6, 3], pads: [3, 3, 3, 3] },
  { name: "asymmetric, pads larger than the input", shape: [1, 2, 3, 2], pads: [0, 5, 4, 1] },
  { name: "1-pixel input", shape: [2, 1, 1, 3], pads: [2, 1, 0, 3] },
  { name: "no padding", shape: [1, 3, 3, 1], pads: [0, 0, 0, 0] },
];

describe.each(BACKENDS)("replicatePad on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it.each(cases)("$name", async ({ shape, pads }) => {
    const x = randn(prod(shape), 41);
    const padsNd: Array<[number, number]> = [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]];
    const ref = padRef(x, shape, padsNd, "edge");
    const r = randn(ref.y.length, 42);
    let y!: Float64Array, dx!: Float64Array;
    await expectNoLeak(() => {
      const xt = tf.tensor4d(Float32Array.from(x), shape);
      const rt = tf.tensor(Float32Array.from(r), ref.shape);
      const yt = replicatePad(xt, pads);
      expect(yt.shape).toEqual(ref.shape);
      y = f64(yt);
      dx = f64(tf.grad((a: tf.Tensor) => tf.sum(tf.mul(replicatePad(a as tf.Tensor4D, pads), rt)))(xt));
    });
    expectClose(y, ref.y, 1e-6, "forward");
    expectClose(dx, padGradRef(r, shape, padsNd, "edge"), 1e-5, "dx");
    checkFiniteDiff((v) => padRef(v, shape, padsNd, "edge").y, x, r, dx, { what: "dx", samples: 16 });
  });

  it("rejects bad arguments", () => {
    const x = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    expect(() => replicatePad(x, [1, -1, 0, 0])).toThrow(/non-negative/);
    expect(() => replicatePad(tf.zeros([2, 2]) as unknown as tf.Tensor4D, [1, 1, 1, 1])).toThrow(/rank-4/);
    x.dispose();
  });
});
