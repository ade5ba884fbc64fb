/** instanceNorm and batchNormTrain: forward, statistics and gradients. */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { batchNormTrain, instanceNorm } from "../../../src/runtime/kernels/index.js";
import { checkFiniteDiff, expectClose, expectNoLeak, f64, normRef, prod, randn, read64, type Shape4 } from "./reference.js";
import { BACKENDS, useBackend } from "./setup.js";

type Affine = "none" | "gamma+beta" | "gamma" | "beta";
const AFFINES: Affine[] = ["none", "gamma+beta", "gamma", "beta"];

interface Inputs {
  x: Float64Array;
  gamma?: Float64Array;
  beta?: Float64Array;
  r: Float64Array;
}

function makeInputs(s: Shape4, affine: Affine, seed: number): Inputs {
  const c = s[3];
  // non-zero mean and non-unit scale so that the centring actually matters
  const x = randn(prod(s), seed, 2).map((v, i) => Math.fround(v + (i % c) - 1));
  return {
    x,
    gamma: affine === "gamma+beta" || affine === "gamma" ? randn(c, seed + 1).map((v) => Math.fround(1 + 0.5 * v)) : undefined,
    beta: affine === "gamma+beta" || affine === "beta" ? randn(c, seed + 2) : undefined,
    r: randn(prod(s), seed + 3),
  };
}

/** Runs op + gradient wrt every input through tfjs. */
async function runTfjs(
  s: Shape4,
  inp: Inputs,
  op: (x: tf.Tensor4D, gamma?: tf.Tensor1D, beta?: tf.Tensor1D) => tf.Tensor4D,
): Promise<{ y: Float64Array; dx: Float64Array; dgamma?: Float64Array; dbeta?: Float64Array }> {
  const out: { y: Float64Array; dx: Float64Array; dgamma?: Float64Array; dbeta?: Float64Array } = {
    y: new Float64Array(),
    dx: new Float64Array(),
  };
  await expectNoLeak(() => {
    const xt = tf.tensor4d(Float32Array.from(inp.x), s);
    const gt = inp.gamma ? tf.tensor1d(Float32Array.from(inp.gamma)) : undefined;
    const bt = inp.beta ? tf.tensor1d(Float32Array.from(inp.beta)) : undefined;
    const rt = tf.tensor4d(Float32Array.from(inp.r), s);
    out.y = f64(op(xt, gt, bt));
    const args = [xt, ...(gt ? [gt] : []), ...(bt ? [bt] : [])];
    const grads = tf.grads((...a: tf.Tensor[]) => {
      let i = 1;
      const g = gt ? (a[i++] as tf.Tensor1D) : undefined;
      const b = bt ? (a[i++] as tf.Tensor1D) : undefined;
      return tf.sum(tf.mul(op(a[0] as tf.Tensor4D, g, b), rt));
    })(args);
    out.dx = f64(grads[0]!);
    let i = 1;
    if (gt) out.dgamma = f64(grads[i++]!);
    if (bt) out.dbeta = f64(grads[i++]!);
  });
  return out;
}

function checkAll(
  s: Shape4,
  inp: Inputs,
  kind: "instance" | "batch",
  eps: number,
  got: Awaited<ReturnType<typeof runTfjs>>,
): void {
  const ref = (x: Float64Array, g?: Float64Array, b?: Float64Array) => normRef(x, s, kind, eps, g, b).y;
  expectClose(got.y, ref(inp.x, inp.gamma, inp.beta), 2e-5, "forward");
  checkFiniteDiff((v) => ref(v, inp.gamma, inp.beta), inp.x, inp.r, got.dx, {
    what: "dx",
    samples: inp.x.length,
    h: 1e-5,
  });
  if (inp.gamma) checkFiniteDiff((v) => ref(inp.x, v, inp.beta), inp.gamma, inp.r, got.dgamma!, { what: "dgamma", h: 1e-5 });
  if (inp.beta) checkFiniteDiff((v) => ref(inp.x, inp.gamma, v), inp.beta, inp.r, got.dbeta!, { what: "dbeta", h: 1e-5 });
}

