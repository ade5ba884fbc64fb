/** The memory schedule's loss parts and the peak estimate's structure (measured against the runtime in test/runtime/memory.test.ts). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { lossParts, stepPeak } from "../../src/compiler/memory_estimate.js";
import { residualBlocks } from "../../src/compiler/residual.js";
import type { Ir } from "../../src/ir/schema.js";

const cyclegan = (set: Record<string, number> = {}): Ir => {
  const r = compileSource(readFileSync("specs/cyclegan.gan", "utf8"), "specs/cyclegan.gan", { set });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.ir;
};

describe("memory estimate", () => {
  it("splits CycleGAN's generator loss into the parts that share a generated image", () => {
    const ir = cyclegan({ size: 64, load_size: 64 });
    const names = (step: number) => lossParts(ir, ir.train.steps[step]!).map((p) => p.map((i) => ir.losses.find((l) => l.name === ir.train.steps[step]!.loss)!.terms[i]!.name));
    expect(names(0)).toEqual([["gan_A", "cycle_A"], ["gan_B", "cycle_B"], ["idt_A"], ["idt_B"]]);
    expect(names(1)).toEqual([["D_A"], ["D_B"]]);
  });

  it("finds the nine residual blocks of each generator and none in the PatchGAN", () => {
    const ir = cyclegan({ size: 64, load_size: 64 });
    const blocks = (net: string) => residualBlocks(ir.nets.find((n) => n.name === net)!.nodes).length;
    expect([blocks("G_AB"), blocks("G_BA"), blocks("D_A")]).toEqual([9, 9, 0]);
  });

  it("peaks in the generator step; recomputation saves more the larger the images; weights are a floor", () => {
    const at = (size: number) => cyclegan({ size, load_size: size });
    const p64 = stepPeak(at(64), "none");
    const p256 = stepPeak(at(256), "none");
    const r256 = stepPeak(at(256), "residual");
    expect(p256.step).toBe("generator");
    expect(p256.bytes).toBeGreaterThan(p64.bytes);
    expect(r256.bytes).toBeLessThan(p256.bytes);
    expect(p256.bytes - r256.bytes).toBeGreaterThan(stepPeak(at(64), "none").bytes - stepPeak(at(64), "residual").bytes);
    expect(p64.bytes).toBeGreaterThan(p64.weights);
    // Adam: two slots per trainable value
    const trainable = at(64).nets.reduce((a, n) => a + n.params.filter((p) => p.trainable).reduce((b, p) => b + 4 * p.shape.reduce((x, y) => x * y, 1), 0), 0);
    expect(p64.optimizerState).toBe(2 * trainable);
  });
});
