// Tiny image fixtures, generated into a temp folder per test file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import sharp from "sharp";
import type { IrData } from "../../src/ir/schema.js";

export function tempDir(prefix = "gancc-data-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Raw 8-bit pixels, interleaved, channels 1–4. */
export async function writePng(path: string, width: number, height: number, channels: 1 | 2 | 3 | 4, pixels: ArrayLike<number>): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  let s = sharp(Buffer.from(Array.from(pixels)), { raw: { width, height, channels } });
  if (channels <= 2) s = s.toColourspace("b-w");
  await s.png().toFile(path);
  return path;
}

/** An RGB image whose pixel (x, y) is (x·sx, y·sy, tag) — position readable from the pixel. */
export async function writeCoordPng(path: string, width: number, height: number, tag = 0, sx = 1, sy = 1): Promise<string> {
  const px: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px.push((x * sx) & 255, (y * sy) & 255, tag & 255);
  return writePng(path, width, height, 3, px);
}

/** A solid RGB image. */
export async function writeSolid(path: string, width: number, height: number, rgb: [number, number, number], format: "png" | "jpeg" = "png"): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  const s = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
  await (format === "png" ? s.png() : s.jpeg({ quality: 95 })).toFile(path);
  return path;
}

export function writeText(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Back from float [-1, 1] to the 8-bit value. */
export const to8 = (v: number): number => Math.round((v + 1) * 127.5);

export function irData(over: Partial<IrData> = {}): IrData {
  return {
    layout: "unpaired",
    domains: [
      { name: "A", channels: 3 },
      { name: "B", channels: 3 },
    ],
    preprocess: "resize_and_crop",
    load: 10,
    crop: 8,
    flip: true,
    direction: "AtoB",
    ...over,
  };
}

/** An unpaired dataset of nA + nB coordinate images of size w×h, each tagged with its index. */
export async function makeUnpaired(root: string, nA: number, nB: number, w = 12, h = 12, split = "train"): Promise<void> {
  for (let i = 0; i < nA; i++) await writeCoordPng(join(root, `${split}A`, `a${String(i).padStart(3, "0")}.png`), w, h, i);
  for (let i = 0; i < nB; i++) await writeCoordPng(join(root, `${split}B`, `b${String(i).padStart(3, "0")}.png`), w, h, 100 + i);
}

/** A function that makes a new, empty folder under `root` on each call. */
export function freshDirs(root: string): () => string {
  let n = 0;
  return () => {
    const d = join(root, `ds${n++}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
}
