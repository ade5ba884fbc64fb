/**
 * The one-pass MirrorPad gradient kernel (`GanccMirrorPadGrad`, wasm and cpu): equal to the
 * composite of slice/reverse/pad/add, used by the MirrorPad gradient where registered, and
 * differentiable (its gradient is the forward MirrorPad).
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { listKernelFixes, mirrorPadBackward, registerKernelFixes, unregisterKernelFixes } from "../../../src/runtime/kernels/index.js";
import { mirrorPadGradDirect } from "../../../src/runtime/kernels/mirror_pad_grad.js";
import { MIRROR_PAD_GRAD } from "../../../src/runtime/kernels/mirror_pad_grad_kernel.js";
import { expectClose, expectNoLeak, f64, padGradRef, padRef, prod, randn } from "./reference.js";
import { BACKENDS, useBackend } from "./setup.js";

type Mode = "reflect" | "symmetric";
type Pads = Array<[number, number]>;

/** x shapes (dy = padded); reflect pads ≤ L-1, symmetric ≤ L. */
const cases: Array<{ name: string; shape: number[]; pads: Pads; mode: Mode }> = [
  { name: "1-D reflect max", shape: [5], pads: [[4, 4]], mode: "reflect" },
  { name: "2-D reflect asymmetric", shape: [4, 5], pads: [[1, 3], [2, 0]], mode: "reflect" },
  { name: "2-D symmetric, last axis unpadded", shape: [3, 6], pads: [[3, 1], [0, 0]], mode: "symmetric" },
  { name: "2-D symmetric max on length 1", shape: [1, 3], pads: [[1, 1], [3, 2]], mode: "symmetric" },
  { name: "3-D reflect, middle axis unpadded", shape: [4, 3, 5], pads: [[2, 1], [0, 0], [0, 4]], mode: "reflect" },
  { name: "NHWC resblock reflect 1, batch 2", shape: [2, 4, 4, 8], pads: [[0, 0], [1, 1], [1, 1], [0, 0]], mode: "reflect" },
  { name: "NHWC c7s1 reflect 3, 3 channels", shape: [1, 6, 5, 3], pads: [[0, 0], [3, 3], [3, 3], [0, 0]], mode: "reflect" },
  { name: "NHWC symmetric max asymmetric, batch 3", shape: [3, 3, 4, 20], pads: [[0, 0], [3, 0], [1, 4], [0, 0]], mode: "symmetric" },
  { name: "NHWC reflect on every axis", shape: [3, 4, 3, 4], pads: [[1, 2], [3, 1], [0, 2], [3, 2]], mode: "reflect" },
  { name: "5-D symmetric", shape: [2, 3, 2, 3, 4], pads: [[0, 1], [2, 3], [0, 0], [1, 0], [0, 0]], mode: "symmetric" },
  { name: "6-D reflect", shape: [2, 2, 3, 2, 3, 2], pads: [[1, 0], [0, 0], [2, 1], [0, 1], [1, 2], [0, 0]], mode: "reflect" },
  { name: "no padding at all", shape: [2, 3, 4], pads: [[0, 0], [0, 0], [0, 0]], mode: "reflect" },
];

const padded = (shape: number[], pads: Pads) => shape.map((s, a) => s + pads[a]![0] + pads[a]![1]);

