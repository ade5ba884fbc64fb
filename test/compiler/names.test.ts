import { describe, expect, it } from "vitest";
import { TINY, edit, expectDiagnostic } from "./harness.js";

describe("name resolution (GAN2001-GAN2003, GAN2009-GAN2011, GAN2016)", () => {
  it("unknown name with did-you-mean", () => {
    const d = expectDiagnostic(edit(TINY, "conv(nf * 2, 3, stride", "conv(nff * 2, 3, stride"), "GAN2001", "nff");
    expect(d.hint).toBe("did you mean `nf`?");
  });
  it("unknown layer with did-you-mean", () => {
    const d = expectDiagnostic(edit(TINY, "reflect_pad(1) conv(nf, 3) instance_norm relu", "reflect_pad(1) conv(nf, 3) instance_nrom relu"), "GAN2003", "instance_nrom");
    expect(d.hint).toBe("did you mean `instance_norm`?");
  });
  it("duplicate declaration points at the second and relates the first", () => {
    const d = expectDiagnostic(edit(TINY, "param lr = 2e-4", "param lr = 2e-4\nparam nf = 8"), "GAN2002", "nf = 8");
    expect(d.related?.[0]?.span.line).toBe(5);
  });
  it("unknown network", () => {
    const d = expectDiagnostic(edit(TINY, "D_B = Critic()", "D_B = Critc()"), "GAN2009", "Critc");
    expect(d.hint).toBe("did you mean `Critic`?");
  });
  it("unknown net in a step", () => {
    const d = expectDiagnostic(edit(TINY, "updates D_A, D_B with", "updates D_A, D_C with"), "GAN2010", "D_C");
    expect(d.hint).toMatch(/did you mean `D_[AB]`\?/);
  });
  it("unknown function in a loss", () => {
    const d = expectDiagnostic(edit(TINY, "gan_A: lsgan(", "gan_A: lsgn("), "GAN2011", "lsgn");
    expect(d.hint).toBe("did you mean `lsgan`?");
  });
  it("unknown name in a loss", () => {
    const d = expectDiagnostic(edit(TINY, "l1(G_BA(G_AB(A)), A)", "l1(G_BA(G_AB(A)), AA)"), "GAN2001", "AA");
    expect(d.hint).toBe("did you mean `A`?");
  });
  it("undeclared --set parameter", () => {
    const d = expectDiagnostic(TINY, "GAN2016", "#", { set: { lamda_cycle: "5" } });
    expect(d.span.file).toBe("<command line>");
    expect(d.hint).toBe("did you mean `lambda_cycle`?");
  });
  it("--set of the wrong type", () => {
    expectDiagnostic(TINY, "GAN6002", "#", { set: { nf: "wide" } });
  });
  it("recursion without a base case", () => {
    const text = edit(TINY, "block res(k) residual {", "block loop(k) { loop(k) }\n\nblock res(k) residual {");
    expectDiagnostic(edit(text, "repeat blocks { res(nf * 2) }", "repeat blocks { res(nf * 2) } loop(1)"), "GAN2014", "loop(k)", { nth: 2 });
  });
});

describe("declarations nobody uses are still checked", () => {
  it("reports errors inside a network no net instantiates, and warns that it is unused", () => {
    const text = edit(TINY, "nets {", "network Spare: image[3] -> image[3] { instance_nrom }\n\nnets {");
    expectDiagnostic(text, "GAN2003", "instance_nrom");
    expect(expectDiagnostic(text, "GAN2020", "Spare").severity).toBe("warning");
  });
  it("reports an unknown layer inside a block nobody calls", () => {
    expectDiagnostic(edit(TINY, "block res(k) residual {", "block spare { leakyrelu }\n\nblock res(k) residual {"), "GAN2003", "leakyrelu");
  });
});
