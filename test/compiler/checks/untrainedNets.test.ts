import { describe, expect, it } from "vitest";
import { TINY, edit, expectDiagnostic, expectNo } from "../harness.js";

describe("check untrainedNets (GAN4007)", () => {
  it("warns about a net no step updates", () => {
    const text = edit(TINY, "updates D_A, D_B with", "updates D_A with");
    const d = expectDiagnostic(text, "GAN4007", "D_B = Critic()");
    expect(d.severity).toBe("warning");
  });
  it("is quiet when every net is trained", () => expectNo(TINY, "GAN4007"));
});
