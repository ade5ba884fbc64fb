/**
 * The glyphs dataset: the same character drawn in a sans-serif face (domain A, left half)
 * and a serif face (domain B, right half), pixel-aligned, for pix2pix (`layout: paired_ab`).
 * The default faces are DejaVu Sans and DejaVu Serif (Debian: fonts-dejavu-core).
 *
 * `buildGlyphDataset` writes root/train/U+XXXX.png and root/test/U+XXXX.png, each image
 * 2·size × size RGB, black on white: the sans rendering on the left, the serif one on the
 * right (+ ATTRIBUTION.md, index.tsv and the font packages' copyright files).
 *
 * Alignment: both faces are drawn by the same renderer (an SVG `<text>` through sharp's
 * librsvg/Pango/fontconfig) with the same font size, the same baseline (a fixed y) and
 * the same horizontal anchor (`text-anchor: middle` at the centre of the half), so the two
 * glyphs sit where a typesetter would put them: on one baseline, centred on their advance
 * widths. The layout depends on the size only (`glyphLayout`), never on the font.
 *
 * Coverage: a character is rendered only when both fonts have a glyph for it (the
 * charsets fontconfig reports, `fc-match -f %{charset}`); otherwise Pango would silently
 * draw it from a fallback font. Renderings that are blank in either face, identical in
 * both faces (nothing to translate), or whose ink leaves the size×size square (clipped)
 * are dropped and counted.
 *
 * Speed: glyphs are rendered in atlases of many cells (one librsvg call per atlas, atlases
 * concurrently), cut out of the raw pixels, and encoded to PNG concurrently.
 */
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { Rng } from "../runtime/rng.js";
import { DataError, type WarningSink, listSome } from "../data/errors.js";
import { DEFAULT_CONCURRENCY, mapLimit } from "../data/scan.js";

export const DEFAULT_GLYPH_FONTS = { sans: "DejaVu Sans", serif: "DejaVu Serif" } as const;
export const DEFAULT_GLYPH_SIZE = 64;

/** What fontconfig resolved a family name to. */
export interface GlyphFont {
  /** the family asked for */
  requested: string;
  /** the family fontconfig matched (first of its names) */
  family: string;
  style: string;
  file: string;
  /** the Debian package owning the file (dpkg -S), when known */
  package?: string;
  packageVersion?: string;
  /** licence of the font, from a table of known packages or the package's copyright file */
  licence?: string;
  /** /usr/share/doc/<package>/copyright, when present */
  copyrightFile?: string;
  /** code points the font has glyphs for (undefined: fc-match not available) */
  charset?: Set<number>;
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

/** Debian packages of common free fonts: family pattern → package, licence. */
const KNOWN_FONTS: { family: RegExp; package: string; alt?: string }[] = [
  { family: /^dejavu (sans|serif)( mono)?$/i, package: "fonts-dejavu-core" },
  { family: /^dejavu (sans|serif)( condensed| light| extralight)/i, package: "fonts-dejavu-extra" },
  { family: /^liberation sans narrow$/i, package: "fonts-liberation" },
  { family: /^liberation (sans|serif|mono)$/i, package: "fonts-liberation2", alt: "fonts-liberation" },
  { family: /^free(sans|serif|mono)$/i, package: "fonts-freefont-ttf", alt: "fonts-freefont-otf" },
  { family: /^noto (sans|serif)( |$)/i, package: "fonts-noto-core", alt: "fonts-noto" },
];

const KNOWN_LICENCES: Record<string, string> = {
  "fonts-dejavu-core": "Bitstream Vera Fonts licence (DejaVu changes are in the public domain), a free licence — https://dejavu-fonts.github.io/License.html",
  "fonts-dejavu-extra": "Bitstream Vera Fonts licence (DejaVu changes are in the public domain), a free licence — https://dejavu-fonts.github.io/License.html",
  "fonts-liberation2": "SIL Open Font License 1.1 — https://openfontlicense.org",
  "fonts-liberation": "SIL Open Font License 1.1 — https://openfontlicense.org",
  "fonts-freefont-ttf": "GNU GPL v3 or later, with the GPL font exception — https://www.gnu.org/software/freefont/license.html",
  "fonts-freefont-otf": "GNU GPL v3 or later, with the GPL font exception — https://www.gnu.org/software/freefont/license.html",
  "fonts-noto-core": "SIL Open Font License 1.1 — https://openfontlicense.org",
};

/** The Debian package to install for a family, as advice text. */
export function fontPackageHint(family: string): string {
  const k = KNOWN_FONTS.find((f) => f.family.test(family.trim()));
  if (k) return `install it with \`apt-get install -y ${k.package}\`${k.alt ? ` (or ${k.alt})` : ""}`;
  return `install the package that provides it (find it with \`apt-cache search --names-only fonts-\` or \`apt-file search\`), or pick an installed family from \`fc-list : family\``;
}

/** stdout of a command; undefined when it is not installed or fails. */
function runAsync(cmd: string, args: string[]): Promise<string | undefined> {
  return new Promise((res) => {
    execFile(cmd, args, { encoding: "utf8", timeout: 20_000 }, (err, stdout) => res(err && !stdout ? undefined : stdout));
  });
}

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 20_000 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

/** Parses fontconfig's charset text ("20-7e a0-17f 391"). */
export function parseCharset(text: string): Set<number> {
  const s = new Set<number>();
  for (const tok of text.trim().split(/\s+/)) {
    if (!tok) continue;
    const [a, b] = tok.split("-");
    const lo = parseInt(a!, 16);
    const hi = b === undefined ? lo : parseInt(b, 16);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) continue;
    for (let cp = lo; cp <= hi; cp++) s.add(cp);
  }
  return s;
}

