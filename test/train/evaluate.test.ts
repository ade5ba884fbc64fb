// Which held-out translations the IR implies, for each shipped spec (no recipe-specific code).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { translations } from "../../src/train/evaluate.js";

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
