// Synthetic two-domain datasets for the style-score tests: 16×16 seeded noise.
import { join } from "node:path";
import { writePng } from "../data/fixtures.js";

/** A seeded 16×16 RGB noise image with values in [lo, hi]. */
function noise(seed: number, lo: number, hi: number): number[] {
  let s = (seed * 2654435761 + 1) >>> 0;
  const px: number[] = [];
  for (let i = 0; i < 16 * 16 * 3; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    px.push(lo + ((s >>> 8) % (hi - lo + 1)));
  }
  return px;
}

/**
 * trainA/B (24 each) and testA/B (20 each, the same names in both, so held-out L1 pairs them).
 * `separable`: A dark, B bright; else every image is the same kind of noise, so the labels carry
 * no signal.
 */
export async function styleDataset(dir: string, separable: boolean): Promise<void> {
  let k = 0;
  for (const [split, n] of [["train", 24], ["test", 20]] as const) {
    for (const d of ["A", "B"]) {
      for (let i = 0; i < n; i++) {
        const [lo, hi] = separable ? (d === "A" ? [0, 110] : [145, 255]) : [0, 255];
        await writePng(join(dir, `${split}${d}`, `${i}.png`), 16, 16, 3, noise(++k, lo!, hi!));
      }
    }
  }
}
