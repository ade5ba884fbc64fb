// Which held-out translations the IR implies, for each shipped spec (no recipe-specific code).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { translations } from "../../src/train/evaluate.js";
import { imageGenerators, isImageGenerator } from "../../src/train/generators.js";
import { sampleGrids } from "../../src/train/samples.js";
import type { IrNet } from "../../src/ir/schema.js";

const ir = (f: string) => {
  const r = compileSource(readFileSync(f, "utf8"), f);
  if (!r.ir) throw new Error(f);
  return r.ir;
};
const pairs = (f: string) => translations(ir(f)).map((t) => `${t.net}(${t.from})→${t.to}`).sort();

describe("held-out translations from the loss graph", () => {
  it("CycleGAN: each generator's direction from the discriminator that judges it (identity terms ignored)", () => {
    expect(pairs("specs/cyclegan.gan")).toEqual(["G_AB(A)→B", "G_BA(B)→A"]);
    expect(pairs("specs/tiny.gan")).toEqual(["G_AB(A)→B", "G_BA(B)→A"]);
  });
  it("pix2pix: from the supervised L1 term and the conditional discriminator", () => {
    expect(pairs("specs/pix2pix.gan")).toEqual(["G(A)→B"]);
  });
  it("DualGAN (both objectives): from the critics", () => {
    expect(pairs("specs/dualgan.gan")).toEqual(pairs("specs/dualgan_ce.gan"));
    expect(pairs("specs/dualgan.gan")).toHaveLength(2);
  });
});

describe("generators are image → image nets, whatever their channel count", () => {
  const GRAY = "test/train/fixtures/tiny_gray.gan";
  it("a grayscale image[1] -> image[1] CycleGAN gets the translations and sample grids of the RGB one", () => {
    const g = ir(GRAY);
    expect(g.nets.map((n) => [n.name, n.input.channels, n.output.channels])).toEqual([
      ["G_AB", 1, 1],
      ["G_BA", 1, 1],
      ["D_A", 1, 1],
      ["D_B", 1, 1],
    ]);
    expect([...imageGenerators(g)].sort()).toEqual(["G_AB", "G_BA"]);
    expect(pairs(GRAY)).toEqual(pairs("specs/tiny.gan"));
    expect(sampleGrids(g)).toEqual(sampleGrids(ir("specs/tiny.gan")));
    expect(sampleGrids(g).map((s) => s.columns.map((c) => c.label))).toEqual([
      ["A", "G_AB(A)", "G_BA(G_AB(A))"],
      ["B", "G_BA(B)", "G_AB(G_BA(B))"],
    ]);
  });
  it("critics and nets with a vector input or output are not generators", () => {
    const net = (role: IrNet["role"], input: "image" | "vector", output: "image" | "vector", channels = 1) =>
      ({ role, input: { kind: input, channels, shape: [] }, output: { kind: output, channels, shape: [] } }) as unknown as IrNet;
    expect(isImageGenerator(net("other", "image", "image", 1))).toBe(true);
    expect(isImageGenerator(net("generator", "image", "image", 3))).toBe(true);
    expect(isImageGenerator(net("discriminator", "image", "image", 1))).toBe(false);
    expect(isImageGenerator(net("other", "vector", "image", 3))).toBe(false);
    expect(isImageGenerator(net("other", "image", "vector", 1))).toBe(false);
  });
});
