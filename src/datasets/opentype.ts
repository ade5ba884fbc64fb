/**
 * The part of opentype.js (v2) that src/datasets/fonts.ts uses, typed here because the
 * package ships no declarations. It is loaded with `require`: its Node entry is a UMD
 * bundle, so this gives the same object under Node, tsx, vitest and the built dist/.
 */
import { createRequire } from "node:module";

export interface OtPath {
  commands: { type: string }[];
  toPathData(options?: { decimalPlaces?: number; optimize?: boolean; flipY?: boolean }): string;
}

export interface OtRenderOptions {
  hinting?: boolean;
  kerning?: boolean;
  drawLayers?: boolean;
  drawSVG?: boolean;
}

export interface OtGlyph {
  index: number;
  name?: string | null;
  unicode?: number;
  advanceWidth?: number;
  getPath(x?: number, y?: number, fontSize?: number, options?: OtRenderOptions, font?: Font): OtPath;
}

/** name table entries by language ("en", …) */
export type OtNameTable = Partial<Record<string, Record<string, string>>>;

/** A parsed font (opentype.js's Font). */
export interface Font {
  unitsPerEm: number;
  ascender: number;
  descender: number;
  numGlyphs: number;
  names: { windows?: OtNameTable; macintosh?: OtNameTable; unicode?: OtNameTable };
  charToGlyphIndex(s: string): number;
  charToGlyph(c: string): OtGlyph;
}

const opentype = createRequire(import.meta.url)("opentype.js") as { parse(buffer: ArrayBuffer, opt?: { lowMemory?: boolean }): Font };

/** Parses a TrueType/OpenType/WOFF font (throws opentype.js's errors). */
export function parseFont(buffer: ArrayBuffer): Font {
  return opentype.parse(buffer);
}
