/**
 * Conv2D gradients (Conv2DBackpropInput / Conv2DBackpropFilter) and
 * conv2dTranspose (whose forward *is* Conv2DBackpropInput) on cpu and wasm,
 * against float64 references and finite differences.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  convTranspose2d,
  isKernelFixActive,
  kernelFixesRegistered,
  registerKernelFixes,
  unregisterKernelFixes,
} from "../../../src/runtime/kernels/index.js";
import {
  checkFiniteDiff,
  conv2dGradsRef,
  conv2dRef,
  convGeom,
  expectClose,
  expectNoLeak,
  f64,
  prod,
  randn,
  t4,
  torchConvTransposeRef,
  type PadSpec,
  type Shape4,
} from "./reference.js";
import { BACKENDS, useBackend, type TestBackend } from "./setup.js";

const EXPLICIT: PadSpec = [[0, 0], [1, 1], [1, 1], [0, 0]];
const PADS: Array<[string, PadSpec]> = [
  ["same", "same"],
  ["valid", "valid"],
  ["explicit", EXPLICIT],
];

interface Case {
  name: string;
  xs: Shape4;
  k: number;
  co: number;
  s: number;
  pad: PadSpec;
}

const cases: Case[] = [];
for (const k of [3, 4, 7])
  for (const s of [1, 2])
    for (const [pn, pad] of PADS)
      for (const n of [1, 2]) {
        // odd, non-square sizes; keep the k=7 VALID output non-empty
        const xs: Shape4 = [n, k === 7 ? 11 : 9, k === 7 ? 9 : 7, 3];
        cases.push({ name: `k${k} s${s} ${pn} n${n} x${xs.slice(1).join("x")}`, xs, k, co: 5, s, pad });
      }
// a couple of wider-channel cases (exercise the sub-pixel filter layout / 4-wide JS blocking)
cases.push({ name: "k3 s2 same n1 8x8x16->12", xs: [1, 8, 8, 16], k: 3, co: 12, s: 2, pad: "same" });
cases.push({ name: "k4 s2 explicit n2 10x6x6->9", xs: [2, 10, 6, 6], k: 4, co: 9, s: 2, pad: EXPLICIT });
// ≥ 16 channels in and out: wasm's filter gradient takes the im2col GEMM (filterGradViaGemm)
cases.push({ name: "k3 s1 same n1 6x5x16->16 (GEMM dW)", xs: [1, 6, 5, 16], k: 3, co: 16, s: 1, pad: "same" });
cases.push({ name: "k3 s2 explicit n2 7x9x20->17 (GEMM dW)", xs: [2, 7, 9, 20], k: 3, co: 17, s: 2, pad: EXPLICIT });
cases.push({ name: "k4 s2 valid n1 9x8x17->18 (GEMM dW)", xs: [1, 9, 8, 17], k: 4, co: 18, s: 2, pad: "valid" });

/**
 * Which conv-gradient kernels gancc replaces, per backend. cpu keeps its stock Conv2DBackpropInput
 * (it is already ~1 GFLOP/s, faster than a composition); webgpu keeps both stock kernels: they pass
 * every case below, explicit padding included.
 */
const FIXED: Record<TestBackend, { filter: boolean; input: boolean }> = {
  cpu: { filter: true, input: false },
  wasm: { filter: true, input: true },
  webgpu: { filter: false, input: false },
};

