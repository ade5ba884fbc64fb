import { describe, it } from "vitest";
import { TINY, edit, expectDiagnostic, expectNo } from "../harness.js";

describe("check unusedLosses (GAN4015)", () => {
  it("warns about a loss no step uses", () => {
    const text = edit(TINY, "train {", "loss extra = l1(G_AB(A), B)\n\ntrain {");
    expectDiagnostic(text, "GAN4015", "extra =");
  });
  it("is quiet for the tiny spec", () => expectNo(TINY, "GAN4015"));
});
