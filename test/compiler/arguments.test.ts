import { describe, expect, it } from "vitest";
import { TINY, edit, expectDiagnostic, expectNo } from "./harness.js";

const genLine = "conv(nf * 2, 3, stride: 2, pad: 1)";

describe("argument checking (GAN2004-GAN2008, GAN2013, GAN2017)", () => {
  it("unknown keyword argument with did-you-mean", () => {
    const d = expectDiagnostic(edit(TINY, genLine, "conv(nf * 2, 3, strde: 2, pad: 1)"), "GAN2004", "strde");
    expect(d.hint).toBe("did you mean `stride`?");
  });
  it("missing argument", () => {
    const d = expectDiagnostic(edit(TINY, genLine, "conv(nf * 2, stride: 2, pad: 1)"), "GAN2005", "conv(nf * 2, stride");
    expect(d.message).toContain("`kernel`");
  });
  it("duplicate argument", () => {
    expectDiagnostic(edit(TINY, genLine, "conv(nf * 2, 3, stride: 2, stride: 1, pad: 1)"), "GAN2006", "stride: 1");
  });
  it("positional argument given twice by keyword", () => {
    expectDiagnostic(edit(TINY, genLine, "conv(nf * 2, 3, filters: 2, pad: 1)"), "GAN2006", "filters: 2");
  });
  it("wrong type", () => {
    const d = expectDiagnostic(edit(TINY, genLine, "conv(nf * 2, 3, stride: 1.5, pad: 1)"), "GAN2007", "1.5");
    expect(d.message).toContain("must be an integer");
  });
  it("enum value with did-you-mean", () => {
    const d = expectDiagnostic(edit(TINY, genLine, "conv(nf * 2, 3, stride: 2, pad: 1, pad_mode: reflct)"), "GAN2007", "reflct");
    expect(d.hint).toBe("did you mean `reflect`?");
  });
  it("too many arguments", () => {
    expectDiagnostic(edit(TINY, "leaky_relu(0.2)\n  conv(nf * 2", "leaky_relu(0.2, 0.3)\n  conv(nf * 2"), "GAN2008", "0.3");
  });
  it("positional after keyword", () => {
    expectDiagnostic(edit(TINY, genLine, "conv(nf * 2, stride: 2, 3, pad: 1)"), "GAN2017", "3, pad");
  });
  it("value out of range", () => {
    expectDiagnostic(edit(TINY, genLine, "conv(nf * 2, 3, stride: 0, pad: 1)"), "GAN2013", "0, pad");
  });
  it("block arguments are bound by keyword too", () => {
    expectNo(edit(TINY, "repeat blocks { res(nf * 2) }", "repeat blocks { res(k: nf * 2) }"));
    expectDiagnostic(edit(TINY, "repeat blocks { res(nf * 2) }", "repeat blocks { res(c: nf * 2) }"), "GAN2004", "c:");
  });
  it("optimizer arguments", () => {
    const d = expectDiagnostic(edit(TINY, "with adam(lr: lr, beta1: 0.5, beta2: 0.999)\n  step disc", "with adam(lr: lr, beta: 0.5, beta2: 0.999)\n  step disc"), "GAN2004", "beta:");
    expect(d.hint).toMatch(/did you mean `beta[12]`\?/);
    expectDiagnostic(edit(TINY, "with adam(lr: lr, beta1: 0.5, beta2: 0.999)\n  step disc", "with adamw(lr: lr)\n  step disc"), "GAN2022", "adamw");
  });
});
