/**
 * The fused norm kernels (norm_fused.ts, registered for cpu and wasm): the same values and
 * gradients as the tf-op composite they replace (which `unregisterKernelFixes` brings back), the
 * float64 reference and finite differences, the kernels really run, second-order gradients still
 * work, and the tape keeps no more than x̂ and r.
 */
import * as tf from "@tensorflow/tfjs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { batchNormTrain, instanceNorm, registerKernelFixes, unregisterKernelFixes } from "../../../src/runtime/kernels/index.js";
import { NORM_BACKWARD, NORM_FORWARD } from "../../../src/runtime/kernels/norm_fused.js";
import { checkFiniteDiff, expectClose, normRef, prod, randn, type Shape4 } from "./reference.js";
import { BACKENDS, useBackend } from "./setup.js";

type Kind = "instance" | "batch";
type Affine = "none" | "gamma+beta" | "gamma" | "beta";

interface Inputs {
  x: Float64Array;
  gamma?: Float64Array;
  beta?: Float64Array;
  /** weights of the loss Σ y·r */
  r: Float64Array;
}

interface Outputs {
  y: Float64Array;
  dx: Float64Array;
  dgamma?: Float64Array;
  dbeta?: Float64Array;
  mean?: Float64Array;
  variance?: Float64Array;
  unbiased?: Float64Array;
  kernels: string[];
}

function makeInputs(s: Shape4, affine: Affine, seed: number, offset = 0, scale = 2): Inputs {
  const c = s[3];
  // per-channel offsets so that centring matters
  const x = randn(prod(s), seed, scale).map((v, i) => Math.fround(v + offset + (offset === 0 ? (i % c) - 1 : 0)));
  const withGamma = affine === "gamma+beta" || affine === "gamma";
  const withBeta = affine === "gamma+beta" || affine === "beta";
  return {
    x,
    gamma: withGamma ? randn(c, seed + 1).map((v) => Math.fround(1 + 0.5 * v)) : undefined,
    beta: withBeta ? randn(c, seed + 2) : undefined,
    r: randn(prod(s), seed + 3),
  };
}

const read = (t: tf.Tensor) => Float64Array.from(t.dataSync());

/** y, gradients of Σ y·r and (batch norm) the statistics, with the kernels that ran; checks for leaks. */
async function run(kind: Kind, s: Shape4, inp: Inputs): Promise<Outputs> {
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = tf.engine().backend.numDataIds();
  const out = {} as Outputs;
  const profile = await tf.profile(() => {
    tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(inp.x), s);
      const gamma = inp.gamma ? tf.tensor1d(Float32Array.from(inp.gamma)) : undefined;
      const beta = inp.beta ? tf.tensor1d(Float32Array.from(inp.beta)) : undefined;
      const r = tf.tensor4d(Float32Array.from(inp.r), s);
      const op = (a: tf.Tensor4D, g?: tf.Tensor1D, b?: tf.Tensor1D) => (kind === "instance" ? instanceNorm(a, { gamma: g, beta: b }) : batchNormTrain(a, { gamma: g, beta: b }).y);
      out.y = read(op(x, gamma, beta));
      if (kind === "batch") {
        const st = batchNormTrain(x, { gamma, beta });
        out.mean = read(st.mean);
        out.variance = read(st.variance);
        out.unbiased = read(st.unbiasedVariance);
      }
      const args = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
      const grads = tf.grads((...a: tf.Tensor[]) => {
        let i = 1;
        const g = gamma ? (a[i++] as tf.Tensor1D) : undefined;
        const b = beta ? (a[i++] as tf.Tensor1D) : undefined;
        return tf.sum(tf.mul(op(a[0] as tf.Tensor4D, g, b), r));
      })(args);
      out.dx = read(grads[0]!);
      let i = 1;
      if (gamma) out.dgamma = read(grads[i++]!);
      if (beta) out.dbeta = read(grads[i++]!);
    });
  });
  out.kernels = profile.kernelNames;
  expect(tf.memory().numTensors, "tensor leak").toBe(tensorsBefore);
  expect(tf.engine().backend.numDataIds(), "backend buffer leak").toBe(dataBefore);
  return out;
}

/** Runs `f` with the stock kernels only (the norm composite), then puts the fixes back. */
async function withComposite<T>(f: () => Promise<T>): Promise<T> {
  unregisterKernelFixes();
  try {
    return await f();
  } finally {
    registerKernelFixes();
  }
}

