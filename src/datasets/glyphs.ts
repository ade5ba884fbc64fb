/**
 * The glyphs dataset: the same character drawn in a sans-serif face (domain A, left half)
 * and a serif face (domain B, right half), pixel-aligned, for pix2pix (`layout: paired_ab`).
 * The default faces are DejaVu Sans and DejaVu Serif (Debian: fonts-dejavu-core).
 *
 * `buildGlyphDataset` writes root/train/U+XXXX.png and root/test/U+XXXX.png, each image
 * 2·size × size RGB, black on white: the sans rendering on the left, the serif one on the
 * right (+ ATTRIBUTION.md, index.tsv, the fonts' licence texts from their name tables and,
 * on Debian, the font packages' copyright files).
 *
 * Fonts: a family is looked up in the usual font folders of the OS by the fonts' own name
 * tables (src/datasets/fonts.ts; no fontconfig, no dpkg), or a font file is given directly.
 * The chosen files are parsed with opentype.js.
 *
 * Alignment: each glyph's outline (from opentype.js, unhinted) is drawn as an SVG path and
 * rasterised by sharp (librsvg), with the same font size, the same baseline (a fixed y) and
 * the same horizontal anchor in both faces: the glyph's advance width is centred on the
 * middle of the half, as SVG `text-anchor: middle` would place it. So the two glyphs sit
 * where a typesetter would put them, and the layout depends on the size only
 * (`glyphLayout`), never on the font. No system font lookup is involved in drawing: the same
 * font file gives the same pixels on every OS.
 *
 * Coverage: a character is rendered only when both fonts map it to a glyph (their cmap
 * tables). Renderings that are blank in either face, identical in both faces (nothing to
 * translate), or whose ink leaves the size×size square (clipped) are dropped and counted.
 *
 * Speed: glyphs are rendered in atlases of many cells (one librsvg call per atlas, atlases
 * concurrently), cut out of the raw pixels, and encoded to PNG concurrently.
 */
import { copyFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { makeDir } from "../io/atomic.js";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { Rng } from "../runtime/rng.js";
import { DataError, type WarningSink, listSome } from "../data/errors.js";
import { DEFAULT_CONCURRENCY, mapLimit } from "../data/scan.js";
import type { Font } from "./opentype.js";
import {
  type FontFace,
  debianFontPackage,
  faceFamily,
  faceMatches,
  faceStyle,
  fontNameInfo,
  irregularity,
  loadFontFace,
  mostRegular,
  readFontFaces,
  scanFontFaces,
  similarFamilies,
  systemFontDirs,
} from "./fonts.js";

export const DEFAULT_GLYPH_FONTS = { sans: "DejaVu Sans", serif: "DejaVu Serif" } as const;
export const DEFAULT_GLYPH_SIZE = 64;

/** The font a domain is drawn in, as its file's name table describes it. */
export interface GlyphFont {
  /** what was asked for: a family name, or the font file given */
  requested: string;
  /** "family": found by searching the font folders; "file": the file was given */
  source: "family" | "file";
  /** the typographic family (name ID 16) or family (ID 1) */
  family: string;
  /** the typographic subfamily or subfamily, e.g. "Book", "Regular" */
  style: string;
  fullName?: string;
  postScriptName?: string;
  file: string;
  /** index of the face in a font collection (.ttc/.otc) */
  collectionIndex?: number;
  /** name table: version string */
  version?: string;
  /** name table: copyright notice (name ID 0) */
  copyright?: string;
  /** one-line licence summary: of a known family or package, else from the name table */
  licence?: string;
  /** name table: licence description (name ID 13), often the full licence text */
  licenceText?: string;
  /** name table: licence URL (name ID 14) */
  licenceUrl?: string;
  /** the Debian package owning the file (from dpkg's database), when there is one */
  package?: string;
  packageVersion?: string;
  /** /usr/share/doc/<package>/copyright, when present */
  copyrightFile?: string;
}

/** Where the glyph sits in its size×size half; depends on the size only. */
export interface GlyphLayout {
  size: number;
  /** font size in pixels (the em), the same for both faces */
  fontSize: number;
  /** y of the baseline from the top, the same for both faces */
  baseline: number;
  /** x of the anchor (text-anchor: middle) from the left edge of the half */
  anchorX: number;
}

/**
 * Font size 0.65·size; the baseline is placed so that a typical ascent (0.93 em) and
 * descent (0.24 em) are centred vertically, which leaves ~12% margins for accented
 * capitals and descenders (and for pix2pix's resize-and-crop jitter).
 */
export function glyphLayout(size: number): GlyphLayout {
  const fontSize = Math.round(size * 0.65 * 4) / 4;
  return { size, fontSize, baseline: Math.round(size / 2 + fontSize * ((0.928 - 0.236) / 2)), anchorX: size / 2 };
}

/** Code point → file name safe on every filesystem (case-insensitive ones too): "U+0041". */
export function glyphName(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

const BLOCKS: [number, number, string][] = [
  [0x0021, 0x007e, "Basic Latin (printable)"],
  [0x00a0, 0x00ff, "Latin-1 letters and digits"],
  [0x0100, 0x017f, "Latin Extended-A letters"],
  [0x0370, 0x03ff, "Greek letters"],
  [0x0400, 0x04ff, "Cyrillic letters"],
];

/** The default candidates: printable ASCII, and the letters and digits of Latin-1, Latin Extended-A, Greek and Cyrillic. */
export function defaultGlyphCandidates(): number[] {
  const out: number[] = [];
  for (const [lo, hi] of BLOCKS) {
    for (let cp = lo; cp <= hi; cp++) {
      const c = String.fromCodePoint(cp);
      if (cp <= 0x7e || (/^[\p{L}\p{N}]$/u.test(c) && !/^\p{Lm}$/u.test(c))) out.push(cp);
    }
  }
  return out;
}

export const DEFAULT_CHARS_TEXT = `printable ASCII and the letters and digits of Latin-1, Latin Extended-A, Greek and Cyrillic that both fonts cover`;

// ---- fonts -----------------------------------------------------------------------------

const VERA = "Bitstream Vera Fonts licence (DejaVu changes are in the public domain), a free licence — https://dejavu-fonts.github.io/License.html";
const OFL = "SIL Open Font License 1.1 — https://openfontlicense.org";
const GPL_FONT = "GNU GPL v3 or later, with the GPL font exception — https://www.gnu.org/software/freefont/license.html";

/** Common free fonts: family pattern → Debian package, licence, where to get it elsewhere. */
const KNOWN_FONTS: { family: RegExp; package: string; alt?: string; licence: string; site: string; brew?: string }[] = [
  { family: /^dejavu (sans|serif)( mono)?$/i, package: "fonts-dejavu-core", licence: VERA, site: "https://dejavu-fonts.github.io", brew: "font-dejavu" },
  { family: /^dejavu (sans|serif)( condensed| light| extralight)/i, package: "fonts-dejavu-extra", licence: VERA, site: "https://dejavu-fonts.github.io", brew: "font-dejavu" },
  { family: /^liberation sans narrow$/i, package: "fonts-liberation", licence: OFL, site: "https://github.com/liberationfonts/liberation-fonts" },
  { family: /^liberation (sans|serif|mono)$/i, package: "fonts-liberation2", alt: "fonts-liberation", licence: OFL, site: "https://github.com/liberationfonts/liberation-fonts", brew: "font-liberation" },
  { family: /^free(sans|serif|mono)$/i, package: "fonts-freefont-ttf", alt: "fonts-freefont-otf", licence: GPL_FONT, site: "https://www.gnu.org/software/freefont/" },
  { family: /^noto (sans|serif)( |$)/i, package: "fonts-noto-core", alt: "fonts-noto", licence: OFL, site: "https://fonts.google.com/noto" },
];

const KNOWN_LICENCES: Record<string, string> = {
  "fonts-dejavu-core": VERA,
  "fonts-dejavu-extra": VERA,
  "fonts-liberation2": OFL,
  "fonts-liberation": OFL,
  "fonts-freefont-ttf": GPL_FONT,
  "fonts-freefont-otf": GPL_FONT,
  "fonts-noto-core": OFL,
};

/** The Debian package to install for a family, as advice text. */
export function fontPackageHint(family: string): string {
  const k = KNOWN_FONTS.find((f) => f.family.test(family.trim()));
  if (k) return `install it with \`apt-get install -y ${k.package}\`${k.alt ? ` (or ${k.alt})` : ""}`;
  return `install the package that provides it (on Debian/Ubuntu find it with \`apt-cache search --names-only fonts-\`)`;
}

/** How to get a family on each OS, as advice text. */
export function fontInstallHint(family: string): string {
  const k = KNOWN_FONTS.find((f) => f.family.test(family.trim()));
  if (!k) return "install the font: on Debian/Ubuntu find its package with `apt-cache search --names-only fonts-`; on macOS or Windows open its .ttf/.otf file and choose Install";
  return (
    `install it: Debian/Ubuntu \`apt-get install -y ${k.package}\`${k.alt ? ` (or ${k.alt})` : ""}` +
    `${k.brew ? `, macOS \`brew install --cask ${k.brew}\`` : ""}, or download it from ${k.site} and install its .ttf files`
  );
}

/** Who is asking: the domain's label in messages and the CLI flag that gives its file. */
export interface FontRole {
  label: string;
  flag: string;
}

export const GLYPH_FONT_ROLES = {
  sans: { label: "sans (domain A)", flag: "--font-sans" },
  serif: { label: "serif (domain B)", flag: "--font-serif" },
} as const satisfies Record<string, FontRole>;

/** A font ready to draw with: what it is, and its opentype.js parse. */
export interface ResolvedGlyphFont {
  info: GlyphFont;
  font: Font;
}

/** The fonts on offer: the folders searched, and the faces they hold (scanned once, on first use). */
export interface FontCatalog {
  dirs: readonly string[];
  scan(): ReturnType<typeof scanFontFaces>;
}

export function fontCatalog(dirs: readonly string[]): FontCatalog {
  let cached: ReturnType<typeof scanFontFaces> | undefined;
  return { dirs, scan: () => (cached ??= scanFontFaces(dirs)) };
}

function firstParagraph(text: string, max = 240): string {
  const p = text.split(/\n\s*\n/)[0]!.replace(/\s+/g, " ").trim();
  return p.length > max ? `${p.slice(0, max - 1)}…` : p;
}

function describeFont(face: FontFace, font: Font, requested: string, source: GlyphFont["source"]): GlyphFont {
  const n = fontNameInfo(font);
  const family = faceFamily(face);
  const known = KNOWN_FONTS.find((k) => k.family.test(family) || k.family.test(face.family));
  const info: GlyphFont = { requested, source, family, style: faceStyle(face), file: face.file };
  if (face.fullName) info.fullName = face.fullName;
  if (face.postScriptName) info.postScriptName = face.postScriptName;
  if (face.collectionIndex !== undefined) info.collectionIndex = face.collectionIndex;
  if (n.version) info.version = n.version;
  if (n.copyright) info.copyright = n.copyright;
  if (n.licence) info.licenceText = n.licence;
  if (n.licenceUrl) info.licenceUrl = n.licenceUrl;
  const deb = debianFontPackage(face.file);
  if (deb) {
    info.package = deb.package;
    if (deb.version) info.packageVersion = deb.version;
    if (deb.copyrightFile) info.copyrightFile = deb.copyrightFile;
  }
  const summary = (deb && KNOWN_LICENCES[deb.package]) ?? known?.licence ?? (n.licence ? firstParagraph(n.licence) : undefined) ?? (n.licenceUrl ? `see ${n.licenceUrl}` : undefined);
  if (summary) info.licence = summary;
  return info;
}

/** A font file given directly: its most regular face (for a collection), parsed. DataErrors name the flag. */
export function openGlyphFontFile(file: string, role: FontRole): ResolvedGlyphFont {
  let faces: FontFace[];
  try {
    faces = readFontFaces(resolve(file));
  } catch (e) {
    if (e instanceof DataError) throw new DataError(`the ${role.label} font file (${role.flag}): ${e.message}`);
    throw e;
  }
  const face = mostRegular(faces)!;
  let font: Font;
  try {
    font = loadFontFace(face);
  } catch (e) {
    if (e instanceof DataError) throw new DataError(`the ${role.label} font file (${role.flag}): ${e.message}`);
    throw e;
  }
  return { info: describeFont(face, font, file, "file"), font };
}

/**
 * Finds a family in the catalog's folders by the name tables and parses its most regular
 * face. A DataError saying what was searched and what to do when no file has the family.
 */
export function findGlyphFont(family: string, role: FontRole, catalog: FontCatalog, warn: WarningSink = () => {}): ResolvedGlyphFont {
  if (!family.trim()) throw new DataError(`the ${role.label} font family is empty; give a family name, or a font file with ${role.flag} PATH`);
  const { faces, files, unreadable } = catalog.scan();
  const matches = faces.filter((f) => faceMatches(f, family));
  const face = mostRegular(matches);
  if (!face) {
    const similar = similarFamilies(faces, family);
    const where = catalog.dirs.length ? catalog.dirs.join(", ") : "(no font folders)";
    throw new DataError(
      `the ${role.label} font "${family}" is not installed: ` +
        (files
          ? `none of the ${files} font files in ${where} names that family in its name table${unreadable.length ? ` (${unreadable.length} could not be read)` : ""}. `
          : `there are no font files (.ttf, .otf, .ttc) in ${where}. `) +
        (similar.length ? `Installed families with a similar name: ${similar.map((s) => `"${s}"`).join(", ")}. ` : "") +
        `To use it, pass a font file with ${role.flag} PATH, or ${fontInstallHint(family)}.`,
    );
  }
  if (irregularity(face) > 0) {
    warn(`no regular (upright, weight 400, normal width) face of "${family}" was found; using ${face.fullName ?? faceFamily(face)} (${faceStyle(face)}) from ${face.file}`);
  }
  const font = loadFontFace(face);
  return { info: describeFont(face, font, family, "family"), font };
}

/**
 * What a family resolves to: the most regular face whose name table has the family, in
 * `fontDirs` and (unless `systemFonts: false`) the OS's font folders. A DataError when no
 * font file has it.
 */
export function resolveFont(family: string, role: string | FontRole = "requested", o: { fontDirs?: readonly string[]; systemFonts?: boolean; onWarning?: WarningSink } = {}): GlyphFont {
  const r = typeof role === "string" ? { label: role, flag: "--font-sans/--font-serif" } : role;
  const dirs = [...(o.fontDirs ?? []), ...(o.systemFonts === false ? [] : systemFontDirs())];
  return findGlyphFont(family, r, fontCatalog(dirs), o.onWarning).info;
}

/** The real path of a file and its face index, to tell whether two fonts are one. */
function fontIdentity(f: GlyphFont): string {
  let p = f.file;
  try {
    p = realpathSync(f.file);
  } catch {
    // keep the path as given
  }
  return `${p}#${f.collectionIndex ?? 0}`;
}

/** Whether the font maps the code point to a glyph (its cmap). */
export function fontCovers(font: Font, cp: number): boolean {
  return font.charToGlyphIndex(String.fromCodePoint(cp)) > 0;
}

// ---- rendering -------------------------------------------------------------------------

interface Pair {
  cp: number;
  /** grey values of the two size×size halves, row-major */
  a: Uint8Array;
  b: Uint8Array;
}

/**
 * SVG path data of a code point's glyph outline: font size `fontSize`, baseline at y, the
 * advance width centred on x (as `text-anchor: middle` places text). Empty for a glyph
 * without outline (a space).
 */
export function glyphPathData(font: Font, cp: number, x: number, y: number, fontSize: number): string {
  const g = font.charToGlyph(String.fromCodePoint(cp));
  const advance = ((g.advanceWidth ?? 0) * fontSize) / font.unitsPerEm;
  const path = g.getPath(x - advance / 2, y, fontSize, { hinting: false, kerning: false, drawLayers: false, drawSVG: false }, font);
  return path.toPathData({ decimalPlaces: 2, optimize: false, flipY: false });
}

/**
 * Renders code points in both faces. Each half sits in a slot with a gutter of size/4 on
 * every side, so ink that leaves the size×size square is seen (and reported as clipped)
 * instead of spilling into a neighbour. Returns, per code point, the two halves and
 * whether either was clipped.
 */
export async function renderGlyphPairs(
  cps: readonly number[],
  o: { size: number; sans: Font; serif: Font; concurrency?: number },
): Promise<(Pair & { clipped: boolean })[]> {
  const L = glyphLayout(o.size);
  const g = Math.ceil(o.size / 4);
  const slot = o.size + 2 * g;
  const cols = 8;
  const perAtlas = 64;
  const chunks: number[][] = [];
  for (let i = 0; i < cps.length; i += perAtlas) chunks.push(cps.slice(i, i + perAtlas));
  const glyph = (font: Font, x: number, y: number, cp: number) => {
    const d = glyphPathData(font, cp, x, y, L.fontSize);
    return d ? `<path d="${d}" fill="#000"/>` : "";
  };
  const results = await mapLimit(chunks, o.concurrency ?? DEFAULT_CONCURRENCY, async (chunk) => {
    const rows = Math.ceil(chunk.length / cols);
    const W = cols * 2 * slot;
    const H = rows * slot;
    const parts = chunk.map((cp, i) => {
      const x0 = (i % cols) * 2 * slot;
      const y0 = Math.floor(i / cols) * slot + g + L.baseline;
      return glyph(o.sans, x0 + g + L.anchorX, y0, cp) + glyph(o.serif, x0 + slot + g + L.anchorX, y0, cp);
    });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><rect width="${W}" height="${H}" fill="#fff"/>${parts.join("")}</svg>`;
    const { data, info } = await sharp(Buffer.from(svg), { limitInputPixels: false }).flatten({ background: "#ffffff" }).greyscale().raw().toBuffer({ resolveWithObject: true });
    const ch = info.channels;
    return chunk.map((cp, i) => {
      const x0 = (i % cols) * 2 * slot;
      const y0 = Math.floor(i / cols) * slot;
      let clipped = false;
      const cut = (sx: number): Uint8Array => {
        const px = new Uint8Array(o.size * o.size);
        for (let y = 0; y < slot; y++) {
          for (let x = 0; x < slot; x++) {
            const v = data[((y0 + y) * W + sx + x) * ch]!;
            const inside = x >= g && x < g + o.size && y >= g && y < g + o.size;
            if (inside) px[(y - g) * o.size + (x - g)] = v;
            else if (v < 224) clipped = true;
          }
        }
        return px;
      };
      return { cp, a: cut(x0), b: cut(x0 + slot), clipped };
    });
  });
  return results.flat();
}

/** Pixels darker than this count as ink. */
const INK = 128;
/** Two renderings are "identical" when no pixel differs by more than this. */
const SAME = 64;

export type GlyphVerdict = "ok" | "blank" | "identical";

/** Blank in either half (no ink), identical halves (nothing to learn), or ok. */
export function classifyGlyphPair(a: ArrayLike<number>, b: ArrayLike<number>): GlyphVerdict {
  let inkA = 0;
  let inkB = 0;
  let differ = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < INK) inkA++;
    if (b[i]! < INK) inkB++;
    if (Math.abs(a[i]! - b[i]!) > SAME) differ++;
  }
  if (!inkA || !inkB) return "blank";
  if (!differ) return "identical";
  return "ok";
}

/** The A|B image: grey halves side by side as 3-channel RGB. */
function sideBySide(p: Pair, size: number): Buffer {
  const out = Buffer.alloc(size * 2 * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const va = p.a[y * size + x]!;
      const vb = p.b[y * size + x]!;
      const ia = (y * 2 * size + x) * 3;
      const ib = (y * 2 * size + size + x) * 3;
      out[ia] = out[ia + 1] = out[ia + 2] = va;
      out[ib] = out[ib + 1] = out[ib + 2] = vb;
    }
  }
  return out;
}

/** Splits sorted names into train and test with a seeded shuffle; both returned sorted. */
export function splitGlyphNames(names: readonly string[], testCount: number, seed: number): { train: string[]; test: string[] } {
  const shuffled = new Rng(`glyphs-split/${seed}`).shuffle([...names].sort());
  return { test: shuffled.slice(0, testCount).sort(), train: shuffled.slice(testCount).sort() };
}

// ---- the dataset -----------------------------------------------------------------------

/** Where the two fonts come from: families searched in font folders, or files. */
export interface GlyphFontOptions {
  /** the sans-serif family, domain A, left half (default "DejaVu Sans"); ignored when `sansFile` is given */
  sans?: string;
  /** the serif family, domain B, right half (default "DejaVu Serif"); ignored when `serifFile` is given */
  serif?: string;
  /** a font file (.ttf, .otf, .ttc) for domain A instead of searching for `sans` */
  sansFile?: string;
  /** a font file for domain B instead of searching for `serif` */
  serifFile?: string;
  /** folders searched for the families first (recursively) */
  fontDirs?: readonly string[];
  /** also search the OS's font folders (`systemFontDirs()`) after `fontDirs` (default true) */
  systemFonts?: boolean;
  onWarning?: WarningSink;
}

export interface GlyphBuildOptions extends GlyphFontOptions {
  /** output root; its train/ and test/ are replaced */
  out: string;
  /** size of each half in pixels (default 64); images are 2·size × size */
  size?: number;
  /** characters to render (a string or a list; default `defaultGlyphCandidates()`) */
  chars?: string | readonly string[];
  /** share of characters in test/ (default 0.1) */
  testFraction?: number;
  /** seed of the train/test split (default 0) */
  seed?: number;
  /** how the set was built, recorded in ATTRIBUTION.md */
  command?: string;
  /** parallel atlas renders and PNG encodes (default: CPU count, at least 4) */
  concurrency?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface GlyphBuildResult {
  out: string;
  /** file names (U+XXXX.png), sorted */
  train: string[];
  test: string[];
  size: number;
  layout: GlyphLayout;
  fonts: { sans: GlyphFont; serif: GlyphFont };
  /** candidate characters */
  candidates: number;
  /** characters left out, by reason (the characters themselves) */
  dropped: { uncovered: string[]; blank: string[]; identical: string[]; clipped: string[] };
  /** bytes written under train/ and test/ */
  bytes: number;
}

/**
 * The two fonts of the dataset: given files, or families found by name table in
 * `fontDirs` and the OS's font folders (scanned once for both). DataErrors say what to do;
 * two different faces are required.
 */
export function resolveGlyphFonts(o: GlyphFontOptions = {}): { sans: ResolvedGlyphFont; serif: ResolvedGlyphFont } {
  const dirs = [...(o.fontDirs ?? []), ...(o.systemFonts === false ? [] : systemFontDirs())];
  const catalog = fontCatalog([...new Set(dirs.map((d) => resolve(d)))]);
  const warn = o.onWarning ?? (() => {});
  const pick = (file: string | undefined, family: string, role: FontRole) => (file !== undefined ? openGlyphFontFile(file, role) : findGlyphFont(family, role, catalog, warn));
  const sans = pick(o.sansFile, o.sans ?? DEFAULT_GLYPH_FONTS.sans, GLYPH_FONT_ROLES.sans);
  const serif = pick(o.serifFile, o.serif ?? DEFAULT_GLYPH_FONTS.serif, GLYPH_FONT_ROLES.serif);
  if (fontIdentity(sans.info) === fontIdentity(serif.info)) {
    throw new DataError(
      `the sans font "${sans.info.requested}" and the serif font "${serif.info.requested}" are the same file, ${sans.info.file}${sans.info.collectionIndex !== undefined ? ` (face ${sans.info.collectionIndex})` : ""}; the two domains must be two different faces`,
    );
  }
  return { sans, serif };
}

function toCodePoints(chars: string | readonly string[]): number[] {
  const list = typeof chars === "string" ? Array.from(chars) : chars.flatMap((c) => Array.from(c));
  return [...new Set(list.map((c) => c.codePointAt(0)!))].sort((x, y) => x - y);
}

const show = (cp: number) => `${String.fromCodePoint(cp)} (${glyphName(cp)})`;

export async function buildGlyphDataset(o: GlyphBuildOptions): Promise<GlyphBuildResult> {
  const size = o.size ?? DEFAULT_GLYPH_SIZE;
  if (!Number.isInteger(size) || size < 8 || size > 1024) throw new DataError(`size must be an integer from 8 to 1024, got ${size}`);
  const frac = o.testFraction ?? 0.1;
  if (!(frac >= 0 && frac < 1)) throw new DataError(`test fraction must be in [0, 1), got ${frac}`);
  const warn = o.onWarning ?? (() => {});

  const { sans, serif } = resolveGlyphFonts(o);
  const sansName = sans.info.family;
  const serifName = serif.info.family;

  const candidates = o.chars !== undefined ? toCodePoints(o.chars) : defaultGlyphCandidates();
  const control = candidates.filter((cp) => /^\p{Cc}$/u.test(String.fromCodePoint(cp)));
  const uncovered = candidates.filter((cp) => !control.includes(cp) && (!fontCovers(sans.font, cp) || !fontCovers(serif.font, cp)));
  const toRender = candidates.filter((cp) => !control.includes(cp) && !uncovered.includes(cp));
  if (o.chars !== undefined && uncovered.length) warn(`${uncovered.length} of the requested characters are missing from one of the fonts and are left out: ${listSome(uncovered.map(show))}`);

  const pairs = await renderGlyphPairs(toRender, { size, sans: sans.font, serif: serif.font, concurrency: o.concurrency ?? Math.max(4, DEFAULT_CONCURRENCY) });
  const dropped = { uncovered: [...control, ...uncovered].map((cp) => String.fromCodePoint(cp)), blank: [] as string[], identical: [] as string[], clipped: [] as string[] };
  const kept: Pair[] = [];
  for (const p of pairs) {
    const v = classifyGlyphPair(p.a, p.b);
    if (v === "blank") dropped.blank.push(String.fromCodePoint(p.cp));
    else if (v === "identical") dropped.identical.push(String.fromCodePoint(p.cp));
    else if (p.clipped) dropped.clipped.push(String.fromCodePoint(p.cp));
    else kept.push(p);
  }
  if (dropped.clipped.length) warn(`${dropped.clipped.length} glyphs extend beyond the ${size}×${size} square in one of the faces and are left out: ${listSome(dropped.clipped.map((c) => show(c.codePointAt(0)!)))}`);
  if (kept.length < 2) {
    throw new DataError(
      `only ${kept.length} of ${candidates.length} characters render as two different, non-blank glyphs in "${sansName}" and "${serifName}" ` +
        `(${dropped.uncovered.length} not in both fonts, ${dropped.blank.length} blank, ${dropped.identical.length} identical in both, ${dropped.clipped.length} clipped); need at least 2`,
    );
  }

  const byName = new Map(kept.map((p) => [`${glyphName(p.cp)}.png`, p]));
  const names = [...byName.keys()].sort();
  const testCount = Math.min(names.length - 1, Math.round(names.length * frac));
  const { train, test } = splitGlyphNames(names, testCount, o.seed ?? 0);

  const out = resolve(o.out);
  makeDir(out);
  for (const f of ["train", "test"]) {
    rmSync(join(out, f), { recursive: true, force: true });
    makeDir(join(out, f));
  }
  const jobs = [...train.map((n) => ({ n, dst: join(out, "train", n) })), ...test.map((n) => ({ n, dst: join(out, "test", n) }))];
  let done = 0;
  let bytes = 0;
  await mapLimit(jobs, o.concurrency ?? Math.max(4, DEFAULT_CONCURRENCY), async (j) => {
    const raw = sideBySide(byName.get(j.n)!, size);
    const r = await sharp(raw, { raw: { width: 2 * size, height: size, channels: 3 } }).png().toFile(j.dst);
    bytes += r.size;
    o.onProgress?.(++done, jobs.length);
  });

  const testSet = new Set(test);
  const index = ["file\tsplit\tcodepoint\tchar", ...names.map((n) => `${n}\t${testSet.has(n) ? "test" : "train"}\t${n.slice(0, -4)}\t${String.fromCodePoint(byName.get(n)!.cp)}`)];
  writeFileSync(join(out, "index.tsv"), index.join("\n") + "\n");
  const written = writeFontLicences(out, [sans.info, serif.info]);
  const result: GlyphBuildResult = { out, train, test, size, layout: glyphLayout(size), fonts: { sans: sans.info, serif: serif.info }, candidates: candidates.length, dropped, bytes };
  writeFileSync(join(out, "ATTRIBUTION.md"), glyphAttribution(result, { command: o.command, written, defaultChars: o.chars === undefined }));
  return result;
}

/** `FONT-LICENSE-<PostScript name>.txt` for a font: its name table's copyright and licence. */
export function fontLicenceFileName(f: GlyphFont): string {
  const base = (f.postScriptName ?? `${f.family}-${f.style}`).replace(/[^A-Za-z0-9._-]+/g, "_");
  return `FONT-LICENSE-${base}.txt`;
}

/**
 * Writes each font's copyright and licence text from its name table (FONT-LICENSE-*.txt)
 * and copies Debian copyright files (COPYRIGHT-<package>.txt); returns, per font, the names
 * of the files written for it.
 */
function writeFontLicences(out: string, fonts: readonly GlyphFont[]): Map<GlyphFont, { licence?: string; copyright?: string }> {
  const written = new Map<GlyphFont, { licence?: string; copyright?: string }>();
  const done = new Set<string>();
  for (const f of fonts) {
    const w: { licence?: string; copyright?: string } = {};
    if (f.copyright || f.licenceText || f.licenceUrl) {
      const name = fontLicenceFileName(f);
      if (!done.has(name)) {
        const text = [
          `${f.fullName ?? `${f.family} ${f.style}`}${f.version ? `, ${f.version}` : ""}`,
          `Font file: ${f.file}${f.collectionIndex !== undefined ? ` (face ${f.collectionIndex})` : ""}`,
          `From the font's name table:`,
          "",
          ...(f.copyright ? [`Copyright notice:`, f.copyright, ""] : []),
          ...(f.licenceUrl ? [`Licence URL: ${f.licenceUrl}`, ""] : []),
          ...(f.licenceText ? [`Licence:`, f.licenceText, ""] : []),
        ];
        writeFileSync(join(out, name), text.join("\n").replace(/\r\n?/g, "\n"));
        done.add(name);
      }
      w.licence = name;
    }
    if (f.copyrightFile && f.package) {
      const name = `COPYRIGHT-${f.package}.txt`;
      try {
        if (!done.has(name)) copyFileSync(f.copyrightFile, join(out, name));
        done.add(name);
        w.copyright = name;
      } catch {
        // unreadable copyright file: ATTRIBUTION.md still names it
      }
    }
    written.set(f, w);
  }
  return written;
}

