import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { composeGrid, gridLayout, toByte, writeGridPng, type GridImage } from "../../src/report/grid.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gancc-grid-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function solid(h: number, w: number, c: 1 | 3, v: number | number[]): GridImage {
  const data = new Float32Array(h * w * c);
  for (let i = 0; i < h * w; i++) for (let k = 0; k < c; k++) data[i * c + k] = Array.isArray(v) ? v[k]! : v;
  return { data, height: h, width: w, channels: c };
}

async function decode(path: string) {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
  return { info, at };
}

describe("sample grid", () => {
  it("maps [-1, 1] to 0..255 with clamping and rounding", () => {
    expect([toByte(-1), toByte(1), toByte(0), toByte(-3), toByte(7), toByte(NaN)]).toEqual([0, 255, 128, 0, 255, 0]);
    expect(toByte(-1 + 2 / 255)).toBe(1); // round, not floor (floor would give 0 for a hair less)
    expect(toByte(-1 + (2 * 0.6) / 255)).toBe(1);
  });

  it("lays out cells with gap and auto ×4 upscaling of 16×16 images; pixel values at known positions", async () => {
    // row 0: black, white, grey(1 channel)   row 1: red, (missing), clamped 2 → white
    const rows = [
      [solid(16, 16, 3, -1), solid(16, 16, 3, 1), solid(16, 16, 1, 0)],
      [solid(16, 16, 3, [1, -1, -1]), null, solid(16, 16, 3, 2)],
    ];
    const path = join(dir, "g.png");
    const L = await writeGridPng(path, rows, { gap: 3, background: [10, 20, 30] });
    expect(L).toMatchObject({ scale: 4, cellWidth: 64, cellHeight: 64, gap: 3, rows: 2, columns: 3, width: 3 * 64 + 2 * 3, height: 2 * 64 + 3 });
    const { info, at } = await decode(path);
    expect([info.width, info.height, info.channels]).toEqual([198, 131, 3]);
    const cell = (r: number, c: number) => [c * (64 + 3), r * (64 + 3)] as const;
    const px = (r: number, c: number, dx: number, dy: number) => at(cell(r, c)[0] + dx, cell(r, c)[1] + dy);
    expect(px(0, 0, 0, 0)).toEqual([0, 0, 0]);
    expect(px(0, 0, 63, 63)).toEqual([0, 0, 0]);
    expect(px(0, 1, 0, 0)).toEqual([255, 255, 255]);
    expect(px(0, 2, 10, 50)).toEqual([128, 128, 128]);
    expect(px(1, 0, 32, 32)).toEqual([255, 0, 0]);
    expect(px(1, 1, 5, 5)).toEqual([10, 20, 30]); // missing cell = background
    expect(px(1, 2, 63, 0)).toEqual([255, 255, 255]);
    expect(at(64, 0)).toEqual([10, 20, 30]); // the gap between columns 0 and 1
    expect(at(66, 70)).toEqual([10, 20, 30]);
    expect(at(0, 65)).toEqual([10, 20, 30]); // the gap between rows
  });

  it("upscales with nearest neighbour, HWC order", () => {
    // 2×2 RGB: (0,0) red, (0,1) green, (1,0) blue, (1,1) black
    const data = new Float32Array([1, -1, -1, -1, 1, -1, -1, -1, 1, -1, -1, -1]);
    const g = composeGrid([[{ data, height: 2, width: 2, channels: 3 }]], { scale: 3 });
    expect([g.width, g.height]).toEqual([6, 6]);
    const at = (x: number, y: number) => [...g.pixels.subarray((y * 6 + x) * 3, (y * 6 + x) * 3 + 3)];
    expect(at(0, 0)).toEqual([255, 0, 0]);
    expect(at(2, 2)).toEqual([255, 0, 0]);
    expect(at(3, 0)).toEqual([0, 255, 0]);
    expect(at(5, 2)).toEqual([0, 255, 0]);
    expect(at(0, 3)).toEqual([0, 0, 255]);
    expect(at(5, 5)).toEqual([0, 0, 0]);
  });

  it("auto scale leaves large images alone; bad input throws", () => {
    expect(gridLayout([[solid(64, 64, 3, 0)]]).scale).toBe(1);
    expect(gridLayout([[solid(32, 24, 3, 0)]]).scale).toBe(2);
    expect(gridLayout([[solid(8, 8, 3, 0)]], { scale: 1 }).scale).toBe(1);
    expect(() => gridLayout([[{ data: new Float32Array(5), height: 2, width: 2, channels: 1 }]])).toThrow(/expected 4/);
    expect(() => gridLayout([[{ data: new Float32Array(8), height: 2, width: 2, channels: 2 as 1 }]])).toThrow(/channels/);
    expect(() => gridLayout([])).toThrow(/no images/);
  });
});