const FUSED_BACKENDS = BACKENDS.filter((b) => b === "cpu" || b === "wasm");
const AFFINES: Affine[] = ["none", "gamma+beta", "gamma", "beta"];
/** batch > 1; odd channel counts (4-channel groups + remainder); several pixel blocks (C = 64: 64 pixels a block); H·W = 1 */
const SHAPES: Shape4[] = [
  [2, 5, 3, 7],
  [2, 12, 12, 64],
  [3, 1, 1, 4],
];
const CASES = (["instance", "batch"] as Kind[]).flatMap((kind) => SHAPES.flatMap((s) => AFFINES.map((a) => [kind, s, a] as const)));

describe.runIf(FUSED_BACKENDS.length > 0).each(FUSED_BACKENDS)("fused normalisation on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });
  afterEach(() => {
    registerKernelFixes();
  });

  it("runs the fused kernels, and the composite once the fixes are unregistered", async () => {
    const s: Shape4 = [2, 4, 4, 8];
    const inp = makeInputs(s, "gamma+beta", 1);
    const fused = await run("instance", s, inp);
    expect(fused.kernels).toContain(NORM_FORWARD);
    expect(fused.kernels).toContain(NORM_BACKWARD);
    expect(fused.kernels).not.toContain("Rsqrt");
    const composite = await withComposite(() => run("instance", s, inp));
    expect(composite.kernels).not.toContain(NORM_FORWARD);
    expect(composite.kernels).not.toContain(NORM_BACKWARD);
    expect(composite.kernels).toContain("Rsqrt");
  });

  it.each(CASES)("%s norm %j affine=%s: fused == composite (values, gradients, statistics)", async (kind, s, affine) => {
    const inp = makeInputs(s, affine, 10 + s[3]);
    const fused = await run(kind, s, inp);
    const comp = await withComposite(() => run(kind, s, inp));
    expect(fused.kernels).toContain(NORM_FORWARD);
    const tol = 1e-5;
    expectClose(fused.y, comp.y, tol, "y");
    expectClose(fused.dx, comp.dx, tol, "dx");
    if (inp.gamma) expectClose(fused.dgamma!, comp.dgamma!, tol, "dgamma");
    if (inp.beta) expectClose(fused.dbeta!, comp.dbeta!, tol, "dbeta");
    if (kind === "batch") {
      expectClose(fused.mean!, comp.mean!, tol, "mean");
      expectClose(fused.variance!, comp.variance!, tol, "variance");
      expectClose(fused.unbiased!, comp.unbiased!, tol, "unbiased variance");
    }
  });

  it.each([
    ["instance", [2, 5, 3, 7]],
    ["batch", [2, 5, 3, 7]],
    ["instance", [2, 12, 12, 64]],
    ["batch", [2, 12, 12, 64]],
  ] as Array<[Kind, Shape4]>)("%s norm %j: gradients match finite differences of the float64 reference", async (kind, s) => {
    const inp = makeInputs(s, "gamma+beta", 30);
    const got = await run(kind, s, inp);
    const ref = (x: Float64Array, g?: Float64Array, b?: Float64Array) => normRef(x, s, kind, 1e-5, g, b).y;
    expectClose(got.y, ref(inp.x, inp.gamma, inp.beta), 2e-5, "y");
    checkFiniteDiff((v) => ref(v, inp.gamma, inp.beta), inp.x, inp.r, got.dx, { what: "dx", samples: 40, h: 1e-5 });
    checkFiniteDiff((v) => ref(inp.x, v, inp.beta), inp.gamma!, inp.r, got.dgamma!, { what: "dgamma", h: 1e-5 });
    checkFiniteDiff((v) => ref(inp.x, inp.gamma, v), inp.beta!, inp.r, got.dbeta!, { what: "dbeta", h: 1e-5 });
  });

  // Mean 1e3, spread 1e-2: a one-pass E[x²] − E[x]² in float32 would lose every digit; the two-pass
  // float64 sums keep x̂ accurate to float32 rounding. (The float32 composite is itself off by
  // ~1e-2 here, so the reference is float64, not the composite.)
  it.each(["instance", "batch"] as Kind[])("%s norm, large mean and small spread: accurate against float64", async (kind) => {
    const s: Shape4 = [2, 6, 5, 8];
    const inp = makeInputs(s, "gamma+beta", 40, 1e3, 1e-2);
    const got = await run(kind, s, inp);
    const ref = normRef(inp.x, s, kind, 1e-5, inp.gamma, inp.beta);
    expectClose(got.y, ref.y, 1e-5, "y");
    if (kind === "batch") {
      expectClose(got.mean!, ref.mean, 1e-5, "mean");
      expectClose(got.variance!.map((v) => v * 1e4), ref.variance.map((v) => v * 1e4), 1e-5, "variance (·1e4)");
    }
    const f = (v: Float64Array) => normRef(v, s, kind, 1e-5, inp.gamma, inp.beta).y;
    checkFiniteDiff(f, inp.x, inp.r, got.dx, { what: "dx", samples: 40, h: 1e-6, tol: 1e-4 });
  });

  it("H·W = 1 in instance norm: y = β and no gradient into x, as the composite", async () => {
    const s: Shape4 = [2, 1, 1, 5];
    const inp = makeInputs(s, "gamma+beta", 50);
    const got = await run("instance", s, inp);
    expectClose(got.y, Float64Array.from({ length: 10 }, (_, i) => inp.beta![i % 5]!), 1e-6, "y");
    expectClose(got.dx, new Float64Array(10), 0, "dx");
  });

  it("second-order gradients through a norm (the backward falls back to the composite under a tape)", async () => {
    const s: Shape4 = [2, 3, 4, 6];
    const inp = makeInputs(s, "gamma+beta", 60);
    const r2 = randn(prod(s), 61);
    const second = (): Float64Array => {
      let out = new Float64Array();
      tf.tidy(() => {
        const x = tf.tensor4d(Float32Array.from(inp.x), s);
        const gamma = tf.tensor1d(Float32Array.from(inp.gamma!));
        const beta = tf.tensor1d(Float32Array.from(inp.beta!));
        const r = tf.tensor4d(Float32Array.from(inp.r), s);
        const w = tf.tensor4d(Float32Array.from(r2), s);
        const g = tf.grad((gg: tf.Tensor) => {
          const dx = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(instanceNorm(a as tf.Tensor4D, { gamma: gg as tf.Tensor1D, beta }), r)))(x);
          return tf.sum(tf.mul(dx, w));
        })(gamma);
        out = read(g);
      });
      return out;
    };
    const fused = second();
    const comp = await withComposite(async () => second());
    expectClose(fused, comp, 1e-5, "d/dγ of Σ dx·w");
    expect(fused.some((v) => v !== 0)).toBe(true);
  });

  it.each([
    ["instance", "none"],
    ["instance", "gamma+beta"],
    ["batch", "gamma+beta"],
  ] as Array<[Kind, Affine]>)("%s norm affine=%s: the tape keeps no more than with the composite (x̂ and r)", async (kind, affine) => {
    const s: Shape4 = [2, 8, 8, 16];
    const inp = makeInputs(s, affine, 70);
    // tensor bytes alive right after the op under a tape: y, the saved x̂ and r, the batch statistics
    const kept = () => {
      let bytes = -1;
      tf.tidy(() => {
        const x = tf.tensor4d(Float32Array.from(inp.x), s);
        const gamma = inp.gamma ? tf.tensor1d(Float32Array.from(inp.gamma)) : undefined;
        const beta = inp.beta ? tf.tensor1d(Float32Array.from(inp.beta)) : undefined;
        tf.grad((a: tf.Tensor) => {
          const before = tf.memory().numBytes;
          const y = kind === "instance" ? instanceNorm(a as tf.Tensor4D, { gamma, beta }) : batchNormTrain(a as tf.Tensor4D, { gamma, beta }).y;
          bytes = tf.memory().numBytes - before;
          return tf.sum(y);
        })(x);
      });
      return bytes;
    };
    const fused = kept();
    const composite = await withComposite(async () => kept());
    expect(fused).toBeGreaterThanOrEqual(4 * prod(s)); // y at least
    expect(fused).toBeLessThanOrEqual(composite);
  });
});

// webgpu (the opt-in webgpu project) has no fused kernels: the tf-op composite runs there
describe.runIf(BACKENDS.includes("webgpu"))("normalisation on webgpu", () => {
  beforeAll(async () => {
    await useBackend("webgpu");
  });

  it("keeps the composite: no fused kernel is registered, and instance norm matches the float64 reference", async () => {
    expect(tf.getKernel(NORM_FORWARD, "webgpu")).toBeUndefined();
    expect(tf.getKernel(NORM_BACKWARD, "webgpu")).toBeUndefined();
    const s: Shape4 = [2, 5, 3, 7];
    const x = randn(prod(s), 91, 2);
    const xt = tf.tensor4d(Float32Array.from(x), s);
    const y = instanceNorm(xt);
    expectClose(await y.data(), normRef(x, s, "instance", 1e-5).y, 1e-4, "y");
    tf.dispose([xt, y]);
  });
});