function fontSection(label: string, f: GlyphFont, w: { licence?: string; copyright?: string }): string {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ").trim();
  const lines = [
    `- File: \`${f.file}\`${f.collectionIndex !== undefined ? ` (face ${f.collectionIndex} of the collection)` : ""}${f.source === "file" ? " (given)" : ` (found by its name table as "${f.requested}")`}`,
    f.version ? `- Font version: ${f.version}` : "",
    f.copyright ? `- Copyright: ${oneLine(f.copyright)}` : "",
    `- Licence: ${f.licence ?? "unknown; see the font's own licence"}`,
    f.licenceUrl && !(f.licence ?? "").includes(f.licenceUrl) ? `- Licence URL (name table): ${f.licenceUrl}` : "",
    w.licence ? `- Copyright and licence text from the font's name table: \`${w.licence}\`` : "",
    f.package ? `- Package: \`${f.package}\`${f.packageVersion ? ` ${f.packageVersion}` : ""} (Debian)` : "",
    f.copyrightFile ? `- Copyright file: \`${f.copyrightFile}\`${w.copyright ? ` (copied here as \`${w.copyright}\`)` : ""}` : "",
  ].filter(Boolean);
  return `## ${label}: ${f.family} (${f.style})\n\n${lines.join("\n")}\n`;
}

function glyphAttribution(r: GlyphBuildResult, o: { command?: string; written: Map<GlyphFont, { licence?: string; copyright?: string }>; defaultChars: boolean }): string {
  const L = r.layout;
  const d = r.dropped;
  return `# Glyphs dataset — attribution

The same character drawn in two typefaces, pixel-aligned, for pix2pix (\`layout: paired_ab\`).
Each image \`train/U+XXXX.png\` / \`test/U+XXXX.png\` (the character's Unicode code point) is
${2 * r.size}×${r.size} RGB, black on white: domain A, the sans-serif rendering, is the left half;
domain B, the serif rendering, is the right half. \`index.tsv\` lists each file's split and character.

${r.train.length} characters for training and ${r.test.length} for testing (split by a seeded shuffle), out of
${r.candidates} candidates: ${o.defaultChars ? DEFAULT_CHARS_TEXT : "the characters requested"}.
Left out: ${d.uncovered.length} not in both fonts, ${d.blank.length} blank in a face, ${d.identical.length} drawn identically in both
faces (nothing to translate), ${d.clipped.length} larger than the square.

Rendering: the glyph outlines of the font files (read with opentype.js, unhinted), drawn as SVG
paths and rasterised by librsvg (sharp); font size ${L.fontSize} px in both faces, baseline at
y = ${L.baseline}, each glyph's advance width centred on x = ${L.anchorX} of its ${r.size}×${r.size} half.

${fontSection("Domain A (left, sans)", r.fonts.sans, o.written.get(r.fonts.sans) ?? {})}
${fontSection("Domain B (right, serif)", r.fonts.serif, o.written.get(r.fonts.serif) ?? {})}
The images are renderings of the fonts' glyphs; keep this file (and the licence and copyright
files next to it) with the images when you share them.

## How this folder was built

\`\`\`sh
${o.command ?? "gancc data glyphs"}
\`\`\`
`;
}
