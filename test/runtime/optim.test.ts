// The optimizers against their PyTorch formulas, written out in float64, over several steps.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { IrOptimizer } from "../../src/ir/schema.js";
import { Optimizer, lrMultiplier } from "../../src/runtime/optim.js";
import { useBackend } from "./kernels/setup.js";
import { OPTIMIZER_CASES } from "./shared.js";

const G = [0.3, -1.2, 0.05, 2.0]; // gradient per step (one scalar parameter, 4 steps)

function reference(o: IrOptimizer, p0: number, gs: number[] = G): number[] {
  let p = p0;
  let m = 0;
  let v = 0;
  let b = 0;
  const out: number[] = [];
  gs.forEach((g0, i) => {
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


// Both implementations of every rule: the flat-buffer loop (cpu/wasm default) and tensor ops (webgpu).
const PATHS: Array<{ backend: "cpu" | "wasm"; flat: boolean }> = [
  { backend: "cpu", flat: true },
  { backend: "cpu", flat: false },
  { backend: "wasm", flat: true },
];

describe.each(PATHS)("optimizers (PyTorch semantics) on $backend, flat $flat", ({ backend, flat }) => {
  beforeAll(() => useBackend(backend));
  it("takes the flat path by default on this backend", () => {
    const v = tf.variable(tf.tensor1d([1]), true, `d-${Math.random()}`);
    expect(new Optimizer(OPTIMIZER_CASES[0]!, [{ name: "d", variable: v }]).flat).toBe(true);
    v.dispose();
  });
  for (const o of OPTIMIZER_CASES) {
    it(`${JSON.stringify(o)}: 4 steps match the formula; state round-trips`, async () => {
      const v = tf.variable(tf.tensor1d([0.7]), true, `p-${Math.random()}`);
      let opt = new Optimizer(o, [{ name: "p", variable: v }], { flat });
      const want = reference(o, 0.7);
      for (let i = 0; i < G.length; i++) {
        opt.apply({ [v.name]: tf.tensor1d([G[i]!]) });
        expect((await v.data())[0]).toBeCloseTo(want[i]!, 5);
        if (i === 1) {
          // checkpoint and restore mid-way into the OTHER implementation (same checkpoint
          // format): the fresh optimizer continues on the formula
          const s = await opt.state();
          opt.dispose();
          opt = new Optimizer(o, [{ name: "p", variable: v }], { flat: !flat });
          opt.loadState(s);
          expect(opt.t).toBe(2);
          expect([...(await opt.state()).slots.keys()]).toEqual([...s.slots.keys()]);
        }
      }
      opt.dispose();
      v.dispose();
    });
  }
  it("several parameters of different sizes: each element follows the formula (no slot overlap)", async () => {
    const o = OPTIMIZER_CASES[1]!;
    const p0 = [[0.7, -0.2, 1.5], [0.3, -1.1]];
    const scale = [[1, -2, 0.5], [3, -0.25]]; // element e of parameter k gets G[i]·scale[k][e]
    const vars = p0.map((v, k) => tf.variable(tf.tensor1d(v), true, `q${k}-${Math.random()}`));
    const opt = new Optimizer(o, vars.map((variable, k) => ({ name: `q${k}`, variable })), { flat });
    for (let i = 0; i < G.length; i++) {
      opt.apply(Object.fromEntries(vars.map((v, k) => [v.name, tf.tensor1d(scale[k]!.map((c) => G[i]! * c))])));
    }
    for (const [k, v] of vars.entries()) {
      const got = await v.data();
      p0[k]!.forEach((x, e) => expect(got[e]).toBeCloseTo(reference(o, x, G.map((g) => g * scale[k]![e]!))[G.length - 1]!, 5));
    }
    expect([...(await opt.state()).slots.keys()]).toEqual(["q0/m", "q0/v", "q1/m", "q1/v"]);
    opt.dispose();
    tf.dispose(vars);
  });
  it("a parameter without a gradient is skipped (as PyTorch skips .grad None)", async () => {
    const a = tf.variable(tf.tensor1d([1]), true, `a-${Math.random()}`);
    const b = tf.variable(tf.tensor1d([1]), true, `b-${Math.random()}`);
    const opt = new Optimizer(OPTIMIZER_CASES[0]!, [{ name: "a", variable: a }, { name: "b", variable: b }], { flat });
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
