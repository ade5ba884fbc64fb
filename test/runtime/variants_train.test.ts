/**
 * Issue "variants as specs only": pix2pix and DualGAN train with the same runner as CycleGAN
 * (no variant-specific code), at tiny sizes: every loss finite, the reconstruction/L1 loss falls.
 * Sizes are the ones each spec's header recommends for smoke runs; the learning rates are raised
 * (pix2pix 2e-4 → 1e-3, DualGAN 5e-5 → 5e-4) so that 60 iterations of such tiny networks show
 * progress — DualGAN's own 5e-5 moves its reconstruction by ~5% in 200 iterations.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { readMetrics } from "../../src/report/index.js";
import { train } from "../../src/train/trainer.js";
import { tempDir } from "../data/fixtures.js";
import { useBackend } from "./kernels/setup.js";

const quiet = { write: () => true, isTTY: false };
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  await useBackend("wasm");
  tmp = tempDir("gancc-variants-");
});
afterAll(() => tmp.cleanup());

function compile(file: string, set: Record<string, number>) {
  const r = compileSource(readFileSync(file, "utf8"), file, { set });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  expect(r.diagnostics.filter((d) => d.severity === "warning")).toEqual([]);
  return r.ir;
}

/** Paired A|B images: A a smooth colour pattern, B its colour-inverted, blurred-free mirror — learnable. */
async function pairedData(root: string, n: number, size: number): Promise<void> {
  for (const split of ["train", "test"]) {
    for (let i = 0; i < (split === "train" ? n : 2); i++) {
      const px = Buffer.alloc(size * 2 * size * 3);
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          const a = [(x * 7 + i * 40) % 256, (y * 5 + i * 17) % 256, ((x + y) * 3) % 256];
          for (let c = 0; c < 3; c++) {
            px[(y * size * 2 + x) * 3 + c] = a[c]!;
            px[(y * size * 2 + size + x) * 3 + c] = 255 - a[c]!;
          }
        }
      await sharp(px, { raw: { width: size * 2, height: size, channels: 3 } }).png().toFile(join(root, split, `${i}.png`)).catch(async (e) => {
        const { mkdirSync } = await import("node:fs");
        mkdirSync(join(root, split), { recursive: true });
        await sharp(px, { raw: { width: size * 2, height: size, channels: 3 } }).png().toFile(join(root, split, `${i}.png`));
        return e;
      });
    }
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("variants train with the generic runner", () => {
  it("pix2pix (paired A|B, batch norm, dropout, conditional D, vanilla GAN + L1): finite, L1 falls", async () => {
    const data = join(tmp.dir, "paired");
    await pairedData(data, 6, 32);
    const ir = compile("specs/pix2pix.gan", { ngf: 4, ndf: 4, num_downs: 6, size: 64, load_size: 72, epochs: 8, epochs_decay: 2, lr: 1e-3 });
    const runDir = join(tmp.dir, "pix2pix");
    const r = await train({ ir, source: "specs/pix2pix.gan", data, runDir, backend: { name: "wasm", reason: "test" }, stream: quiet, onWarning: () => {}, samples: 2, maxIterations: 60 });
    expect(r.iterations).toBe(60);
    const m = readMetrics(join(runDir, "metrics.jsonl")).filter((x) => x.losses.G_L1 !== undefined);
    expect(m.every((x) => Object.values(x.losses).every(Number.isFinite))).toBe(true);
    const first = mean(m.slice(0, 10).map((x) => x.losses.G_L1!));
    const last = mean(m.slice(-10).map((x) => x.losses.G_L1!));
    expect(last, `G_L1 first 10 ${first.toFixed(2)}, last 10 ${last.toFixed(2)}`).toBeLessThan(0.8 * first);
    // the held-out metric for the one supervised translation is in the report
    expect(readFileSync(join(runDir, "index.html"), "utf8")).toContain("test_L1 G(A)→B");
  });

  for (const spec of ["specs/dualgan.gan", "specs/dualgan_ce.gan"]) {
    it(`${spec} (WGAN + clipping + n_critic, or cross-entropy + 2 G steps; RMSProp): finite, reconstruction falls`, async () => {
      const ir = compile(spec, { ngf: 4, ndf: 4, num_downs: 5, size: 32, epochs: 1, lr: 5e-4 });
      const runDir = join(tmp.dir, spec.replace(/\W/g, "_"));
      await train({ ir, source: spec, data: "data/emoji", runDir, backend: { name: "wasm", reason: "test" }, stream: quiet, onWarning: () => {}, samples: 0, maxIterations: 60 });
      const m = readMetrics(join(runDir, "metrics.jsonl")).filter((x) => x.losses.recon_A !== undefined);
      expect(m).toHaveLength(60);
      expect(m.every((x) => Object.values(x.losses).every(Number.isFinite))).toBe(true);
      const rec = (x: (typeof m)[number]) => x.losses.recon_A! + x.losses.recon_B!;
      const first = mean(m.slice(0, 10).map(rec));
      const last = mean(m.slice(-10).map(rec));
      expect(last, `reconstruction first 10 ${first.toFixed(2)}, last 10 ${last.toFixed(2)}`).toBeLessThan(0.8 * first);
    });
  }
});
