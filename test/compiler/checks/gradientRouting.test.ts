import { describe, expect, it } from "vitest";
import { TINY, edit, expectDiagnostic, expectNo } from "../harness.js";

describe("check gradientRouting (GAN4003, GAN4004)", () => {
  it("passes the tiny CycleGAN", () => {
    expectNo(TINY, "GAN4003");
    expectNo(TINY, "GAN4004");
  });
  it("reports a net in `updates` that the loss never applies", () => {
    const text = edit(TINY, "updates D_A, D_B with", "updates D_A, D_B, G_AB with");
    const d = expectDiagnostic(text, "GAN4003", "G_AB with");
    expect(d.hint).toContain("detach");
  });
  it("reports a net that is reached only through detach", () => {
    const text = edit(TINY, "cycle_A: lambda_cycle * l1(G_BA(G_AB(A)), A)", "cycle_A: lambda_cycle * l1(detach(G_BA(G_AB(A))), A)");
    const t2 = edit(text, "gan_B: lsgan(D_A(G_BA(B)), real)", "gan_B: lsgan(D_A(detach(G_BA(B))), real)");
    const t3 = edit(t2, "cycle_B: lambda_cycle * l1(G_AB(G_BA(B)), B)", "cycle_B: lambda_cycle * l1(G_AB(detach(G_BA(B))), B)");
    const t4 = edit(t3, "idt_B: lambda_cycle * lambda_idt * l1(G_BA(A), A)", "idt_B: lambda_cycle * lambda_idt * l1(detach(G_BA(A)), A)");
    const d = expectDiagnostic(t4, "GAN4003", "G_BA with");
    expect(d.hint).toContain("only used inside detach");
  });
  it("warns about a term that reaches none of the step's nets", () => {
    const text = edit(TINY, "  idt_B: lambda_cycle", "  dead: l1(detach(G_AB(A)), B)\n  idt_B: lambda_cycle");
    const d = expectDiagnostic(text, "GAN4004", "dead:");
    expect(d.severity).toBe("warning");
  });
});
