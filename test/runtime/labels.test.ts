// `bce(x, <label>)` at run time: the compiler lowers a constant label to a scalar `const` as bce's
// second input (src/compiler/losses.ts); it must broadcast to the same loss as `real`/`fake`.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import type { IrValue } from "../../src/ir/schema.js";
import { VALUE_OPS } from "../../src/runtime/criteria.js";

const value = (attrs: IrValue["attrs"]): IrValue => ({ id: "v0", op: "bce", inputs: [], attrs, shape: [], grads: [], span: { file: "", line: 1, col: 1, endLine: 1, endCol: 1 } });
const loss = (t: tf.Tensor) => t.dataSync()[0]!;

describe("bce with a constant label", () => {
  const x = tf.tensor2d([[2.5], [-1], [0.25], [-3]]);
  it("equals bce against `real` (1) and `fake` (0)", () => {
    expect(loss(VALUE_OPS.bce!([x, tf.scalar(1)], value({})))).toBeCloseTo(loss(VALUE_OPS.bce!([x], value({ target: "real" }))), 6);
    expect(loss(VALUE_OPS.bce!([x, tf.scalar(0)], value({})))).toBeCloseTo(loss(VALUE_OPS.bce!([x], value({ target: "fake" }))), 6);
  });
  it("is −[t·log σ(x) + (1 − t)·log(1 − σ(x))], averaged, for a smoothed label", () => {
    const t = 0.9;
    const xs = [2.5, -1, 0.25, -3];
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const want = xs.reduce((a, v) => a - (t * Math.log(s(v)) + (1 - t) * Math.log(1 - s(v))), 0) / xs.length;
    expect(loss(VALUE_OPS.bce!([x, tf.scalar(t)], value({})))).toBeCloseTo(want, 5);
  });
});
