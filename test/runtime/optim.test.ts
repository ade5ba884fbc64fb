// The optimizers against their PyTorch formulas, written out in float64, over several steps.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { IrOptimizer } from "../../src/ir/schema.js";
import { Optimizer, lrMultiplier } from "../../src/runtime/optim.js";
import { useBackend } from "./kernels/setup.js";

const G = [0.3, -1.2, 0.05, 2.0]; // gradient per step (one scalar parameter, 4 steps)

function reference(o: IrOptimizer, p0: number): number[] {
  let p = p0;
  let m = 0;
  let v = 0;
  let b = 0;
  const out: number[] = [];
  G.forEach((g0, i) => {
    const t = i + 1;
    let g = g0;
    if (o.kind === "adam") {
      g += (o.weight_decay ?? 0) * p;
      m = o.beta1! * m + (1 - o.beta1!) * g;
      v = o.beta2! * v + (1 - o.beta2!) * g * g;
      p -= (o.lr / (1 - o.beta1! ** t)) * (m / (Math.sqrt(v / (1 - o.beta2! ** t)) + o.eps!));
    } else if (o.kind === "rmsprop") {
      v = o.decay! * v + (1 - o.decay!) * g * g;
      const step = g / (Math.sqrt(v) + o.eps!);
      if (o.momentum) {
        b = o.momentum * b + step;
        p -= o.lr * b;
      } else p -= o.lr * step;
    } else {
      g += (o.weight_decay ?? 0) * p;
      if (o.momentum) {
        b = t === 1 ? g : o.momentum * b + g;
        p -= o.lr * b;
      } else p -= o.lr * g;
    }
    out.push(p);
  });
  return out;
}

const CASES: IrOptimizer[] = [
  { kind: "adam", lr: 0.1, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0 },
  { kind: "adam", lr: 0.05, beta1: 0.9, beta2: 0.99, eps: 1e-3, weight_decay: 0.1 },
  { kind: "rmsprop", lr: 0.01, decay: 0.9, eps: 1e-8, momentum: 0 },
  { kind: "rmsprop", lr: 0.01, decay: 0.99, eps: 1e-6, momentum: 0.5 },
  { kind: "sgd", lr: 0.1, momentum: 0, weight_decay: 0 },
  { kind: "sgd", lr: 0.1, momentum: 0.9, weight_decay: 0.01 },
];

describe("optimizers (PyTorch semantics)", () => {
  beforeAll(() => useBackend("cpu"));
  for (const o of CASES) {
    it(`${JSON.stringify(o)}: 4 steps match the formula; state round-trips`, async () => {
      const v = tf.variable(tf.tensor1d([0.7]), true, `p-${Math.random()}`);
      const opt = new Optimizer(o, [{ name: "p", variable: v }]);
      const want = reference(o, 0.7);
      for (let i = 0; i < G.length; i++) {
        opt.apply({ [v.name]: tf.tensor1d([G[i]!]) });
        expect((await v.data())[0]).toBeCloseTo(want[i]!, 5);
        if (i === 1) {
          // checkpoint and restore mid-way: a fresh optimizer continues identically
          const s = await opt.state();
          const opt2 = new Optimizer(o, [{ name: "p", variable: v }]);
          opt2.loadState(s);
          expect(opt2.t).toBe(2);
          expect([...(await opt2.state()).slots.keys()]).toEqual([...s.slots.keys()]);
          opt2.dispose();
        }
      }
      opt.dispose();
      v.dispose();
    });
  }
  it("a parameter without a gradient is skipped (as PyTorch skips .grad None)", async () => {
    const a = tf.variable(tf.tensor1d([1]), true, `a-${Math.random()}`);
    const b = tf.variable(tf.tensor1d([1]), true, `b-${Math.random()}`);
    const opt = new Optimizer(CASES[0]!, [{ name: "a", variable: a }, { name: "b", variable: b }]);
    opt.apply({ [a.name]: tf.tensor1d([1]) });
    expect((await b.data())[0]).toBe(1);
    expect((await a.data())[0]).toBeLessThan(1);
    expect([...(await opt.state()).slots.keys()]).toEqual(["a/m", "a/v"]);
    opt.dispose();
    tf.dispose([a, b]);
  });
});

describe("learning-rate schedules", () => {
  it("linear_decay is the official CycleGAN rule: 1 − max(0, epoch + 1 − after) / (epochs − after + 1)", () => {
    // n_epochs 100, n_epochs_decay 100 → after 100 of 200
    expect(lrMultiplier({ kind: "linear_decay", after: 100 }, 0, 200)).toBe(1);
    expect(lrMultiplier({ kind: "linear_decay", after: 100 }, 99, 200)).toBe(1);
    expect(lrMultiplier({ kind: "linear_decay", after: 100 }, 100, 200)).toBeCloseTo(1 - 1 / 101);
    expect(lrMultiplier({ kind: "linear_decay", after: 100 }, 199, 200)).toBeCloseTo(1 - 100 / 101);
  });
  it("step, cosine, constant", () => {
    expect([0, 9, 10, 25].map((e) => lrMultiplier({ kind: "step", every: 10, gamma: 0.5 }, e, 30))).toEqual([1, 1, 0.5, 0.25]);
    expect(lrMultiplier({ kind: "cosine" }, 0, 10)).toBe(1);
    expect(lrMultiplier({ kind: "cosine" }, 5, 10)).toBeCloseTo(0.5);
    expect(lrMultiplier({ kind: "constant" }, 7, 10)).toBe(1);
  });
});
