import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeImage } from "../../src/data/decode.js";
import { type Mode, type Preprocess, type PreprocessOptions, outputSize, planTransform, roundHalfEven, sizeProblem } from "../../src/data/preprocess.js";
import { Rng } from "../../src/runtime/rng.js";
import { tempDir, to8, writeCoordPng } from "./fixtures.js";

const tmp = tempDir();
afterAll(tmp.cleanup);
const opts = (preprocess: Preprocess, over: Partial<PreprocessOptions> = {}): PreprocessOptions => ({ preprocess, load: 16, crop: 8, flip: true, ...over });

describe("roundHalfEven (Python's round)", () => {
  it("rounds halves to even", () => {
    expect([0.25, 0.5, 1.5, 2.5, 3.5, 2.4, 2.6, 5].map(roundHalfEven)).toEqual([0, 0, 2, 2, 4, 2, 3, 5]);
  });
});

describe("output sizes per preprocess mode (official base_dataset.py)", () => {
  const cases: [Preprocess, Mode, [number, number], [number, number]][] = [
    // [mode, train/eval, input w×h, output w×h]
    ["resize_and_crop", "train", [20, 12], [8, 8]],
    ["crop", "train", [20, 12], [8, 8]],
    ["scale_width", "train", [20, 12], [16, 9]], // h = max(⌊16·12/20⌋, 8)
    ["scale_width", "train", [40, 12], [16, 8]], // h = max(4, crop)
    ["scale_width_and_crop", "train", [20, 12], [8, 8]],
    ["resize", "train", [20, 12], [16, 16]], // the official 'resize' alone resizes to load
    ["none", "train", [20, 12], [20, 12]],
    ["none", "train", [22, 10], [24, 8]], // round(5.5) = 6, round(2.5) = 2 (half to even)
    // evaluation: load = crop, centre crops, no flip
    ["resize_and_crop", "eval", [20, 12], [8, 8]],
    ["crop", "eval", [20, 12], [8, 8]],
    ["scale_width", "eval", [20, 12], [8, 8]],
    ["scale_width_and_crop", "eval", [20, 12], [8, 8]],
    ["resize", "eval", [20, 12], [8, 8]],
    ["none", "eval", [22, 10], [24, 8]],
  ];
  it.each(cases)("%s (%s) %j → %j", async (pre, mode, [w, h], [ow, oh]) => {
    const o = opts(pre);
    expect(outputSize(o, { width: w, height: h }, mode)).toEqual({ width: ow, height: oh });
    const t = planTransform(o, { width: w, height: h }, mode, new Rng(1));
    expect(t.out).toEqual({ width: ow, height: oh });
    const p = await writeCoordPng(join(tmp.dir, `${w}x${h}.png`), w, h);
    const im = await decodeImage(p, 3, { transform: t });
    expect([im.width, im.height]).toEqual([ow, oh]);
    if (mode === "eval") expect(t.flip).toBe(false);
  });

  it("keeps an image whose width already is load (scale_width)", () => {
    expect(planTransform(opts("scale_width"), { width: 16, height: 30 }, "train", new Rng(0)).resize).toBeUndefined();
  });

  it("upscales images smaller than the crop under resize_and_crop", async () => {
    const p = await writeCoordPng(join(tmp.dir, "small.png"), 4, 4);
    const im = await decodeImage(p, 3, { transform: planTransform(opts("resize_and_crop"), { width: 4, height: 4 }, "train", new Rng(2)) });
    expect([im.width, im.height]).toEqual([8, 8]);
  });

  it("reports images smaller than the crop only for crop and none", () => {
    expect(sizeProblem(opts("crop"), { width: 7, height: 20 })).toMatch(/7×20 is smaller than the crop size 8×8/);
    expect(sizeProblem(opts("none"), { width: 20, height: 5 })).toMatch(/smaller than the crop size/);
    expect(sizeProblem(opts("crop"), { width: 8, height: 8 })).toBeUndefined();
    expect(sizeProblem(opts("resize_and_crop"), { width: 2, height: 2 })).toBeUndefined();
  });
});

describe("random crops and flips", () => {
  it("crop mode takes the pixels at the drawn offset, and flips mirror them", async () => {
    const p = await writeCoordPng(join(tmp.dir, "coord.png"), 12, 10, 7, 10, 10);
    const rng = new Rng(3);
    let flips = 0;
    for (let k = 0; k < 12; k++) {
      const t = planTransform(opts("crop"), { width: 12, height: 10 }, "train", rng);
      const { left, top } = t.crop!;
      const im = await decodeImage(p, 3, { transform: t });
      const px = (x: number, y: number) => Array.from(im.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3), to8);
      const srcX = (x: number) => (t.flip ? left + 7 - x : left + x);
      expect(px(0, 0)).toEqual([srcX(0) * 10, top * 10, 7]);
      expect(px(7, 5)).toEqual([srcX(7) * 10, (top + 5) * 10, 7]);
      if (t.flip) flips++;
    }
    expect(flips).toBeGreaterThan(0);
    expect(flips).toBeLessThan(12);
  });

  it("resize_and_crop = bicubic resize of the whole image, then the crop window, then the flip", async () => {
    const sharp = (await import("sharp")).default;
    const p = await writeCoordPng(join(tmp.dir, "rc.png"), 20, 14, 9, 12, 17);
    const rng = new Rng(11);
    for (let k = 0; k < 4; k++) {
      const t = planTransform(opts("resize_and_crop", { load: 13 }), { width: 20, height: 14 }, "train", rng);
      const im = await decodeImage(p, 3, { transform: t });
      const full = await sharp(p).resize(13, 13, { fit: "fill", kernel: "cubic", fastShrinkOnLoad: false }).raw().toBuffer();
      const { left, top } = t.crop!;
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const sx = t.flip ? left + 7 - x : left + x;
          const want = Array.from(full.subarray(((top + y) * 13 + sx) * 3, ((top + y) * 13 + sx) * 3 + 3));
          expect(Array.from(im.data.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3), to8)).toEqual(want);
        }
      }
    }
  });

  it("draws offsets over the whole range, reproducibly by seed", () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 200 }, () => planTransform(opts("resize_and_crop", { load: 12 }), { width: 30, height: 30 }, "train", rng));
    };
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(draw(43)).not.toEqual(a);
    const xs = new Set(a.map((t) => t.crop!.left));
    const ys = new Set(a.map((t) => t.crop!.top));
    expect([...xs].sort()).toEqual([0, 1, 2, 3, 4]);
    expect([...ys].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(a.every((t) => t.resize!.width === 12)).toBe(true);
  });

  it("does not flip when flip is off, and never in evaluation", () => {
    const rng = new Rng(0);
    for (let i = 0; i < 50; i++) expect(planTransform(opts("resize_and_crop", { flip: false }), { width: 9, height: 9 }, "train", rng).flip).toBe(false);
    for (let i = 0; i < 50; i++) expect(planTransform(opts("resize_and_crop"), { width: 9, height: 9 }, "eval").flip).toBe(false);
  });

  it("centres evaluation crops (torchvision CenterCrop offsets)", () => {
    expect(planTransform(opts("crop"), { width: 12, height: 13 }, "eval").crop).toEqual({ left: 2, top: 2, width: 8, height: 8 }); // (13−8)/2 = 2.5 → 2
    expect(planTransform(opts("crop"), { width: 15, height: 8 }, "eval").crop).toEqual({ left: 4, top: 0, width: 8, height: 8 }); // 3.5 → 4
  });
});
