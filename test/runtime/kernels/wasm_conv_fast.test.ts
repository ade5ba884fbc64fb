/**
 * The wasm-only parts of the fast conv gradients: the per-weight-version filter cache of the
 * input gradient (a stale copy after an optimizer update would silently train on old weights)
 * and the blocked im2col GEMM of the filter gradient (several tap groups).  The numerics of the
 * registered kernels on every backend are in conv_backprop.test.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { conv2DBackpropInputViaConv, usePhases } from "../../../src/runtime/kernels/conv_backprop.js";
import { FilterCache } from "../../../src/runtime/kernels/filter_cache.js";
import { KernelCtx } from "../../../src/runtime/kernels/kernel_ctx.js";
import { filterGradViaGemm, inputGradViaGemm } from "../../../src/runtime/kernels/register.js";
import { conv2DBackpropFilterGemm, type GemmOptions } from "../../../src/runtime/kernels/wasm_conv_backprop_filter.js";
import { conv2DBackpropInputGemm } from "../../../src/runtime/kernels/wasm_conv_backprop_input.js";
import { conv2DForwardGemm } from "../../../src/runtime/kernels/wasm_conv_forward.js";
import { forwardViaGemm } from "../../../src/compiler/wasm_kernel_routes.js";
import { conv2dGradsRef, conv2dRef, convGeom, expectClose, prod, randn, t4, type Shape4 } from "./reference.js";
import { BACKENDS, useBackend } from "./setup.js";
import { tensorInfo } from "../shared.js";

describe.runIf(BACKENDS.includes("wasm"))("wasm conv gradients: filter cache and GEMM", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  // conv2dTranspose(x, W) is Conv2DBackpropInput of conv2d(·, W) at dy = x.  The small case runs
  // one sub-pixel conv (one cached filter), the larger one four phase convs (four cached filters).
  it.each([
    { name: "small: one sub-pixel filter", outShape: [1, 7, 6, 5] as Shape4, ws: [3, 3, 5, 4] as Shape4, filters: 1 },
    { name: "larger: four phase filters", outShape: [1, 32, 30, 64] as Shape4, ws: [3, 3, 64, 64] as Shape4, filters: 4 },
  ])("$name: reused while the weight is unchanged, rebuilt after assign, freed with the weight", ({ outShape, ws, filters }) => {
    const g = convGeom(outShape, ws, 2, "same");
    const xs: Shape4 = [1, g.ho, g.wo, ws[3]];
    expect(usePhases(3, 3, 2, 2, g.ho * g.wo * 4 * ws[2] * 4 * ws[3])).toBe(filters === 4);
    const x = randn(prod(xs), 1);
    const ref = (w: Float64Array) => conv2dGradsRef(new Float64Array(prod(outShape)), w, x, g).dx;
    const op = (a: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2dTranspose(a, w, outShape, 2, "same");
    const cache = FilterCache.of(tf.backend());
    const sizeBefore = cache.size;
    const dataBefore = tf.backend().numDataIds();
    const w1 = randn(prod(ws), 2, 0.2);
    const w2 = randn(prod(ws), 3, 0.2);
    const init = t4(w1, ws);
    const v = tf.variable(init, true, `cache-${Math.random()}`);
    init.dispose(); // the variable alone holds version 1, as in training
    const xt = t4(x, xs);
    const builds0 = cache.stats.builds;
    const hits0 = cache.stats.hits;

    const y1 = tf.tidy(() => Array.from(op(xt, v).dataSync()));
    const y1again = tf.tidy(() => Array.from(op(xt, v).dataSync()));
    expect(cache.stats.builds - builds0).toBe(filters);
    expect(cache.stats.hits - hits0).toBe(filters);
    expect(cache.size).toBe(sizeBefore + filters);
    expectClose(y1, ref(w1), 1e-5, "version 1");
    expect(y1again).toEqual(y1);

    tf.tidy(() => v.assign(t4(w2, ws))); // what the optimizer does: a new data id
    expect(cache.size, "the old version is freed with the old value").toBe(sizeBefore);
    const y2 = tf.tidy(() => Array.from(op(xt, v).dataSync()));
    expect(cache.stats.builds - builds0).toBe(2 * filters);
    expectClose(y2, ref(w2), 1e-5, "version 2 (no stale filter)");

    v.dispose();
    xt.dispose();
    expect(cache.size).toBe(sizeBefore);
    expect(tf.backend().numDataIds()).toBe(dataBefore);
  });

  // Both forms of the input gradient on small shapes (the registered kernel picks the sub-pixel
  // form for these; conv_backprop.test.ts covers it through tf.grads).
  const EXPLICIT: [[0, 0], [number, number], [number, number], [0, 0]] = [[0, 0], [1, 1], [2, 0], [0, 0]];
  it.each([
    { xs: [1, 9, 7, 6] as Shape4, k: 3, s: 2, pad: "same" as const },
    { xs: [2, 8, 9, 5] as Shape4, k: 3, s: 2, pad: "valid" as const },
    { xs: [1, 10, 8, 4] as Shape4, k: 3, s: 2, pad: EXPLICIT },
    { xs: [1, 11, 9, 3] as Shape4, k: 5, s: 2, pad: "same" as const },
    { xs: [2, 10, 11, 4] as Shape4, k: 4, s: 3, pad: "same" as const },
    { xs: [1, 9, 9, 4] as Shape4, k: 4, s: 2, pad: EXPLICIT },
  ])("dx with phases and with one sub-pixel conv: k$k s$s $pad x$xs", ({ xs, k, s, pad }) => {
    const ws: Shape4 = [k, k, xs[3], 7];
    const gg = convGeom(xs, ws, s, pad);
    const dyS: Shape4 = [gg.n, gg.ho, gg.wo, gg.co];
    const w = randn(prod(ws), 6, 0.5);
    const dyv = randn(prod(dyS), 7);
    const want = conv2dGradsRef(new Float64Array(prod(xs)), w, dyv, gg).dx;
    const b = tf.backend();
    const before = b.numDataIds();
    const wt = t4(w, ws);
    const dyt = t4(dyv, dyS);
    for (const phases of [true, false]) {
      const ctx = new KernelCtx(b, "wasm");
      const out = ctx.finish(conv2DBackpropInputViaConv(ctx, tensorInfo(dyt), tensorInfo(wt), { strides: s, pad, inputShape: xs }, phases));
      expect(out.shape).toEqual(xs);
      expectClose(b.readSync(out.dataId) as Float32Array, want, 1e-5, `dx (phases ${phases})`);
      b.disposeData(out.dataId);
    }
    tf.dispose([wt, dyt]);
    expect(b.numDataIds(), "no intermediate or cached filter left").toBe(before);
  });

  // [2,9,8,16] s2: 40 output pixels > 24 channels → dWᵀ = dyᵀ·xcol; [1,5,4,16]: 6 pixels → dW = xcolᵀ·dy
  type GemmCase = [string, number, Shape4, GemmOptions];
  it.each([
    ["all 9 taps in one block", 9, [2, 9, 8, 16], {}],
    ["one tap per block", 1, [2, 9, 8, 16], {}],
    ["4 taps per block (9 = 4 + 4 + 1)", 4, [2, 9, 8, 16], {}],
    ["pixel blocks of 7 (40 = 5·7 + 5), summed", 9, [2, 9, 8, 16], { pixelBlock: 7 }],
    ["pixel blocks of 7 and 4 taps per block", 4, [2, 9, 8, 16], { pixelBlock: 7 }],
    ["many pixels, xcolᵀ·dy forced", 4, [2, 9, 8, 16], { layout: "direct" }],
    ["few pixels (xcolᵀ·dy), one block", 9, [1, 5, 4, 16], {}],
    ["few pixels (xcolᵀ·dy), 4 taps per block", 4, [1, 5, 4, 16], {}],
    ["few pixels, dyᵀ·xcol forced, pixel blocks of 4", 9, [1, 5, 4, 16], { layout: "transposed", pixelBlock: 4 }],
  ] as GemmCase[])("im2col GEMM filter gradient, %s", (_name, tapsPerBlock, inS, opts) => {
    const wS: Shape4 = [3, 3, 16, 24];
    const gg = convGeom(inS, wS, 2, "same");
    const xv = randn(prod(inS), 4);
    const dyS: Shape4 = [gg.n, gg.ho, gg.wo, gg.co];
    const dyv = randn(prod(dyS), 5);
    const pixels = opts.layout !== "direct" && opts.pixelBlock != null ? opts.pixelBlock : gg.n * gg.ho * gg.wo;
    const maxChunkBytes = tapsPerBlock * 4 * pixels * inS[3];
    const want = conv2dGradsRef(xv, new Float64Array(prod(wS)), dyv, gg).dw;
    const b = tf.backend();
    const before = b.numDataIds();
    const xt = t4(xv, inS);
    const dyt = t4(dyv, dyS);
    const ctx = new KernelCtx(b, "wasm");
    const out = ctx.finish(
      conv2DBackpropFilterGemm(ctx, tensorInfo(xt), tensorInfo(dyt), { strides: 2, pad: "same", filterShape: wS }, { ...opts, maxChunkBytes }),
    );
    expect(out.shape).toEqual(wS);
    const got = b.readSync(out.dataId) as Float32Array;
    expectClose(got, want, 1e-5, `dW (${maxChunkBytes} bytes per block)`);
    b.disposeData(out.dataId);
    tf.dispose([xt, dyt]);
    expect(b.numDataIds(), "no intermediate left").toBe(before);
  });

  // The input gradient as W·dyᵀ + col2im: strides, paddings (incl. explicit and 'valid' on a padded
  // input), batch 2, and dxcolᵀ split into tap groups (9 = 4 + 4 + 1, one tap per group).
  it.each([
    { xs: [1, 9, 7, 16] as Shape4, k: 3, s: 2, pad: "same" as const, taps: 9 },
    { xs: [2, 8, 9, 16] as Shape4, k: 3, s: 2, pad: "valid" as const, taps: 4 },
    { xs: [1, 10, 8, 16] as Shape4, k: 3, s: 2, pad: EXPLICIT, taps: 1 },
    { xs: [1, 10, 10, 16] as Shape4, k: 3, s: 1, pad: "valid" as const, taps: 4 },
    { xs: [2, 10, 11, 16] as Shape4, k: 4, s: 3, pad: "same" as const, taps: 16 },
    { xs: [1, 9, 9, 16] as Shape4, k: 4, s: 1, pad: "valid" as const, taps: 5 },
  ])("dx as a GEMM + col2im: k$k s$s $pad x$xs, $taps taps per block", ({ xs, k, s, pad, taps }) => {
    const ws: Shape4 = [k, k, xs[3], 24];
    const gg = convGeom(xs, ws, s, pad);
    const dyS: Shape4 = [gg.n, gg.ho, gg.wo, gg.co];
    const w = randn(prod(ws), 8, 0.5);
    const dyv = randn(prod(dyS), 9);
    const want = conv2dGradsRef(new Float64Array(prod(xs)), w, dyv, gg).dx;
    const b = tf.backend();
    const before = b.numDataIds();
    const wt = t4(w, ws);
    const dyt = t4(dyv, dyS);
    const ctx = new KernelCtx(b, "wasm");
    const maxChunkBytes = taps * 4 * gg.n * gg.ho * gg.wo * xs[3];
    const out = ctx.finish(conv2DBackpropInputGemm(ctx, tensorInfo(dyt), tensorInfo(wt), { strides: s, pad, inputShape: xs }, { maxChunkBytes }));
    expect(out.shape).toEqual(xs);
    expectClose(b.readSync(out.dataId) as Float32Array, want, 1e-5, "dx (GEMM)");
    b.disposeData(out.dataId);
    tf.dispose([wt, dyt]);
    expect(b.numDataIds(), "no intermediate left").toBe(before);
  });

  it("the registered input gradient takes the GEMM where dy has no more pixels than channels, and it is exact there", () => {
    // a 4×4 discriminator-like layer: dy [2, 3, 3, 32] (18 pixels ≤ 32 channels), Ci 16
    const xs: Shape4 = [2, 8, 8, 16];
    const ws: Shape4 = [4, 4, 16, 32];
    const gg = convGeom(xs, ws, 2, "valid");
    expect(inputGradViaGemm(gg.n * gg.ho * gg.wo, xs[3], ws[3])).toBe(true);
    const w = randn(prod(ws), 10, 0.5);
    const dyv = randn(gg.n * gg.ho * gg.wo * gg.co, 11);
    const want = conv2dGradsRef(new Float64Array(prod(xs)), w, dyv, gg).dx;
    const got = tf.tidy(() => Array.from(tf.conv2dTranspose(t4(dyv, [gg.n, gg.ho, gg.wo, gg.co]), t4(w, ws), xs, 2, "valid").dataSync()));
    expectClose(got, want, 1e-5, "registered dx");
  });

  // The forward convolution as im2col + GEMM (+ bias): strides, paddings, batch 2.
  it.each([
    { xs: [1, 9, 7, 16] as Shape4, k: 3, s: 2, pad: "same" as const },
    { xs: [2, 8, 9, 16] as Shape4, k: 3, s: 2, pad: "valid" as const },
    { xs: [1, 10, 8, 16] as Shape4, k: 3, s: 2, pad: EXPLICIT },
    { xs: [1, 10, 10, 16] as Shape4, k: 3, s: 1, pad: "valid" as const },
    { xs: [2, 10, 11, 16] as Shape4, k: 4, s: 3, pad: "same" as const },
  ])("forward conv as im2col + GEMM: k$k s$s $pad x$xs", ({ xs, k, s, pad }) => {
    const ws: Shape4 = [k, k, xs[3], 24];
    const gg = convGeom(xs, ws, s, pad);
    const xv = randn(prod(xs), 12);
    const w = randn(prod(ws), 13, 0.5);
    const bias = randn(24, 14);
    const conv = conv2dRef(xv, w, gg);
    const want = conv.map((v, i) => v + bias[i % 24]!);
    const b = tf.backend();
    const before = b.numDataIds();
    const [xt, wt, bt] = [t4(xv, xs), t4(w, ws), tf.tensor1d(Float32Array.from(bias))];
    for (const withBias of [true, false]) {
      const ctx = new KernelCtx(b, "wasm");
      const out = ctx.finish(conv2DForwardGemm(ctx, tensorInfo(xt), tensorInfo(wt), withBias ? tensorInfo(bt) : undefined, { strides: s, pad }));
      expect(out.shape).toEqual([gg.n, gg.ho, gg.wo, 24]);
      expectClose(b.readSync(out.dataId) as Float32Array, withBias ? want : conv, 1e-5, `y (bias ${withBias})`);
      b.disposeData(out.dataId);
    }
    tf.dispose([xt, wt, bt]);
    expect(b.numDataIds(), "no intermediate left").toBe(before);
  });

  it("the registered forward conv takes the GEMM where the output has no more pixels than channels, with bias and without", () => {
    const xs: Shape4 = [2, 8, 8, 16];
    const ws: Shape4 = [4, 4, 16, 32];
    const gg = convGeom(xs, ws, 2, "valid");
    expect(forwardViaGemm(gg.n * gg.ho * gg.wo, xs[3], ws[3])).toBe(true);
    const xv = randn(prod(xs), 15);
    const w = randn(prod(ws), 16, 0.5);
    const bias = randn(32, 17);
    const conv = conv2dRef(xv, w, gg);
    const prof = tf.tidy(() => {
      const [x, f, bb] = [t4(xv, xs), t4(w, ws), tf.tensor1d(Float32Array.from(bias))];
      return [Array.from(tf.conv2d(x, f, 2, "valid").dataSync()), Array.from(tf.fused.conv2d({ x, filter: f, strides: 2, pad: "valid", bias: bb }).dataSync())];
    });
    expectClose(prof[0]!, conv, 1e-5, "Conv2D");
    expectClose(prof[1]!, conv.map((v, i) => v + bias[i % 32]!), 1e-5, "FusedConv2D");
  });

  // tfjs-backend-wasm caches XNNPACK's fully-connected operator on the weights operand's tensor id
  // alone, not its shape: a dy of one pixel, used as [1, Co] by the filter gradient and — had its
  // transpose been a reshape of the same buffer — as [Co, 1] by the input gradient, got the other's
  // operator, which wrote out of bounds (DualGAN's innermost U-Net layer: NaN, then a corrupt heap)
  it.each([
    { xs: [1, 4, 4, 32] as Shape4, ws: [4, 4, 32, 64] as Shape4 },
    { xs: [1, 5, 5, 32] as Shape4, ws: [5, 5, 32, 16] as Shape4 },
  ])("dW and dx of a conv with a one-pixel output share no GEMM operator: x$xs W$ws", ({ xs, ws }) => {
    const gg = convGeom(xs, ws, 1, "valid");
    expect(gg.ho * gg.wo).toBe(1);
    const xv = randn(prod(xs), 20);
    const w = randn(prod(ws), 21, 0.5);
    const r = randn(ws[3], 22);
    const want = conv2dGradsRef(xv, w, r, gg);
    for (let round = 0; round < 3; round++) {
      const [dx, dw] = tf.tidy(() => {
        const f = (x: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, "valid"), tf.tensor1d(Float32Array.from(r))));
        return tf.grads(f)([t4(xv, xs), t4(w, ws)]).map((g) => Array.from(g.dataSync()));
      });
      expectClose(dx!, want.dx, 1e-4, `dx, round ${round}`);
      expectClose(dw!, want.dw, 1e-4, `dW, round ${round}`);
    }
  });

  it("takes the forward GEMM only for few pixels and wide input channels", () => {
    expect(forwardViaGemm(49, 256, 512)).toBe(true);
    expect(forwardViaGemm(256, 256, 256)).toBe(true);
    expect(forwardViaGemm(1024, 256, 256)).toBe(false);
    expect(forwardViaGemm(4096, 3, 64)).toBe(false);
  });

  it("takes the input-gradient GEMM only for few pixels and wide input channels", () => {
    expect(inputGradViaGemm(49, 256, 512)).toBe(true); // the 512-channel discriminator layer at 64²
    expect(inputGradViaGemm(256, 256, 256)).toBe(true); // residual convs at 64²
    expect(inputGradViaGemm(1024, 256, 256)).toBe(false); // residual convs at 128²
    expect(inputGradViaGemm(36, 512, 1)).toBe(false); // the 1-channel output layer
    expect(inputGradViaGemm(16, 3, 64)).toBe(false); // RGB
  });

  it("takes the GEMM only where both channel counts are wide", () => {
    expect(filterGradViaGemm(256, 256)).toBe(true);
    expect(filterGradViaGemm(3, 64)).toBe(false);
    expect(filterGradViaGemm(64, 3)).toBe(false);
  });
});