describe.each(BACKENDS)("conv2d gradients on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it("has the fixed kernels registered", () => {
    expect(kernelFixesRegistered()).toBe(true);
    expect(isKernelFixActive("Conv2DBackpropFilter", backend)).toBe(FIXED[backend].filter);
    expect(isKernelFixActive("Conv2DBackpropInput", backend)).toBe(FIXED[backend].input);
  });

  it.each(cases)("$name", async ({ xs, k, co, s, pad }) => {
    const ws: Shape4 = [k, k, xs[3], co];
    const g = convGeom(xs, ws, s, pad);
    const x = randn(prod(xs), 1 + k * 10 + s);
    const w = randn(prod(ws), 2 + k * 10 + s, 0.5);
    const ys: Shape4 = [g.n, g.ho, g.wo, g.co];
    const r = randn(prod(ys), 3 + k);
    const yRef = conv2dRef(x, w, g);
    const { dx: dxRef, dw: dwRef } = conv2dGradsRef(x, w, r, g);

    let y!: Float64Array, dx!: Float64Array, dw!: Float64Array;
    await expectNoLeak(() => {
      const xt = t4(x, xs);
      const wt = t4(w, ws);
      const rt = t4(r, ys);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad), rt));
      const yt = tf.conv2d(xt, wt, s, pad);
      expect(yt.shape).toEqual(ys);
      y = f64(yt);
      const [gx, gw] = tf.grads(f)([xt, wt]);
      dx = f64(gx!);
      dw = f64(gw!);
    });
    expectClose(y, yRef, 1e-5, "forward");
    expectClose(dx, dxRef, 1e-5, "dx (Conv2DBackpropInput)");
    expectClose(dw, dwRef, 1e-5, "dW (Conv2DBackpropFilter)");
    checkFiniteDiff((v) => conv2dRef(v, w, g), x, r, dx, { what: "dx", samples: 16 });
    checkFiniteDiff((v) => conv2dRef(x, v, g), w, r, dw, { what: "dW", samples: 16 });
  });

  describe("conv2dTranspose", () => {
    const tcases: Array<{ name: string; ys: Shape4; k: number; ci: number; s: number; pad: PadSpec }> = [
      { name: "k3 s2 same 9x7 (dx 9x7)", ys: [1, 9, 7, 4], k: 3, ci: 6, s: 2, pad: "same" },
      { name: "k4 s2 explicit n2 8x8", ys: [2, 8, 8, 3], k: 4, ci: 5, s: 2, pad: EXPLICIT },
      { name: "k3 s1 valid 7x6", ys: [1, 7, 6, 4], k: 3, ci: 2, s: 1, pad: "valid" },
      { name: "k7 s1 same 9x9", ys: [1, 9, 9, 2], k: 7, ci: 3, s: 1, pad: "same" },
    ];
    it.each(tcases)("$name: forward and gradients", async ({ ys, k, ci, s, pad }) => {
      // conv2dTranspose(x: [N,Ho,Wo,Cin], filter [k,k,Cout,Cin], outputShape [N,H,W,Cout]) is
      // the input-gradient of conv2d(out: [N,H,W,Cout], filter) at dy = x.
      const outShape = ys;
      const ws: Shape4 = [k, k, ys[3], ci];
      const g = convGeom(outShape, ws, s, pad); // forward conv geometry out -> x
      const xs: Shape4 = [g.n, g.ho, g.wo, ci];
      const x = randn(prod(xs), 11 + k);
      const w = randn(prod(ws), 12 + k, 0.5);
      const r = randn(prod(outShape), 13 + k);
      const fwd = (xv: Float64Array, wv: Float64Array) => conv2dGradsRef(new Float64Array(prod(outShape)), wv, xv, g).dx;
      const yRef = fwd(x, w);
      let y!: Float64Array, dx!: Float64Array, dw!: Float64Array;
      await expectNoLeak(() => {
        const xt = t4(x, xs);
        const wt = t4(w, ws);
        const rt = t4(r, outShape);
        const op = (a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, outShape, s, pad as "same" | "valid");
        y = f64(op(xt, wt));
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, b), rt)))([xt, wt]);
        dx = f64(gx!);
        dw = f64(gw!);
      });
      expectClose(y, yRef, 1e-5, "conv2dTranspose forward");
      checkFiniteDiff((v) => fwd(v, w), x, r, dx, { what: "dx", samples: 16 });
      checkFiniteDiff((v) => fwd(x, v), w, r, dw, { what: "dW", samples: 16 });
    });

    it("CycleGAN ConvTranspose2d(k3, s2, p1, output_padding 1): 2H output, PyTorch semantics", async () => {
      const xs: Shape4 = [2, 5, 4, 6];
      const ws: Shape4 = [3, 3, 4, 6]; // [kh, kw, outC, inC]
      const x = randn(prod(xs), 21);
      const w = randn(prod(ws), 22, 0.5);
      const ref = torchConvTransposeRef(x, xs, w, ws, 2, 1, 1);
      expect(ref.shape).toEqual([2, 10, 8, 4]);
      const r = randn(prod(ref.shape), 23);
      let y!: Float64Array, dx!: Float64Array, dw!: Float64Array, ySame!: Float64Array;
      await expectNoLeak(() => {
        const xt = t4(x, xs);
        const wt = t4(w, ws);
        const rt = t4(r, ref.shape);
        const yt = convTranspose2d(xt, wt, { stride: 2, padding: 1, outputPadding: 1 });
        expect(yt.shape).toEqual(ref.shape);
        y = f64(yt);
        // tfjs 'same' gives the right shape but a one-pixel shift (documented pitfall).
        ySame = f64(tf.conv2dTranspose(xt, wt, ref.shape, 2, "same"));
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(convTranspose2d(a as tf.Tensor4D, b as tf.Tensor4D, { stride: 2, padding: 1, outputPadding: 1 }), rt)),
        )([xt, wt]);
        dx = f64(gx!);
        dw = f64(gw!);
      });
      expectClose(y, ref.y, 1e-5, "convTranspose2d vs PyTorch reference");
      let maxDiff = 0;
      for (let i = 0; i < y.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ySame[i]! - ref.y[i]!));
      expect(maxDiff).toBeGreaterThan(1e-2);
      const fx = (v: Float64Array) => torchConvTransposeRef(v, xs, w, ws, 2, 1, 1).y;
      const fw = (v: Float64Array) => torchConvTransposeRef(x, xs, v, ws, 2, 1, 1).y;
      checkFiniteDiff(fx, x, r, dx, { what: "dx", samples: 20 });
      checkFiniteDiff(fw, w, r, dw, { what: "dW", samples: 20 });
    });
  });

  it("kernel-level composition frees every intermediate buffer", () => {
    const xt = tf.randomNormal([2, 9, 7, 3]) as tf.Tensor4D;
    const wt = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const dy = tf.randomNormal([2, 5, 4, 4]) as tf.Tensor4D;
    const b = tf.engine().backend;
    const before = b.numDataIds();
    const dW = tf.engine().runKernel("Conv2DBackpropFilter", { x: xt, dy }, {
      strides: [2, 2],
      pad: "same",
      dataFormat: "NHWC",
      dimRoundingMode: undefined,
      filterShape: [3, 3, 3, 4],
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dX = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: wt }, {
      strides: [2, 2],
      pad: "same",
      dataFormat: "NHWC",
      dimRoundingMode: undefined,
      inputShape: [2, 9, 7, 3],
    } as unknown as tf.NamedAttrMap) as tf.Tensor;
    // wasm keeps the rearranged copy of wt (filter_cache.ts; one sub-pixel filter at this size) while wt lives
    const cached = FIXED[backend].input ? 1 : 0;
    expect(b.numDataIds()).toBe(before + 2 + cached);
    expect(dW.shape).toEqual([3, 3, 3, 4]);
    expect(dX.shape).toEqual([2, 9, 7, 3]);
    tf.dispose([xt, wt, dy, dW, dX]);
    // (webgpu frees buffers its command queue still holds later, so only where the cache is)
    if (cached > 0) expect(b.numDataIds(), "the cached filters are freed with their source").toBe(before - 3);
  });

  if (backend === "wasm") {
    it("stock tfjs-backend-wasm cannot train conv2d (no Conv2DBackpropFilter); the fix can", () => {
      const xt = tf.randomNormal([1, 6, 6, 2]) as tf.Tensor4D;
      const wt = tf.randomNormal([3, 3, 2, 2]) as tf.Tensor4D;
      const f = (a: tf.Tensor) => tf.sum(tf.conv2d(xt, a as tf.Tensor4D, 1, "same"));
      unregisterKernelFixes();
      try {
        expect(() => tf.tidy(() => tf.grad(f)(wt))).toThrow(/Conv2DBackpropFilter/);
      } finally {
        registerKernelFixes();
      }
      expect(tf.tidy(() => tf.grad(f)(wt)).shape).toEqual([3, 3, 2, 2]);
      tf.dispose([xt, wt]);
    });
  }
});
