import { describe, expect, it } from "vitest";
import { TINY, edit, expectDiagnostic, expectNo } from "../harness.js";

describe("check nCritic (GAN4009)", () => {
  it("repeats the critic-only steps", () => {
    const r = expectNo(edit(TINY, "  batch: 1", "  batch: 1\n  n_critic: 5"));
    expect(r.ir!.train.steps.map((s) => s.repeat)).toEqual([1, 5]);
  });
  it("rejects n_critic when no step updates only critics", () => {
    let text = edit(TINY, "  batch: 1", "  batch: 1\n  n_critic: 5");
    text = edit(text, "step discriminator updates D_A, D_B", "step discriminator updates D_A, D_B, G_AB");
    text = edit(text, "loss discriminator {", "loss discriminator {\n  g: l1(G_AB(A), B)");
    expectDiagnostic(text, "GAN4009", "n_critic: 5");
  });
});
