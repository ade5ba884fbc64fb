import { describe, expect, it } from "vitest";
import { TINY, edit, expectDiagnostic, expectNo } from "../harness.js";

describe("check clipTargets (GAN4008)", () => {
  it("rejects clipping a generator", () => {
    const text = edit(TINY, "beta2: 0.999)\n  step discriminator", "beta2: 0.999) clip(-0.01, 0.01)\n  step discriminator");
    const d = expectDiagnostic(text, "GAN4008", "clip(-0.01");
    expect(d.message).toContain("`G_AB`, `G_BA`");
  });
  it("allows clipping the critics", () => {
    const text = edit(TINY, "updates D_A, D_B with adam(lr: lr, beta1: 0.5, beta2: 0.999)", "updates D_A, D_B with adam(lr: lr, beta1: 0.5, beta2: 0.999) clip(-0.01, 0.01)");
    const r = expectNo(text, "GAN4008");
    expect(r.ir!.train.steps[1]!.clip).toEqual({ min: -0.01, max: 0.01 });
  });
});
