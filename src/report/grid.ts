/**
 * Sample grids: rows of images (e.g. `real_A | fake_B | rec_A`, one row per sample) composed
 * into one RGB PNG.
 *
 * - Input images are Float32Array, HWC, values in [-1, 1] (a tanh generator's output), with
 *   C = 1 (grey, replicated to RGB) or 3. Values are clamped to [-1, 1] and mapped with
 *   round((v + 1) / 2 · 255): -1 → 0, 0 → 128, +1 → 255; NaN → 0.
 * - Every cell is `cellWidth × cellHeight` = the largest image size × `scale`; an image is
 *   placed at its cell's top-left corner. Cells are separated by `gap` px of `background`
 *   (no outer border): the cell in row r, column c starts at
 *   x = c · (cellWidth + gap), y = r · (cellHeight + gap).
 * - `scale`: integer nearest-neighbour upscaling; "auto" (default) picks the smallest
 *   factor that makes the cells at least `minCellSize` px (default 64), so 16×16 images
 *   are shown ×4 and 256×256 ones ×1.
 * - Column labels are not burned into the PNG: the HTML report prints them above the grid
 *   (the returned layout says where each column is).
 */
import sharp from "sharp";
import { writeFileAtomic } from "../io/atomic.js";

export interface GridImage {
  /** HWC, values in [-1, 1] */
  data: Float32Array;
  height: number;
  width: number;
  channels: 1 | 3;
}

export interface GridOptions {
  /** px between cells (default 2) */
  gap?: number;
  /** integer upscale factor, or "auto" (default) */
  scale?: number | "auto";
  /** the smallest cell side "auto" scaling aims for (default 64) */
  minCellSize?: number;
  /** RGB of the gaps and empty cells (default white) */
  background?: [number, number, number];
}

export interface GridLayout {
  /** the whole PNG */
  width: number;
  height: number;
  rows: number;
  columns: number;
  /** one cell, after scaling */
  cellWidth: number;
  cellHeight: number;
  gap: number;
  scale: number;
}

export interface ComposedGrid extends GridLayout {
  /** RGB, row-major, 3 bytes per pixel */
  pixels: Uint8Array;
}

/** [-1, 1] → 0..255, clamped and rounded (NaN → 0). */
export function toByte(v: number): number {
  if (Number.isNaN(v)) return 0;
  const c = v < -1 ? -1 : v > 1 ? 1 : v;
  return Math.round(((c + 1) / 2) * 255);
}

function check(img: GridImage, where: string): void {
  const { height: h, width: w, channels: c } = img;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) throw new RangeError(`${where}: bad size ${h}×${w}`);
  if (c !== 1 && c !== 3) throw new RangeError(`${where}: ${c} channels (expected 1 or 3)`);
  if (img.data.length !== h * w * c) {
    throw new RangeError(`${where}: ${img.data.length} values for ${h}×${w}×${c} (expected ${h * w * c})`);
  }
}

/** The layout `composeGrid` would use (sizes only). */
export function gridLayout(rows: readonly (readonly (GridImage | null | undefined)[])[], options: GridOptions = {}): GridLayout {
  const gap = Math.max(0, Math.round(options.gap ?? 2));
  let maxH = 0, maxW = 0, columns = 0;
  rows.forEach((row, r) => {
    columns = Math.max(columns, row.length);
    row.forEach((img, c) => {
      if (!img) return;
      check(img, `grid image [${r}][${c}]`);
      maxH = Math.max(maxH, img.height);
      maxW = Math.max(maxW, img.width);
    });
  });
  if (rows.length === 0 || columns === 0 || maxH === 0) throw new RangeError("grid: no images");
  let scale: number;
  if (options.scale === undefined || options.scale === "auto") {
    scale = Math.max(1, Math.ceil((options.minCellSize ?? 64) / Math.max(maxH, maxW)));
  } else {
    scale = Math.round(options.scale);
    if (!(scale >= 1)) throw new RangeError(`grid: scale ${options.scale} (expected an integer ≥ 1)`);
  }
  const cellWidth = maxW * scale, cellHeight = maxH * scale;
  return {
    width: columns * cellWidth + (columns - 1) * gap,
    height: rows.length * cellHeight + (rows.length - 1) * gap,
    rows: rows.length,
    columns,
    cellWidth,
    cellHeight,
    gap,
    scale,
  };
}

/** Compose the grid into an RGB byte buffer. Missing cells (null, short rows) stay background. */
export function composeGrid(rows: readonly (readonly (GridImage | null | undefined)[])[], options: GridOptions = {}): ComposedGrid {
  const L = gridLayout(rows, options);
  const [br, bg, bb] = options.background ?? [255, 255, 255];
  const px = new Uint8Array(L.width * L.height * 3);
  for (let i = 0; i < px.length; i += 3) {
    px[i] = br;
    px[i + 1] = bg;
    px[i + 2] = bb;
  }
  const s = L.scale;
  rows.forEach((row, r) => {
    row.forEach((img, c) => {
      if (!img) return;
      const x0 = c * (L.cellWidth + L.gap), y0 = r * (L.cellHeight + L.gap);
      const { data, width: w, height: h, channels: ch } = img;
      // one output row per source row, then copied s-1 times below
      const rowBytes = new Uint8Array(w * s * 3);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const src = (y * w + x) * ch;
          const R = toByte(data[src]!);
          const G = ch === 3 ? toByte(data[src + 1]!) : R;
          const B = ch === 3 ? toByte(data[src + 2]!) : R;
          for (let k = 0; k < s; k++) {
            const o = (x * s + k) * 3;
            rowBytes[o] = R;
            rowBytes[o + 1] = G;
            rowBytes[o + 2] = B;
          }
        }
        for (let k = 0; k < s; k++) px.set(rowBytes, ((y0 + y * s + k) * L.width + x0) * 3);
      }
    });
  });
  return { ...L, pixels: px };
}

/** The grid as PNG bytes, plus its layout. */
export async function encodeGridPng(
  rows: readonly (readonly (GridImage | null | undefined)[])[],
  options: GridOptions = {},
): Promise<{ png: Buffer; layout: GridLayout }> {
  const { pixels, ...layout } = composeGrid(rows, options);
  const png = await sharp(pixels, { raw: { width: layout.width, height: layout.height, channels: 3 } }).png().toBuffer();
  return { png, layout };
}

/** Write the grid as a PNG (atomically); returns its layout. */
export async function writeGridPng(
  path: string,
  rows: readonly (readonly (GridImage | null | undefined)[])[],
  options: GridOptions = {},
): Promise<GridLayout> {
  const { png, layout } = await encodeGridPng(rows, options);
  writeFileAtomic(path, png);
  return layout;
}