describe.each(BACKENDS)("normalisation on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe("instanceNorm", () => {
    it.each(AFFINES)("affine=%s", async (affine) => {
      const s: Shape4 = [2, 4, 3, 3];
      const inp = makeInputs(s, affine, 50);
      const got = await runTfjs(s, inp, (x, gamma, beta) => instanceNorm(x, { gamma, beta }));
      checkAll(s, inp, "instance", 1e-5, got);
    });

    it("custom eps, 1-channel, larger spatial", async () => {
      const s: Shape4 = [1, 6, 5, 1];
      const inp = makeInputs(s, "none", 60);
      const got = await runTfjs(s, inp, (x) => instanceNorm(x, { eps: 0.1 }));
      checkAll(s, inp, "instance", 0.1, got);
    });

    it("each (sample, channel) has zero mean and ~unit variance", async () => {
      let mean!: Float64Array, variance!: Float64Array;
      await expectNoLeak(() => {
        const x = tf.add(tf.mul(tf.randomNormal([2, 8, 8, 4]), 3), 5) as tf.Tensor4D;
        const y = instanceNorm(x);
        const m = tf.moments(y, [1, 2]);
        mean = f64(m.mean);
        variance = f64(m.variance);
      });
      expectClose(mean, new Float64Array(8), 1e-5, "mean");
      expectClose(variance, new Float64Array(8).fill(1), 1e-3, "variance");
    });

    it("rejects a gamma of the wrong size", () => {
      const x = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
      expect(() => instanceNorm(x, { gamma: tf.ones([2]) as tf.Tensor1D })).toThrow(/gamma must have shape \[3\]/);
    });
  });

  describe("batchNormTrain", () => {
    it.each(AFFINES)("affine=%s (gradient flows through the batch statistics)", async (affine) => {
      const s: Shape4 = [3, 3, 2, 4];
      const inp = makeInputs(s, affine, 70);
      const got = await runTfjs(s, inp, (x, gamma, beta) => batchNormTrain(x, { gamma, beta }).y);
      checkAll(s, inp, "batch", 1e-5, got);
    });

    it("returns batch mean, biased variance and unbiased variance (PyTorch running-stat convention)", async () => {
      const s: Shape4 = [2, 3, 3, 2];
      const x = randn(prod(s), 80, 3);
      const ref = normRef(x, s, "batch", 1e-5);
      const m = 2 * 3 * 3;
      const numBefore = tf.memory().numTensors;
      const xt = tf.tensor4d(Float32Array.from(x), s);
      const r = batchNormTrain(xt);
      // exactly y, mean, variance, unbiasedVariance (+ x) are alive: nothing kept behind
      expect(tf.memory().numTensors).toBe(numBefore + 5);
      expect(r.mean.shape).toEqual([2]);
      expectClose(await read64(r.mean), ref.mean, 1e-5, "mean");
      expectClose(await read64(r.variance), ref.variance, 1e-5, "variance");
      expectClose(await read64(r.unbiasedVariance), ref.variance.map((v) => (v * m) / (m - 1)), 1e-5, "unbiased");
      tf.dispose([xt, r.y, r.mean, r.variance, r.unbiasedVariance]);
      expect(tf.memory().numTensors).toBe(numBefore);
    });

    it("does not leak when used under tf.grad (stats are leaves)", async () => {
      await expectNoLeak(() => {
        const xt = tf.randomNormal([2, 3, 3, 2]);
        const g = tf.grad((a: tf.Tensor) => {
          const r = batchNormTrain(a as tf.Tensor4D);
          return tf.sum(tf.mul(r.y, r.y));
        })(xt);
        expect(g.shape).toEqual([2, 3, 3, 2]);
      });
    });
  });
});
