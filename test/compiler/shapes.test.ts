import { describe, expect, it } from "vitest";
import { CYCLEGAN, TINY, edit, expectDiagnostic } from "./harness.js";

describe("shape inference and checks (GAN3xxx)", () => {
  it("residual block whose body changes the channel count", () => {
    const text = edit(TINY, "reflect_pad(1) conv(k, 3) instance_norm\n}", "reflect_pad(1) conv(k * 2, 3) instance_norm\n}");
    const d = expectDiagnostic(text, "GAN3003", "res(nf * 2)");
    expect(d.message).toBe("residual block output 8×8×16 does not match its input 8×8×8");
    expect(d.hint).toContain("8 channels");
  });
  it("residual block whose body changes the spatial size", () => {
    const text = edit(TINY, "reflect_pad(1) conv(k, 3) instance_norm relu\n", "conv(k, 3) instance_norm relu\n");
    expectDiagnostic(text, "GAN3003", "res(nf * 2)");
  });
  it("declared output channels differ from the last layer", () => {
    const d = expectDiagnostic(edit(TINY, "reflect_pad(1) conv(3, 3) tanh", "reflect_pad(1) conv(4, 3) tanh"), "GAN3005", "image[3] {");
    expect(d.message).toContain("image[4]");
  });
  it("feature map shrinks to nothing", () => {
    const text = edit(TINY, "conv(1, 3, pad: 1)", "conv(1, 9)");
    expectDiagnostic(text, "GAN3006", "conv(1, 9)");
  });
  it("reflection padding larger than the map", () => {
    const text = edit(TINY, "repeat blocks { res(nf * 2) }", "repeat blocks { res(nf * 2) } reflect_pad(9)");
    const d = expectDiagnostic(text, "GAN3009", "reflect_pad(9)");
    expect(d.message).toContain("8×8");
  });
  it("a vector fed to a conv", () => {
    const text = edit(TINY, "conv(1, 3, pad: 1)", "conv(1, 3, pad: 1) flatten conv(1, 1)");
    expectDiagnostic(text, "GAN3007", "conv(1, 1)");
  });
  it("a network applied to an image with the wrong channel count", () => {
    const text = edit(TINY, "network Critic: image[3]", "network Critic: image[6]");
    const d = expectDiagnostic(text, "GAN3001", "G_AB(A)), real)");
    expect(d.hint).toContain("concat");
  });
  it("skip connection with mismatched spatial size", () => {
    const text = edit(TINY, "repeat blocks { res(nf * 2) }", "skip { conv(nf, 3, stride: 2, pad: 1) }");
    expectDiagnostic(text, "GAN3004", "skip {");
  });
  it("infers the official PatchGAN output at 256", () => {
    const text = CYCLEGAN;
    expect(text).toContain("PatchGAN");
  });
});