describe.each(BACKENDS)("GanccMirrorPadGrad on %s", (backend) => {
  const hasKernel = backend === "cpu" || backend === "wasm";

  beforeAll(async () => {
    await useBackend(backend);
  });

  it("is registered exactly where it is implemented", () => {
    expect(tf.getKernel(MIRROR_PAD_GRAD, backend) != null).toBe(hasKernel);
    expect(tf.getGradient(MIRROR_PAD_GRAD)).toBeDefined();
  });

  it.runIf(hasKernel).each(cases)("kernel = composite = float64 reference: $name", async ({ shape, pads, mode }) => {
    const dyShape = padded(shape, pads);
    const dy = randn(prod(dyShape), 11 + shape.length);
    let viaKernel!: Float64Array, viaComposite!: Float64Array;
    await expectNoLeak(() => {
      const t = tf.tensor(Float32Array.from(dy), dyShape);
      const k = mirrorPadGradDirect(t, pads, mode);
      expect(k.shape).toEqual(shape);
      viaKernel = f64(k);
      viaComposite = f64(mirrorPadBackward(t, pads, mode));
    });
    expectClose(viaKernel, viaComposite, 1e-6, "kernel vs composite");
    expectClose(viaKernel, padGradRef(dy, shape, pads, mode), 1e-6, "kernel vs float64");
  });

  it.runIf(hasKernel)("rejects paddings that no valid MirrorPad has (an internal bug)", () => {
    const dy = tf.zeros([2, 6]);
    try {
      // x would be [2, 2]: reflect allows pads ≤ 1 there, symmetric ≤ 2
      expect(() => mirrorPadGradDirect(dy, [[0, 0], [2, 2]], "reflect")).toThrow(/do not fit/);
      expect(() => mirrorPadGradDirect(dy, [[0, 0], [3, 1]], "symmetric")).toThrow(/do not fit/);
      expect(() => mirrorPadGradDirect(dy, [[0, 0]], "symmetric")).toThrow(/do not fit/);
      tf.dispose(mirrorPadGradDirect(dy, [[0, 0], [2, 2]], "symmetric"));
    } finally {
      dy.dispose();
    }
  });

  it.runIf(hasKernel)("the MirrorPad gradient runs the kernel, not the composite", async () => {
    const x = tf.randomNormal([1, 6, 6, 4]);
    const pads: Pads = [[0, 0], [1, 1], [1, 1], [0, 0]];
    const info = await tf.profile(() => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mirrorPad(a, pads, "reflect")))(x)));
    x.dispose();
    const names = info.kernelNames;
    expect(names).toContain(MIRROR_PAD_GRAD);
    expect(names).not.toContain("Reverse");
  });

  it.runIf(hasKernel).each(cases)(
    "its gradient is the forward MirrorPad (the adjoint): $name",
    async ({ shape, pads, mode }) => {
      const dyShape = padded(shape, pads);
      const dy = randn(prod(dyShape), 21);
      const r = randn(prod(shape), 22);
      let g!: Float64Array;
      await expectNoLeak(() => {
        const rt = tf.tensor(Float32Array.from(r), shape);
        const f = (t: tf.Tensor) => tf.sum(tf.mul(mirrorPadGradDirect(t, pads, mode), rt));
        g = f64(tf.grad(f)(tf.tensor(Float32Array.from(dy), dyShape)));
      });
      // d/d(dy) of <Pᵀ dy, r> = P r
      expectClose(g, padRef(r, shape, pads, mode).y, 1e-6, "d(kernel)/d(dy)");
    },
  );

  it.runIf(hasKernel)("second order through the kernel = second order through the composite", async () => {
    const shape = [2, 5, 4, 3];
    const pads: Pads = [[0, 0], [2, 1], [1, 3], [0, 0]];
    const x = randn(prod(shape), 31);
    const w = randn(prod(padded(shape, pads)), 32);
    // a gradient penalty shape: ‖∇ₓ Σ w ⊙ mirrorPad(x)²‖², differentiated again w.r.t. x
    const run = async () => {
      let out!: Float64Array;
      await expectNoLeak(() => {
        const wt = tf.tensor(Float32Array.from(w), padded(shape, pads));
        const inner = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(wt, tf.square(tf.mirrorPad(a, pads, "reflect")))));
        out = f64(tf.grad((a: tf.Tensor) => tf.sum(tf.square(inner(a))))(tf.tensor(Float32Array.from(x), shape)));
      });
      return out;
    };
    const viaKernel = await run();
    tf.unregisterKernel(MIRROR_PAD_GRAD, backend);
    let viaComposite: Float64Array;
    try {
      viaComposite = await run();
    } finally {
      registerKernelFixes();
    }
    expect(tf.getKernel(MIRROR_PAD_GRAD, backend)).toBeDefined();
    expectClose(viaKernel, viaComposite, 1e-5, "second order");
    // and not trivially: the penalty's gradient is not zero
    expect(viaKernel.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it.runIf(hasKernel)("unregisterKernelFixes removes the kernel and its gradient; registerKernelFixes restores them", () => {
    const ids = listKernelFixes().map((f) => f.id);
    expect(ids).toContain(`${backend}-mirrorpad-grad-kernel`);
    expect(ids).toContain("mirrorpad-grad-kernel-gradient");
    unregisterKernelFixes();
    try {
      expect(tf.getKernel(MIRROR_PAD_GRAD, backend)).toBeUndefined();
      expect(tf.getGradient(MIRROR_PAD_GRAD)).toBeUndefined();
    } finally {
      registerKernelFixes();
    }
    expect(tf.getKernel(MIRROR_PAD_GRAD, backend)).toBeDefined();
    expect(tf.getGradient(MIRROR_PAD_GRAD)).toBeDefined();
  });
});