/**
 * Resolves a family through fontconfig. Undefined when fc-match is not installed (no
 * check is then possible); a DataError when fontconfig substitutes another family.
 */
export function resolveFont(family: string, role: string): GlyphFont | undefined {
  if (!family.trim() || /[<>&"]/.test(family)) throw new DataError(`${role} font: \`${family}\` is not a font family name`);
  const sep = "\u001f";
  const out = run("fc-match", ["-f", `%{family}${sep}%{style}${sep}%{file}${sep}%{charset}`, `${family.trim().replace(/([\\\-:,])/g, "\\$1")}:weight=regular:slant=roman`]);
  if (out === undefined) return undefined;
  const [fam = "", style = "", file = "", charset = ""] = out.split(sep);
  const families = fam.split(",").map((f) => f.trim());
  if (!families.some((f) => f.toLowerCase() === family.trim().toLowerCase())) {
    throw new DataError(
      `the ${role} font "${family}" is not installed: fontconfig (fc-match) offers "${families[0] || "nothing"}"${file ? ` (${file})` : ""} instead, ` +
        `which would silently be drawn in its place. ${fontPackageHint(family)[0]!.toUpperCase()}${fontPackageHint(family).slice(1)}; ` +
        `\`fc-list : family\` lists the installed families.`,
    );
  }
  return { requested: family, family: families[0]!, style: style.split(",")[0]!.trim(), file, charset: parseCharset(charset) };
}

/** Fills in the Debian package, version, licence and copyright file of each font (one dpkg call; skipped without dpkg). */
export async function findFontPackages(fonts: readonly (GlyphFont | undefined)[]): Promise<void> {
  const fs = fonts.filter((f): f is GlyphFont => !!f?.file);
  if (!fs.length) return;
  const owners = await runAsync("dpkg", ["-S", ...new Set(fs.map((f) => f.file))]);
  for (const f of fs) {
    const line = owners?.split("\n").find((l) => l.endsWith(`: ${f.file}`));
    const pkg = line?.slice(0, line.length - f.file.length - 2).split(",")[0]!.split(":")[0]!.trim();
    if (!pkg) continue;
    f.package = pkg;
    f.packageVersion = (await runAsync("dpkg-query", ["-W", "-f", "${Version}", pkg]))?.trim() || undefined;
    const cf = `/usr/share/doc/${pkg}/copyright`;
    if (existsSync(cf)) f.copyrightFile = cf;
    f.licence = KNOWN_LICENCES[pkg] ?? licenceFromCopyright(f.copyrightFile);
  }
}

/** The `License:` of the `Files: *` stanza of a DEP-5 copyright file. */
function licenceFromCopyright(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    const text = readFileSync(file, "utf8");
    const m = /^Files:\s*\*\s*$[\s\S]*?^License:\s*(.+)$/m.exec(text);
    return m ? `${m[1]!.trim()} (see the package's copyright file)` : undefined;
  } catch {
    return undefined;
  }
}

// ---- rendering -------------------------------------------------------------------------

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

interface Pair {
  cp: number;
  /** grey values of the two size×size halves, row-major */
  a: Uint8Array;
  b: Uint8Array;
}

/**
 * Renders code points in both faces. Each half sits in a slot with a gutter of size/4 on
 * every side, so ink that leaves the size×size square is seen (and reported as clipped)
 * instead of spilling into a neighbour. Returns, per code point, the two halves and
 * whether either was clipped.
 */
export async function renderGlyphPairs(
  cps: readonly number[],
  o: { size: number; sans: string; serif: string; concurrency?: number },
): Promise<(Pair & { clipped: boolean })[]> {
  const L = glyphLayout(o.size);
  const g = Math.ceil(o.size / 4);
  const slot = o.size + 2 * g;
  const cols = 8;
  const perAtlas = 64;
  const chunks: number[][] = [];
  for (let i = 0; i < cps.length; i += perAtlas) chunks.push(cps.slice(i, i + perAtlas));
  const text = (family: string, x: number, y: number, cp: number) =>
    `<text x="${x}" y="${y}" font-family="${xml(family)}" font-size="${L.fontSize}" font-weight="normal" font-style="normal" text-anchor="middle" xml:space="preserve" fill="#000">${xml(String.fromCodePoint(cp))}</text>`;
  const results = await mapLimit(chunks, o.concurrency ?? DEFAULT_CONCURRENCY, async (chunk) => {
    const rows = Math.ceil(chunk.length / cols);
    const W = cols * 2 * slot;
    const H = rows * slot;
    const parts = chunk.map((cp, i) => {
      const x0 = (i % cols) * 2 * slot;
      const y0 = Math.floor(i / cols) * slot + g + L.baseline;
      return text(o.sans, x0 + g + L.anchorX, y0, cp) + text(o.serif, x0 + slot + g + L.anchorX, y0, cp);
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

// ---- the dataset -----------------------------------------------------------------------

export interface GlyphBuildOptions {
  /** output root; its train/ and test/ are replaced */
  out: string;
  /** size of each half in pixels (default 64); images are 2·size × size */
  size?: number;
  /** the sans-serif family, domain A, left half (default "DejaVu Sans") */
  sans?: string;
  /** the serif family, domain B, right half (default "DejaVu Serif") */
  serif?: string;
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
  onWarning?: WarningSink;
}

export interface GlyphBuildResult {
  out: string;
  /** file names (U+XXXX.png), sorted */
  train: string[];
  test: string[];
  size: number;
  layout: GlyphLayout;
  fonts: { sans: GlyphFont | undefined; serif: GlyphFont | undefined };
  /** candidate characters */
  candidates: number;
  /** characters left out, by reason (the characters themselves) */
  dropped: { uncovered: string[]; blank: string[]; identical: string[]; clipped: string[] };
  /** bytes written under train/ and test/ */
  bytes: number;
}

/** Splits sorted names into train and test with a seeded shuffle; both returned sorted. */
export function splitGlyphNames(names: readonly string[], testCount: number, seed: number): { train: string[]; test: string[] } {
  const shuffled = new Rng(`glyphs-split/${seed}`).shuffle([...names].sort());
  return { test: shuffled.slice(0, testCount).sort(), train: shuffled.slice(testCount).sort() };
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
  const sansName = o.sans ?? DEFAULT_GLYPH_FONTS.sans;
  const serifName = o.serif ?? DEFAULT_GLYPH_FONTS.serif;
  const warn = o.onWarning ?? (() => {});

  const sans = resolveFont(sansName, "sans (domain A)");
  const serif = resolveFont(serifName, "serif (domain B)");
  if (!sans || !serif) {
    warn(`fc-match (fontconfig) was not found, so it cannot be checked that "${sansName}" and "${serifName}" are installed, nor which characters they cover; ` +
      `a missing font or glyph is then drawn from a fallback font (install the fontconfig package to get the checks)`);
  }
  if (sans && serif && sans.file === serif.file) {
    throw new DataError(`the sans font "${sansName}" and the serif font "${serifName}" resolve to the same file, ${sans.file}; the two domains must be two different faces`);
  }

  const candidates = o.chars !== undefined ? toCodePoints(o.chars) : defaultGlyphCandidates();
  const control = candidates.filter((cp) => /^\p{Cc}$/u.test(String.fromCodePoint(cp)));
  const uncovered = candidates.filter((cp) => !control.includes(cp) && ((sans?.charset && !sans.charset.has(cp)) || (serif?.charset && !serif.charset.has(cp))));
  const toRender = candidates.filter((cp) => !control.includes(cp) && !uncovered.includes(cp));
  if (o.chars !== undefined && uncovered.length) warn(`${uncovered.length} of the requested characters are missing from one of the fonts and are left out: ${listSome(uncovered.map(show))}`);

  const [pairs] = await Promise.all([
    renderGlyphPairs(toRender, { size, sans: sansName, serif: serifName, concurrency: o.concurrency ?? Math.max(4, DEFAULT_CONCURRENCY) }),
    findFontPackages([sans, serif]),
  ]);
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
  mkdirSync(out, { recursive: true });
  for (const f of ["train", "test"]) {
    rmSync(join(out, f), { recursive: true, force: true });
    mkdirSync(join(out, f), { recursive: true });
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
  const copied: string[] = [];
  for (const f of [sans, serif]) {
    if (!f?.copyrightFile || !f.package) continue;
    const dst = join(out, `COPYRIGHT-${f.package}.txt`);
    if (copied.includes(dst)) continue;
    try {
      copyFileSync(f.copyrightFile, dst);
      copied.push(dst);
    } catch {
      // unreadable copyright file: ATTRIBUTION.md still names it
    }
  }
  const result: GlyphBuildResult = { out, train, test, size, layout: glyphLayout(size), fonts: { sans, serif }, candidates: candidates.length, dropped, bytes };
  writeFileSync(join(out, "ATTRIBUTION.md"), glyphAttribution(result, { sansName, serifName, command: o.command, copied: copied.map((c) => c.slice(out.length + 1)), defaultChars: o.chars === undefined }));
  return result;
}

function fontSection(label: string, name: string, f: GlyphFont | undefined, copied: string[]): string {
  if (!f) return `## ${label}: ${name}\n\n- Not checked (fontconfig's fc-match was not available); see your system's font packages for the licence.\n`;
  const cp = f.package ? copied.find((c) => c === `COPYRIGHT-${f.package}.txt`) : undefined;
  return `## ${label}: ${f.family} (${f.style})

- File: \`${f.file}\`${f.package ? `\n- Package: \`${f.package}\`${f.packageVersion ? ` ${f.packageVersion}` : ""} (Debian)` : ""}
- Licence: ${f.licence ?? "unknown; see the font's own licence"}${f.copyrightFile ? `\n- Copyright file: \`${f.copyrightFile}\`${cp ? ` (copied here as \`${cp}\`)` : ""}` : ""}
`;
}

function glyphAttribution(r: GlyphBuildResult, o: { sansName: string; serifName: string; command?: string; copied: string[]; defaultChars: boolean }): string {
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

Rendering: SVG \`<text>\` through librsvg/Pango/fontconfig (sharp), font size ${L.fontSize} px in both
faces, baseline at y = ${L.baseline}, \`text-anchor: middle\` at x = ${L.anchorX} of each ${r.size}×${r.size} half.

${fontSection("Domain A (left, sans)", o.sansName, r.fonts.sans, o.copied)}
${fontSection("Domain B (right, serif)", o.serifName, r.fonts.serif, o.copied)}
The images are renderings of the fonts' glyphs; keep this file (and the copyright files next
to it) with the images when you share them.

## How this folder was built

\`\`\`sh
${o.command ?? "gancc data glyphs"}
\`\`\`
`;
}
