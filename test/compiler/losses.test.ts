import { describe, expect, it } from "vitest";
import { TINY, edit, expectDiagnostic, expectNo } from "./harness.js";

describe("loss checks (GAN4001, GAN4002, GAN4011, GAN4012, GAN4014) and CSE", () => {
  it("computes each shared subexpression once", () => {
    const r = expectNo(TINY);
    const ir = r.ir!;
    const applies = ir.values.filter((v) => v.op === "apply").map((v) => `${v.attrs.net}(${v.inputs[0]})`);
    expect(new Set(applies).size).toBe(applies.length);
    // G_AB(A) is used by gan_A, cycle_A and the discriminator's pool: one value
    const gab = ir.values.filter((v) => v.op === "apply" && v.attrs.net === "G_AB" && ir.values.find((x) => x.id === v.inputs[0])?.op === "domain" && ir.values.find((x) => x.id === v.inputs[0])?.attrs.domain === "A");
    expect(gab).toHaveLength(1);
    const users = ir.values.filter((v) => v.inputs.includes(gab[0]!.id)).map((v) => v.op).sort();
    expect(users).toEqual(["apply", "apply", "pool"]);
  });
  it("records which nets each value sends gradient to", () => {
    const ir = expectNo(TINY).ir!;
    const term = (loss: string, name: string) => ir.values.find((v) => v.id === ir.losses.find((l) => l.name === loss)!.terms.find((t) => t.name === name)!.value)!;
    expect(term("generator", "gan_A").grads).toEqual(["D_B", "G_AB"]);
    expect(term("discriminator", "D_B").grads).toEqual(["D_B"]);
  });
  it("l1 between tensors of different shapes", () => {
    const d = expectDiagnostic(edit(TINY, "l1(G_AB(B), B)", "l1(D_B(B), B)"), "GAN4001", "l1(D_B(B), B)");
    expect(d.message).toBe("`l1` compares 4×4×1 with 16×16×3");
  });
  it("a GAN criterion applied to a generator", () => {
    const d = expectDiagnostic(edit(TINY, "gan_A: lsgan(D_B(G_AB(A)), real)", "gan_A: lsgan(G_AB(A), real)"), "GAN4002", "G_AB(A), real)");
    expect(d.message).toContain("generator");
  });
  it("a GAN criterion applied to data", () => {
    expectDiagnostic(edit(TINY, "gan_A: lsgan(D_B(G_AB(A)), real)", "gan_A: lsgan(A, real)"), "GAN4002", "A, real)");
  });
  it("a criterion target that is not real/fake", () => {
    expectDiagnostic(edit(TINY, "gan_A: lsgan(D_B(G_AB(A)), real)", "gan_A: lsgan(D_B(G_AB(A)), 1)"), "GAN4011", "1)\n  gan_B");
  });
  it("pool of real data", () => {
    expectDiagnostic(edit(TINY, "lsgan(D_B(pool(G_AB(A))), fake)", "lsgan(D_B(pool(B)), fake)"), "GAN4012", "B)), fake)");
  });
  it("a term that is not a scalar", () => {
    const d = expectDiagnostic(edit(TINY, "gan_A: lsgan(D_B(G_AB(A)), real)", "gan_A: D_B(G_AB(A))"), "GAN4014", "D_B(G_AB(A))\n");
    expect(d.hint).toContain("mean");
  });
  it("a loss step with an unknown loss", () => {
    expectDiagnostic(edit(TINY, "step discriminator updates", "step discrminator updates"), "GAN4005", "discrminator");
  });
  it("the short form `loss name = expr` is one term", () => {
    const ir = expectNo(edit(TINY, "train {", "loss extra = l1(G_AB(A), B)\n\ntrain {")).ir!;
    expect(ir.losses.find((l) => l.name === "extra")!.terms.map((t) => t.name)).toEqual(["extra"]);
  });
});
