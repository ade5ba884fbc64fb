import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeImage, pixelsToFloat } from "../../src/data/decode.js";
import { tempDir, to8, writePng, writeSolid } from "./fixtures.js";

const tmp = tempDir();
afterAll(tmp.cleanup);
const f32 = (v: number) => Math.fround(v / 127.5 - 1);

describe("decodeImage", () => {
  it("maps 8-bit values to x/127.5 − 1 exactly, HWC", async () => {
    const px = [0, 1, 2, 127, 128, 129, 253, 254, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90];
    const p = await writePng(join(tmp.dir, "rgb.png"), 3, 2, 3, px);
    const im = await decodeImage(p, 3);
    expect([im.width, im.height, im.channels]).toEqual([3, 2, 3]);
    expect(im.data).toBeInstanceOf(Float32Array);
    expect(Array.from(im.data)).toEqual(px.map(f32));
    expect(im.data[0]).toBe(-1);
    expect(im.data[8]).toBe(1);
  });

  it("composites RGBA onto white for 3 channels", async () => {
    // transparent red, half-transparent red, opaque blue, transparent black
    const px = [255, 0, 0, 0, 255, 0, 0, 128, 0, 0, 255, 255, 0, 0, 0, 0];
    const p = await writePng(join(tmp.dir, "rgba.png"), 2, 2, 4, px);
    const im = await decodeImage(p, 3);
    const got = Array.from(im.data, to8);
    expect(got.slice(0, 3)).toEqual([255, 255, 255]);
    const a = 128 / 255;
    const expected = [255 * a + 255 * (1 - a), 0 * a + 255 * (1 - a), 255 * (1 - a)];
    got.slice(3, 6).forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1));
    expect(got.slice(6, 9)).toEqual([0, 0, 255]);
    expect(got.slice(9, 12)).toEqual([255, 255, 255]);
  });

  it("resizing an RGBA image does not bleed the hidden colour of transparent pixels", async () => {
    const px: number[] = [];
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) px.push(...(x < 4 ? [0, 0, 0, 0] : [255, 255, 255, 255]));
    const p = await writePng(join(tmp.dir, "halfclear.png"), 8, 8, 4, px);
    const im = await decodeImage(p, 3, { transform: { resize: { width: 13, height: 13 }, flip: false, out: { width: 13, height: 13 } } });
    expect(Math.min(...Array.from(im.data, to8))).toBeGreaterThanOrEqual(254);
  });

  it("keeps alpha for 4 channels and adds an opaque one to RGB", async () => {
    const p = await writePng(join(tmp.dir, "rgba4.png"), 1, 2, 4, [10, 20, 30, 0, 40, 50, 60, 200]);
    expect(Array.from((await decodeImage(p, 4)).data, to8)).toEqual([10, 20, 30, 0, 40, 50, 60, 200]);
    const q = await writePng(join(tmp.dir, "rgb4.png"), 1, 1, 3, [1, 2, 3]);
    expect(Array.from((await decodeImage(q, 4)).data, to8)).toEqual([1, 2, 3, 255]);
  });

  it("replicates grayscale into RGB", async () => {
    const p = await writePng(join(tmp.dir, "gray.png"), 2, 2, 1, [0, 50, 100, 255]);
    const im = await decodeImage(p, 3);
    expect(Array.from(im.data, to8)).toEqual([0, 0, 0, 50, 50, 50, 100, 100, 100, 255, 255, 255]);
  });

  it("keeps grayscale as 1 channel and flattens gray+alpha onto white", async () => {
    const p = await writePng(join(tmp.dir, "gray1.png"), 2, 2, 1, [0, 50, 100, 255]);
    const im = await decodeImage(p, 1);
    expect(im.channels).toBe(1);
    Array.from(im.data).forEach((v, i) => expect(v).toBeCloseTo(f32([0, 50, 100, 255][i]!), 6));
    const q = await writePng(join(tmp.dir, "graya.png"), 2, 1, 2, [0, 0, 30, 255]);
    expect(Array.from((await decodeImage(q, 1)).data, to8)).toEqual([255, 30]);
  });

  it("converts RGB to gray with ITU-R 601 luma", async () => {
    const px = [10, 200, 30, 255, 0, 0, 0, 255, 0, 0, 0, 255];
    const p = await writePng(join(tmp.dir, "luma.png"), 4, 1, 3, px);
    const im = await decodeImage(p, 1);
    const luma = (r: number, g: number, b: number) => Math.fround((0.299 * r + 0.587 * g + 0.114 * b) / 127.5 - 1);
    expect(Array.from(im.data)).toEqual([luma(10, 200, 30), luma(255, 0, 0), luma(0, 255, 0), luma(0, 0, 255)]);
  });

  it("reads JPEG", async () => {
    const p = await writeSolid(join(tmp.dir, "solid.jpg"), 8, 8, [200, 100, 50], "jpeg");
    const im = await decodeImage(p, 3);
    expect(im.data.length).toBe(8 * 8 * 3);
    for (let i = 0; i < im.data.length; i += 3) {
      expect(Math.abs(to8(im.data[i]!) - 200)).toBeLessThanOrEqual(3);
      expect(Math.abs(to8(im.data[i + 1]!) - 100)).toBeLessThanOrEqual(3);
      expect(Math.abs(to8(im.data[i + 2]!) - 50)).toBeLessThanOrEqual(3);
    }
  });

  it("reads a palette PNG with transparency (as Twemoji ships)", async () => {
    const im = await decodeImage(join("data", "emoji", "testB", "1f600.png"), 3);
    expect([im.width, im.height]).toEqual([64, 64]);
    expect(Array.from(im.data.subarray(0, 3), to8)).toEqual([255, 255, 255]); // corner: transparent → white
    expect(Math.min(...im.data)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...im.data)).toBeLessThanOrEqual(1);
  });

  it("decodes a region and writes into a caller's array at an offset", async () => {
    const p = await writePng(join(tmp.dir, "strip.png"), 4, 1, 3, [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    const out = new Float32Array(2 + 6);
    const im = await decodeImage(p, 3, { region: { left: 2, top: 0, width: 2, height: 1 }, out, offset: 2 });
    expect(Array.from(out.subarray(2), to8)).toEqual([3, 3, 3, 4, 4, 4]);
    expect(im.data.length).toBe(6);
    expect(out[0]).toBe(0);
  });

  it("rejects a non-image and a truncated file", async () => {
    const { writeFileSync, readFileSync } = await import("node:fs");
    const txt = join(tmp.dir, "text.png");
    writeFileSync(txt, "not a png");
    await expect(decodeImage(txt, 3)).rejects.toThrow();
    const good = await writeSolid(join(tmp.dir, "big.png"), 64, 64, [1, 2, 3]);
    const bytes = readFileSync(good);
    const trunc = join(tmp.dir, "trunc.png");
    writeFileSync(trunc, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(decodeImage(trunc, 3)).rejects.toThrow();
  });
});

describe("pixelsToFloat", () => {
  it("mirrors left–right when flipping", () => {
    const src = Uint8Array.from([0, 0, 0, 255, 255, 255, 10, 10, 10]);
    const out = new Float32Array(9);
    pixelsToFloat(src, 3, 1, 3, 3, true, out);
    expect(Array.from(out, to8)).toEqual([10, 10, 10, 255, 255, 255, 0, 0, 0]);
  });
});
