import { describe, expect, it } from "vitest";
import { CYCLEGAN, TINY, edit, expectDiagnostic, expectNo } from "../harness.js";

describe("check trainingSize (GAN3008)", () => {
  it("rejects a crop size the ResNet generator can't map to itself", () => {
    const text = edit(CYCLEGAN, "param size = 256", "param size = 250");
    const d = expectDiagnostic(text, "GAN3008", "size\n  flip");
    expect(d.message).toContain("multiples of 4");
    expect(d.hint).toBe("use 248 or 252");
  });
  it("accepts every multiple of 4 from 8 for the tiny generator", () => {
    expectNo(edit(TINY, "param size = 16", "param size = 20"), "GAN3008");
  });
  it("reports a --set size that violates the rule", () => {
    const text = TINY;
    const d = expectDiagnostic(text, "GAN3008", "size\n  flip", { set: { size: "17" } });
    expect(d.message).toContain("17×17");
    expect(d.message).toContain("multiples of 2");
  });
});
