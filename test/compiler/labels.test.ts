// `bce(x, <number>)`: a constant label (a classifier's class, a smoothed GAN label), GAN4017.
import { describe, expect, it } from "vitest";
import { TINY, edit, expectDiagnostic, expectNo } from "./harness.js";

// D_A trained as a classifier of A (label 0) against B (label 0.9) instead of as a critic
const CLASSIFIER = edit(TINY, "D_A: 0.5 * (lsgan(D_A(A), real) + lsgan(D_A(pool(G_BA(B))), fake))", "is_A: bce(D_A(A), 0)\n  is_B: bce(D_A(B), 0.9)");

describe("constant labels in bce", () => {
  it("lower to bce(x, const): the scalar broadcasts, no new IR op or attribute", () => {
    const ir = expectNo(CLASSIFIER).ir!;
    const byId = new Map(ir.values.map((v) => [v.id, v]));
    const terms = ir.losses.find((l) => l.name === "discriminator")!.terms.slice(0, 2).map((t) => byId.get(t.value)!);
    expect(terms.map((v) => [v.op, v.inputs.map((i) => byId.get(i)!.op), byId.get(v.inputs[1]!)!.attrs.value, v.grads])).toEqual([
      ["bce", ["apply", "const"], 0, ["D_A"]],
      ["bce", ["apply", "const"], 0.9, ["D_A"]],
    ]);
    expect(byId.get(terms[0]!.inputs[1]!)!.shape).toEqual([]);
  });
  it("`real` and `fake` stay the labels 1 and 0 they were", () => {
    const ir = expectNo(edit(TINY, "gan_A: lsgan(D_B(G_AB(A)), real)", "gan_A: bce(D_B(G_AB(A)), real)")).ir!;
    expect(ir.values.filter((v) => v.op === "bce").map((v) => [v.inputs.length, v.attrs.target])).toEqual([[1, "real"]]);
  });
  it("a label outside [0, 1] is GAN4017 on the label", () => {
    const d = expectDiagnostic(edit(CLASSIFIER, "bce(D_A(B), 0.9)", "bce(D_A(B), 7)"), "GAN4017", "7)");
    expect(d.message).toBe("the label of `bce` is 7, but a label is a probability in [0, 1]");
    expectDiagnostic(edit(CLASSIFIER, "bce(D_A(A), 0)", "bce(D_A(A), -3)"), "GAN4017", "-3)");
  });
  it("other criteria still take only `real` or `fake`", () => {
    expectDiagnostic(edit(TINY, "gan_A: lsgan(D_B(G_AB(A)), real)", "gan_A: lsgan(D_B(G_AB(A)), 1)"), "GAN4011", "1)\n  gan_B");
  });
});
