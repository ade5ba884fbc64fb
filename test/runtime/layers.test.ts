/**
 * Every runtime layer (src/runtime/layers.ts) against PyTorch, forward and backward, on cpu and
 * wasm (and webgpu in the vitest "webgpu" project): one case per fixture entry in test/parity/fixtures/layers.safetensors
 * (`/usr/bin/python3 test/parity/make_fixtures.py` regenerates it). Also: the runtime table
 * covers the compiler's ops table, dropout's train/eval behaviour, the fused conv+relu path,
 * and no leaked tensors.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { OPS } from "../../src/compiler/ops.js";
import type { IrNode } from "../../src/ir/schema.js";
import { LOWERINGS, type ForwardContext } from "../../src/runtime/layers.js";
import { Rng } from "../../src/runtime/rng.js";
import { tensorAsFloat32 } from "../../src/io/safetensors.js";
import { fixture, maxAbsDiff, meta } from "../parity/helpers.js";
import { BACKENDS, BACKEND_INDEPENDENT_TESTS, useBackend } from "./kernels/setup.js";

const F = fixture("layers");
const CASES = JSON.parse(meta(F, "cases")) as Record<string, { op: string; attrs: IrNode["attrs"]; params: string[]; inputs: number }>;

const get = (name: string) => {
  const t = F.tensors[name];
  if (!t) throw new Error(`fixture has no ${name}`);
  return tf.tensor(tensorAsFloat32(F, name), t.shape);
};
const node = (op: string, attrs: IrNode["attrs"], params: string[] = []): IrNode => ({
  id: `t/${op}`,
  op,
  attrs,
  inputs: [],
  shape: [],
  params: params.map((p) => `t/${op}/${p}`),
  span: { file: "test", line: 1, col: 1, endLine: 1, endCol: 1 },
});

/** |a − b| ≤ atol + rtol·|b| elementwise, reported as the worst excess. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, atol = 1e-5, rtol = 1e-4) {
  expect(a.length, what).toBe(b.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(a[i]! - b[i]!) - (atol + rtol * Math.abs(b[i]!));
    if (excess > worst) [worst, at] = [excess, i];
  }
  expect(worst, `${what}: element ${at}: ${a[at]} vs ${b[at]}`).toBe(0);
}

describe.runIf(BACKEND_INDEPENDENT_TESTS)("runtime layers table", () => {
  it("has a lowering for every op of the compiler's ops table, and nothing else", () => {
    expect(Object.keys(LOWERINGS).sort()).toEqual(["input", ...Object.keys(OPS)].sort());
  });
  it("the PyTorch fixture covers every op", () => {
    const covered = new Set(Object.values(CASES).map((c) => c.op));
    expect(Object.keys(OPS).filter((op) => !covered.has(op))).toEqual([]);
  });
});

for (const backend of BACKENDS) {
  describe(`layers vs PyTorch on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    for (const [name, c] of Object.entries(CASES)) {
      it(`${name}: forward and gradients`, async () => {
        const before = tf.memory().numTensors;
        const training = name.endsWith("_train");
        const state = new Map<string, tf.Tensor>();
        const ctx: ForwardContext = {
          training,
          rng: new Rng(0),
          // record the first forward's update (kept); later forwards (inside tf.grads) are ignored
          assignState: (n, v) => {
            const k = n.split("/").pop()!;
            if (!state.has(k)) state.set(k, tf.keep(v));
          },
        };
        const x = get(`${name}.x`);
        const xs = c.inputs === 2 ? [x, get(`${name}.x2`)] : [x];
        const ps = c.params.map((p) => get(`${name}.p.${p}`));
        const w = get(`${name}.w`);
        const nd = node(c.op, c.attrs, c.params);
        const trainable = c.params.map((p) => !p.startsWith("moving"));
        const f = (...args: tf.Tensor[]) => {
          const y = LOWERINGS[c.op]!(args.slice(0, xs.length), nd, args.slice(xs.length), ctx);
          return tf.sum(tf.mul(y, w)) as tf.Scalar;
        };
        const y = tf.tidy(() => LOWERINGS[c.op]!(xs, nd, ps, ctx));
        const ref = get(`${name}.out`);
        expect(y.shape).toEqual(ref.shape);
        expectClose(await y.data(), await ref.data(), `${name} forward`);
        // gradients wrt every input and trainable parameter
        const wrt = [...xs, ...ps.filter((_, i) => trainable[i])];
        const gf = tf.grads((...a: tf.Tensor[]) => {
          let k = xs.length;
          const full = [...a.slice(0, xs.length), ...ps.map((p, i) => (trainable[i] ? a[k++]! : p))];
          return f(...full);
        });
        const grads = gf(wrt);
        const gnames = [...xs.map((_, i) => (i === 0 ? "grad_x" : "grad_x2")), ...c.params.filter((_, i) => trainable[i]).map((p) => `grad_p.${p}`)];
        for (const [i, g] of grads.entries()) {
          const gref = get(`${name}.${gnames[i]}`);
          expectClose(await g.data(), await gref.data(), `${name} ${gnames[i]}`, 1e-4, 1e-3);
          gref.dispose();
        }
        if (training && c.op === "batch_norm") {
          // the running statistics after one training-mode forward (PyTorch momentum rule)
          for (const s of ["moving_mean", "moving_variance"]) {
            const want = get(`${name}.after.${s}`);
            expectClose(await state.get(s)!.data(), await want.data(), `${name} ${s}`);
            want.dispose();
          }
        }
        tf.dispose([...grads, y, ref, ...xs, ...ps, w, ...state.values()]);
        expect(tf.memory().numTensors, "tensors leaked").toBe(before);
      });
    }

    it("conv with a fused relu equals conv then relu, gradients included", async () => {
      const nd = node("conv", { filters: 3, kernel: 3, stride: 1, pad: 1, pad_mode: "zeros", dilation: 1, bias: true }, ["kernel", "bias"]);
      const ctx: ForwardContext = { training: true, rng: new Rng(0), assignState: () => {} };
      const x = tf.randomNormal([1, 5, 5, 2], 0, 1, "float32", 1);
      const k = tf.randomNormal([3, 3, 2, 3], 0, 0.5, "float32", 2);
      const b = tf.randomNormal([3], 0, 0.5, "float32", 3);
      const w = tf.randomNormal([1, 5, 5, 3], 0, 1, "float32", 4);
      const loss = (fused: boolean) => (xx: tf.Tensor, kk: tf.Tensor, bb: tf.Tensor) => {
        const y = fused ? LOWERINGS.conv!([xx], nd, [kk, bb], ctx, "relu") : tf.relu(LOWERINGS.conv!([xx], nd, [kk, bb], ctx));
        return tf.sum(tf.mul(y, w)) as tf.Scalar;
      };
      const g1 = tf.grads(loss(true))([x, k, b]);
      const g2 = tf.grads(loss(false))([x, k, b]);
      for (const [i, g] of g1.entries()) expectClose(await g.data(), await g2[i]!.data(), `fused grad ${i}`);
      tf.dispose([...g1, ...g2, x, k, b, w]);
    });

    it("dropout: identity in evaluation; in training zeros a fraction p and scales the rest by 1/(1−p), same mask for the gradient", async () => {
      const nd = node("dropout", { p: 0.3 });
      const x = tf.ones([1, 40, 40, 4]);
      const evalY = LOWERINGS.dropout!([x], nd, [], { training: false, rng: new Rng(0), assignState: () => {} });
      expect(evalY).toBe(x);
      const mk = () => ({ training: true, rng: new Rng(7), assignState: () => {} });
      const y = LOWERINGS.dropout!([x], nd, [], mk());
      const v = await y.data();
      const zeros = v.filter((e) => e === 0).length / v.length;
      expect(zeros).toBeGreaterThan(0.27);
      expect(zeros).toBeLessThan(0.33);
      expect(v.every((e) => e === 0 || Math.abs(e - 1 / 0.7) < 1e-6)).toBe(true);
      const [g] = tf.grads((a: tf.Tensor) => tf.sum(LOWERINGS.dropout!([a], nd, [], mk())))([x]);
      expect(Array.from(await g!.data())).toEqual(Array.from(v)); // same seed → same mask
      tf.dispose([x, y, g!]);
    });
  });
}

describe("detach", () => {
  for (const backend of BACKENDS) {
    it(`on ${backend}: stops the gradient and keeps its data alive after the source is disposed`, async () => {
      await useBackend(backend);
      const { detach } = await import("../../src/runtime/criteria.js");
      const before = tf.memory().numTensors;
      const x = tf.tensor([1, 2, 3]);
      const [g] = tf.grads((a: tf.Tensor) => tf.sum(tf.add(tf.mul(a, 2), tf.mul(detach(tf.mul(a, a)), a))))([x]);
      // d/da [2a + stop(a²)·a] = 2 + a²
      expect(Array.from(await g!.data())).toEqual([3, 6, 11]);
      const y = tf.mul(x, 10);
      const d = detach(y);
      y.dispose();
      const z = tf.add(d, 0);
      expect(Array.from(await z.data())).toEqual([10, 20, 30]);
      tf.dispose([x, g!, d, z]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
