import { describe, expect, it } from "vitest";
import { CYCLEGAN, TINY, edit, expectDiagnostic, expectNo } from "./harness.js";

describe("training program and data settings (GAN2012, GAN4016, GAN2013)", () => {
  it("lowers the CycleGAN recipe", () => {
    const ir = expectNo(CYCLEGAN).ir!;
    expect(ir.train).toMatchObject({ epochs: 200, batch: 1, seed: 0, schedule: { kind: "linear_decay", after: 100 }, pool: { size: 50, swap: 0.5 } });
    expect(ir.train.steps.map((s) => [s.loss, s.updates, s.optimizer])).toEqual([
      ["generator", ["G_AB", "G_BA"], { kind: "adam", lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0 }],
      ["discriminator", ["D_A", "D_B"], { kind: "adam", lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0 }],
    ]);
    expect(ir.data).toEqual({ layout: "unpaired", domains: [{ name: "A", channels: 3 }, { name: "B", channels: 3 }], preprocess: "resize_and_crop", load: 286, crop: 256, flip: true, direction: "AtoB" });
  });
  it("unknown train setting", () => {
    const d = expectDiagnostic(edit(TINY, "  batch: 1", "  bach: 1"), "GAN2012", "bach");
    expect(d.hint).toBe("did you mean `batch`?");
  });
  it("unknown data setting", () => {
    expectDiagnostic(edit(TINY, "  flip: true", "  flipp: true"), "GAN2012", "flipp");
  });
  it("decay that starts after the last epoch", () => {
    expectDiagnostic(edit(TINY, "linear_decay(after: 2)", "linear_decay(after: 9)"), "GAN4016", "schedule:");
  });
  it("unknown schedule", () => {
    const d = expectDiagnostic(edit(TINY, "linear_decay(after: 2)", "linear(after: 2)"), "GAN4016", "linear(");
    expect(d.hint).toContain("linear_decay");
  });
  it("load smaller than crop", () => {
    expectDiagnostic(edit(TINY, "load: size + 2", "load: size - 2"), "GAN2013", "size - 2");
  });
  it("pool with a swap probability", () => {
    const ir = expectNo(edit(TINY, "pool: 4", "pool: pool(size: 8, swap: 0.25)")).ir!;
    expect(ir.train.pool).toEqual({ size: 8, swap: 0.25 });
  });
});
