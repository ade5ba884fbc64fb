import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DATA_HELP_VALUES, dataCommand } from "../../src/cli/data.js";
import { compileSource } from "../../src/compiler/compile.js";
import { openDataset } from "../../src/data/dataset.js";
import { DataError } from "../../src/data/errors.js";
import {
  DEFAULT_GLYPH_FONTS,
  DEFAULT_GLYPH_SIZE,
  type GlyphBuildResult,
  buildGlyphDataset,
  classifyGlyphPair,
  defaultGlyphCandidates,
  fontCovers,
  fontPackageHint,
  glyphLayout,
  glyphName,
  openGlyphFontFile,
  resolveFont,
  resolveGlyphFonts,
  splitGlyphNames,
} from "../../src/datasets/glyphs.js";
import { debianFontPackage, listFontFiles, readFontFaces, scanFontFaces, systemFontDirs } from "../../src/datasets/fonts.js";
import { tempDir } from "../data/fixtures.js";

/**
 * The fonts are system packages (Debian: fonts-dejavu-core). They are found here by file
 * name in the OS's font folders, independently of the name-table search under test. On
 * dev machines without them the font tests are skipped (with one line saying so); on CI
 * (CI or GANCC_REQUIRE_FONTS set; .ci/run installs the fonts) they run and fail instead.
 */
function findDejaVu(): { sans?: string; serif?: string } {
  const files = listFontFiles(systemFontDirs());
  const byName = (n: string) => files.find((f) => basename(f) === n);
  return { sans: byName("DejaVuSans.ttf"), serif: byName("DejaVuSerif.ttf") };
}
const dejavu = findDejaVu();
const haveFonts = !!(dejavu.sans && dejavu.serif);
const fontsRequired = !!process.env["CI"] || !!process.env["GANCC_REQUIRE_FONTS"];
const fonts = haveFonts || fontsRequired;
if (!haveFonts) {
  console.warn(
    fontsRequired
      ? "glyphs tests: DejaVuSans.ttf/DejaVuSerif.ttf are not in the system font folders, and CI/GANCC_REQUIRE_FONTS is set, so the font tests run and fail (install fonts-dejavu-core)"
      : "glyphs font tests skipped: DejaVuSans.ttf/DejaVuSerif.ttf are not in the system font folders; install them to run the tests (Debian/Ubuntu: apt-get install -y fonts-dejavu-core; macOS: brew install --cask font-dejavu)",
  );
}

const tmp = tempDir("gancc-glyphs-");
afterAll(tmp.cleanup);

const SIZE = 32;
const LETTERS = "AaBbGgQqRr01"; // 12 characters that differ between sans and serif
const BLANK = " "; // covered by both fonts, renders nothing
const SAME = "|"; // DejaVu Serif draws the bar exactly as DejaVu Sans does
const NONE = "\uE000"; // private use: in neither font

/** Grey value of an RGB image's pixel (x, y) in each half, plus the raw data. */
async function halves(file: string): Promise<{ w: number; h: number; channels: number; a: number[]; b: number[] }> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const half = info.width / 2;
  const a: number[] = [];
  const b: number[] = [];
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < half; x++) {
      a.push(data[(y * info.width + x) * info.channels]!);
      b.push(data[(y * info.width + half + x) * info.channels]!);
    }
  }
  return { w: info.width, h: info.height, channels: info.channels, a, b };
}

/** Ink bounding box and centroid of a size×size grey half. */
function ink(px: number[], size: number) {
  let [t, b, l, r, cx, cy, m] = [Infinity, -1, Infinity, -1, 0, 0, 0];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const w = 255 - px[y * size + x]!;
      if (w > 127) [t, b, l, r] = [Math.min(t, y), Math.max(b, y), Math.min(l, x), Math.max(r, x)];
      cx += w * x;
      cy += w * y;
      m += w;
    }
  }
  return { t, b, l, r, cx: cx / m, cy: cy / m };
}

describe("glyph helpers", () => {
  it("names files by code point, safely", () => {
    expect(glyphName(0x41)).toBe("U+0041");
    expect(glyphName(0x416)).toBe("U+0416");
    expect(glyphName(0x1f600)).toBe("U+1F600");
  });

  it("has the same layout for both faces, depending on the size only", () => {
    const L = glyphLayout(64);
    expect(L).toEqual({ size: 64, fontSize: 41.5, baseline: 46, anchorX: 32 });
    expect(glyphLayout(32).anchorX).toBe(16);
  });

  it("default candidates cover ASCII, Latin-1, Greek and Cyrillic letters", () => {
    const c = new Set(defaultGlyphCandidates());
    for (const ch of "AZaz09!?éÆßΩωЖя") expect(c.has(ch.codePointAt(0)!)).toBe(true);
    for (const cp of [0x20, 0xad, 0xd7, 0x0300, 0x037a]) expect(c.has(cp)).toBe(false); // space, soft hyphen, ×, a combining mark, a modifier letter
  });

  it("searches the usual font folders of each OS", () => {
    const linux = systemFontDirs("linux", {}, "/home/me");
    for (const d of ["/usr/share/fonts", "/usr/local/share/fonts", "/home/me/.local/share/fonts", "/home/me/.fonts"]) expect(linux).toContain(d);
    expect(systemFontDirs("linux", { XDG_DATA_HOME: "/data/me" }, "/home/me")).toContain("/data/me/fonts");
    expect(systemFontDirs("darwin", {}, "/Users/me")).toEqual(["/System/Library/Fonts", "/Library/Fonts", "/Users/me/Library/Fonts"]);
    expect(systemFontDirs("win32", { WINDIR: "D:\\Win", LOCALAPPDATA: "C:\\Users\\me\\AppData\\Local" }, "C:\\Users\\me")).toEqual([
      "D:\\Win\\Fonts",
      "C:\\Users\\me\\AppData\\Local\\Microsoft\\Windows\\Fonts",
    ]);
    expect(systemFontDirs("win32", {}, "C:\\Users\\me")).toEqual(["C:\\Windows\\Fonts"]);
  });

  it("classifies pairs as blank, identical or ok", () => {
    const white = new Array(16).fill(255);
    const dot = white.map((v, i) => (i === 5 ? 0 : v));
    const other = white.map((v, i) => (i === 6 ? 0 : v));
    expect(classifyGlyphPair(white, dot)).toBe("blank");
    expect(classifyGlyphPair(dot, white)).toBe("blank");
    expect(classifyGlyphPair(dot, dot.map((v) => (v === 0 ? 40 : v)))).toBe("identical");
    expect(classifyGlyphPair(dot, other)).toBe("ok");
  });

  it("splits deterministically by seed", () => {
    const names = Array.from({ length: 20 }, (_, i) => glyphName(0x41 + i) + ".png");
    expect(splitGlyphNames(names, 4, 7)).toEqual(splitGlyphNames([...names].reverse(), 4, 7));
    expect(new Set([0, 1, 2, 3].map((s) => splitGlyphNames(names, 4, s).test.join())).size).toBeGreaterThan(1);
  });

  it("names the Debian package of a missing font", () => {
    expect(fontPackageHint("Liberation Serif")).toContain("fonts-liberation2");
    expect(fontPackageHint("FreeSerif")).toContain("fonts-freefont-ttf");
    expect(fontPackageHint("Noto Serif")).toContain("fonts-noto-core");
    expect(fontPackageHint("DejaVu Serif")).toContain("fonts-dejavu-core");
  });
});

describe.skipIf(!fonts)("buildGlyphDataset (DejaVu Sans ↔ DejaVu Serif)", () => {
  const out = join(tmp.dir, "small");
  let r: GlyphBuildResult;
  const warnings: string[] = [];

  beforeAll(async () => {
    r = await buildGlyphDataset({ out, size: SIZE, chars: LETTERS + BLANK + SAME + NONE, testFraction: 0.25, seed: 1, command: "gancc data glyphs --test X", onWarning: (m) => warnings.push(m) });
  });

  it("writes train/ and test/ A|B images, 2·size × size RGB, one per kept character", () => {
    expect(r.train.length).toBe(9);
    expect(r.test.length).toBe(3);
    expect(readdirSync(join(out, "train")).sort()).toEqual(r.train);
    expect(readdirSync(join(out, "test")).sort()).toEqual(r.test);
    expect([...r.train, ...r.test].sort()).toEqual([...LETTERS].map((c) => `${glyphName(c.codePointAt(0)!)}.png`).sort());
    for (const f of r.train.slice(0, 3)) expect(f).toMatch(/^U\+[0-9A-F]{4,6}\.png$/);
  });

  it("drops blank, identical and uncovered characters", () => {
    expect(r.dropped.blank).toEqual([BLANK]);
    expect(r.dropped.identical).toEqual([SAME]);
    expect(r.dropped.uncovered).toEqual([NONE]);
    expect(r.dropped.clipped).toEqual([]);
    expect(warnings.join("\n")).toContain("U+E000");
  });

  it("draws the two halves differently but aligned: same baseline region, same centre", async () => {
    for (const f of [...r.train.map((n) => join(out, "train", n)), ...r.test.map((n) => join(out, "test", n))]) {
      const { w, h, channels, a, b } = await halves(f);
      expect([w, h, channels]).toEqual([2 * SIZE, SIZE, 3]);
      const diff = a.filter((v, i) => Math.abs(v - b[i]!) > 64).length;
      expect(diff, f).toBeGreaterThan(3);
      const A = ink(a, SIZE);
      const B = ink(b, SIZE);
      expect(Math.abs(A.cx - B.cx), f).toBeLessThan(1.5);
      expect(Math.abs(A.cy - B.cy), f).toBeLessThan(2);
      // ink boxes overlap heavily (intersection over the smaller box)
      const ix = Math.max(0, Math.min(A.r, B.r) - Math.max(A.l, B.l) + 1);
      const iy = Math.max(0, Math.min(A.b, B.b) - Math.max(A.t, B.t) + 1);
      const smaller = Math.min((A.r - A.l + 1) * (A.b - A.t + 1), (B.r - B.l + 1) * (B.b - B.t + 1));
      expect((ix * iy) / smaller, f).toBeGreaterThan(0.75);
      // letters without descenders sit on the same baseline
      const ch = String.fromCodePoint(parseInt(f.slice(f.lastIndexOf("U+") + 2, -4), 16));
      if (!/[gQq]/.test(ch)) expect(Math.abs(A.b - B.b), f).toBeLessThanOrEqual(1);
    }
  });

  it("writes the attribution with fonts, files, package and licence, and an index", () => {
    const att = readFileSync(join(out, "ATTRIBUTION.md"), "utf8");
    expect(realpathSync(r.fonts.sans.file)).toBe(realpathSync(dejavu.sans!));
    expect(realpathSync(r.fonts.serif.file)).toBe(realpathSync(dejavu.serif!));
    for (const s of ["DejaVu Sans", "DejaVu Serif", r.fonts.sans.file, r.fonts.serif.file, "gancc data glyphs --test X", "9 characters for training and 3 for testing"]) expect(att).toContain(s);
    // copyright and licence from the fonts' name tables, whatever the OS
    expect(att).toContain("Bitstream Vera");
    expect(att).toContain("Copyright (c) 2003 by Bitstream, Inc.");
    for (const f of ["FONT-LICENSE-DejaVuSans.txt", "FONT-LICENSE-DejaVuSerif.txt"]) {
      expect(att).toContain(f);
      const text = readFileSync(join(out, f), "utf8");
      expect(text).toContain("Bitstream Vera Fonts Copyright");
      expect(text).toContain("Permission is hereby granted");
    }
    if (r.fonts.sans.package) {
      expect(att).toContain(r.fonts.sans.package);
      expect(att).toContain("Bitstream Vera");
      expect(existsSync(join(out, `COPYRIGHT-${r.fonts.sans.package}.txt`))).toBe(true);
    }
    const index = readFileSync(join(out, "index.tsv"), "utf8").trim().split("\n");
    expect(index[0]).toBe("file\tsplit\tcodepoint\tchar");
    expect(index).toContain(`U+0041.png\t${r.test.includes("U+0041.png") ? "test" : "train"}\tU+0041\tA`);
  });

  it("is deterministic: same seed, same split and the same bytes; another seed, another split", async () => {
    const again = await buildGlyphDataset({ out: join(tmp.dir, "again"), size: SIZE, chars: LETTERS, testFraction: 0.25, seed: 1 });
    expect(again.test).toEqual(r.test);
    expect(again.train).toEqual(r.train);
    for (const n of r.test) expect(readFileSync(join(tmp.dir, "again", "test", n))).toEqual(readFileSync(join(out, "test", n)));
    const others = await Promise.all([2, 3, 4].map((seed) => buildGlyphDataset({ out: join(tmp.dir, `seed${seed}`), size: SIZE, chars: LETTERS, testFraction: 0.25, seed })));
    expect(others.some((o) => o.test.join() !== r.test.join())).toBe(true);
  });

  it("opens as pix2pix's paired_ab data (specs/pix2pix.gan with its tiny --set values)", async () => {
    const c = compileSource(readFileSync("specs/pix2pix.gan", "utf8"), "specs/pix2pix.gan", {
      set: { ngf: 4, ndf: 4, num_downs: 6, size: 64, load_size: 72, epochs: 1, epochs_decay: 1 },
    });
    expect(c.ir, c.diagnostics.map((d) => d.message).join("\n")).toBeDefined();
    const data = c.ir!.data;
    expect(data.layout).toBe("paired_ab");
    const train = await openDataset(out, data);
    expect(train.paired).toBe(true);
    expect(train.length).toBe(9);
    expect(train.domains.map((d) => [d.name, d.channels, d.images[0]!.width, d.images[0]!.height])).toEqual([
      ["A", 3, SIZE, SIZE],
      ["B", 3, SIZE, SIZE],
    ]);
    expect(train.domains[0]!.images[0]!.region?.left).toBe(0);
    expect(train.domains[1]!.images[0]!.region?.left).toBe(SIZE);
    expect((await openDataset(out, data, { split: "test" })).length).toBe(3);
  });

  it("renders the default characters: hundreds, in a few seconds", async () => {
    const t0 = Date.now();
    const d = await buildGlyphDataset({ out: join(tmp.dir, "default"), size: SIZE });
    const ms = Date.now() - t0;
    const kept = new Set([...d.train, ...d.test]);
    expect(kept.size).toBeGreaterThan(450);
    for (const ch of "AMZamz059ÄéßΑΩαωЖЯжя") expect(kept.has(`${glyphName(ch.codePointAt(0)!)}.png`), ch).toBe(true);
    expect(d.test.length).toBe(Math.round(kept.size * 0.1));
    expect(ms).toBeLessThan(10_000);
  });

  it("a font that is not installed is an error naming it, similar installed families and the flag to pass", async () => {
    const e = await buildGlyphDataset({ out: join(tmp.dir, "missing"), serif: "Liberation Serif Gancc Test", chars: "Ab" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    const m = (e as Error).message;
    expect(m).toContain('"Liberation Serif Gancc Test" is not installed');
    expect(m).toContain("name table");
    expect(m).toContain("--font-serif PATH");
    expect(m).toContain('similar name: ');
    expect(m).toContain('"DejaVu Serif"');
    expect(existsSync(join(tmp.dir, "missing"))).toBe(false);
    await expect(buildGlyphDataset({ out: join(tmp.dir, "same"), sans: "DejaVu Serif", serif: "DejaVu Serif", chars: "Ab" })).rejects.toThrow(/same file/);
  });
});

/** A font collection (.ttc) of single fonts: the "ttcf" header, then each font's table directory and its tables, offsets rewritten. */
function makeCollection(files: readonly string[]): Buffer {
  const fonts = files.map((f) => readFileSync(f));
  const header = Buffer.alloc(12 + 4 * fonts.length);
  header.write("ttcf", 0, "latin1");
  header.writeUInt32BE(0x00010000, 4);
  header.writeUInt32BE(fonts.length, 8);
  const parts: Buffer[] = [header];
  let pos = header.length;
  fonts.forEach((buf, i) => {
    header.writeUInt32BE(pos, 12 + 4 * i);
    const n = buf.readUInt16BE(4);
    const dir = Buffer.from(buf.subarray(0, 12 + 16 * n));
    parts.push(dir);
    pos += dir.length;
    for (let t = 0; t < n; t++) {
      const off = buf.readUInt32BE(12 + 16 * t + 8);
      const len = buf.readUInt32BE(12 + 16 * t + 12);
      dir.writeUInt32BE(pos, 12 + 16 * t + 8);
      const table = Buffer.alloc((len + 3) & ~3);
      buf.copy(table, 0, off, off + len);
      parts.push(table);
      pos += table.length;
    }
  });
  return Buffer.concat(parts);
}

/** A copy of a font with its OS/2 table changed: italic bit set and/or another weight (the name table is left alone). */
function patchedCopy(src: string, dst: string, o: { italic?: boolean; weight?: number }): string {
  const buf = Buffer.from(readFileSync(src));
  const n = buf.readUInt16BE(4);
  for (let t = 0; t < n; t++) {
    if (buf.toString("latin1", 12 + 16 * t, 12 + 16 * t + 4) !== "OS/2") continue;
    const off = buf.readUInt32BE(12 + 16 * t + 8);
    if (o.weight !== undefined) buf.writeUInt16BE(o.weight, off + 4);
    if (o.italic) buf.writeUInt16BE((buf.readUInt16BE(off + 62) | 1) & ~0x40, off + 62);
  }
  writeFileSync(dst, buf);
  return dst;
}

describe.skipIf(!fonts)("finding fonts by their name tables (copies of the DejaVu files under other names)", () => {
  const dir = join(tmp.dir, "fontdir");
  const p = {
    sans: join(dir, "a1.ttf"),
    serif: join(dir, "deeper", "b2.TTF"), // a link, an upper-case extension, a subfolder
    bold: join(dir, "c3.ttf"),
    italic: join(dir, "a0-italic.ttf"), // a patched copy, first in name order: choosing by order alone would pick it
    heavy: join(dir, "e5.ttf"),
    broken: join(dir, "zz.ttf"),
  };
  const dejavuDir = () => join(dejavu.sans!, "..");

  beforeAll(() => {
    mkdirSync(join(dir, "deeper"), { recursive: true });
    patchedCopy(dejavu.sans!, p.italic, { italic: true });
    copyFileSync(dejavu.sans!, p.sans);
    symlinkSync(dejavu.serif!, p.serif);
    copyFileSync(join(dejavuDir(), "DejaVuSans-Bold.ttf"), p.bold);
    patchedCopy(dejavu.sans!, p.heavy, { weight: 900 });
    writeFileSync(p.broken, "this is not a font\n");
  });

  it("reads family, style, weight, width and slant from the name and OS/2 tables", () => {
    const [sans] = readFontFaces(p.sans);
    expect(sans).toMatchObject({ file: p.sans, family: "DejaVu Sans", subfamily: "Book", postScriptName: "DejaVuSans", weight: 400, width: 5, italic: false });
    expect(readFontFaces(p.bold)[0]).toMatchObject({ family: "DejaVu Sans", subfamily: "Bold", weight: 700, italic: false });
    expect(readFontFaces(p.italic)[0]).toMatchObject({ family: "DejaVu Sans", italic: true });
    expect(readFontFaces(p.serif)[0]).toMatchObject({ family: "DejaVu Serif", subfamily: "Book" });
    const scan = scanFontFaces([dir]);
    expect(scan.files).toBe(6);
    expect(scan.unreadable).toEqual([p.broken]);
    expect(scan.faces.map((f) => f.file).sort()).toEqual([p.italic, p.sans, p.bold, p.serif, p.heavy].sort());
  });

  it("finds a family's regular face whatever the file is called, case- and space-insensitively", () => {
    const only = { fontDirs: [dir], systemFonts: false };
    expect(resolveFont("DejaVu Sans", "sans", only).file).toBe(p.sans);
    expect(resolveFont("dejavu   SERIF", "serif", only).file).toBe(p.serif);
    expect(resolveFont("DejaVu Sans Bold", "sans", only).file).toBe(p.bold); // full name
    expect(resolveFont("DejaVuSans-Bold", "sans", only).file).toBe(p.bold); // PostScript name
    const f = resolveFont("DejaVu Sans", "sans", only);
    expect(f).toMatchObject({ family: "DejaVu Sans", style: "Book", source: "family", postScriptName: "DejaVuSans" });
    expect(f.copyright).toContain("Bitstream, Inc.");
    expect(f.licenceText).toContain("Bitstream Vera Fonts Copyright");
    expect(f.licence).toContain("Bitstream Vera");
  });

  it("falls back to another style with a warning when the family has no regular face", () => {
    const boldOnly = join(tmp.dir, "boldonly");
    mkdirSync(boldOnly, { recursive: true });
    copyFileSync(p.bold, join(boldOnly, "x.ttf"));
    const warnings: string[] = [];
    expect(resolveFont("DejaVu Sans", "sans", { fontDirs: [boldOnly], systemFonts: false, onWarning: (m) => warnings.push(m) }).style).toBe("Bold");
    expect(warnings.join()).toMatch(/no regular .* "DejaVu Sans".*Bold/);
  });

  it("builds the dataset from fonts found in --font-dir only, and from the files given directly, with the same pixels", async () => {
    const found = await buildGlyphDataset({ out: join(tmp.dir, "fromdir"), size: SIZE, chars: LETTERS, seed: 1, testFraction: 0.25, fontDirs: [dir], systemFonts: false });
    expect([found.fonts.sans.file, found.fonts.serif.file]).toEqual([p.sans, p.serif]);
    const given = await buildGlyphDataset({ out: join(tmp.dir, "fromfiles"), size: SIZE, chars: LETTERS, seed: 1, testFraction: 0.25, sansFile: dejavu.sans, serifFile: dejavu.serif, systemFonts: false });
    expect(given.fonts.sans.source).toBe("file");
    expect(given.train).toEqual(found.train);
    for (const n of found.train) expect(readFileSync(join(tmp.dir, "fromfiles", "train", n))).toEqual(readFileSync(join(tmp.dir, "fromdir", "train", n)));
    expect(readFileSync(join(tmp.dir, "fromfiles", "ATTRIBUTION.md"), "utf8")).toContain("(given)");
  });

  it("reads faces out of a font collection (.ttc)", async () => {
    const ttcDir = join(tmp.dir, "ttc");
    mkdirSync(ttcDir, { recursive: true });
    const ttc = join(ttcDir, "pair.ttc");
    writeFileSync(ttc, makeCollection([p.bold, dejavu.serif!]));
    expect(readFontFaces(ttc).map((f) => [f.family, f.subfamily, f.collectionIndex])).toEqual([
      ["DejaVu Sans", "Bold", 0],
      ["DejaVu Serif", "Book", 1],
    ]);
    const fonts = resolveGlyphFonts({ fontDirs: [ttcDir], systemFonts: false });
    expect([fonts.sans.info.collectionIndex, fonts.serif.info.collectionIndex]).toEqual([0, 1]);
    for (const ch of "AgЖ") expect(fontCovers(fonts.serif.font, ch.codePointAt(0)!)).toBe(true);
    expect(fontCovers(fonts.serif.font, 0xe000)).toBe(false);
    // the serif face cut out of the collection draws exactly what the single file draws
    const fromTtc = await buildGlyphDataset({ out: join(tmp.dir, "ttc-out"), size: SIZE, chars: LETTERS, fontDirs: [ttcDir], systemFonts: false });
    const fromFiles = await buildGlyphDataset({ out: join(tmp.dir, "ttc-ref"), size: SIZE, chars: LETTERS, sansFile: p.bold, serifFile: dejavu.serif });
    expect(fromTtc.train).toEqual(fromFiles.train);
    for (const n of fromTtc.train) expect(readFileSync(join(tmp.dir, "ttc-out", "train", n))).toEqual(readFileSync(join(tmp.dir, "ttc-ref", "train", n)));
  });
});

describe("font errors", () => {
  it("no suitable font: the error names the family, the folders searched, the flag to pass and the package to install", async () => {
    const empty = join(tmp.dir, "nofonts");
    mkdirSync(empty, { recursive: true });
    const out = join(tmp.dir, "nofonts-out");
    const e = await buildGlyphDataset({ out, fontDirs: [empty], systemFonts: false, chars: "Ab" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    const m = (e as Error).message;
    for (const s of ['sans (domain A) font "DejaVu Sans" is not installed', empty, "no font files", "--font-sans PATH", "apt-get install -y fonts-dejavu-core", "brew install --cask font-dejavu"]) expect(m).toContain(s);
    expect(existsSync(out)).toBe(false);
  });

  it("a font file that is not a font, missing, or a folder is a clear error naming the flag", () => {
    const txt = join(tmp.dir, "readme.ttf");
    writeFileSync(txt, "hello, this is text and not a TrueType font\n");
    const role = { label: "sans (domain A)", flag: "--font-sans" };
    expect(() => openGlyphFontFile(txt, role)).toThrow(DataError);
    const m = (() => {
      try {
        openGlyphFontFile(txt, role);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    for (const part of [`the sans (domain A) font file (--font-sans): ${txt} is not a font file`, "TrueType/OpenType signature", ".ttf, .otf"]) expect(m).toContain(part);
    expect(() => openGlyphFontFile(join(tmp.dir, "nothing.ttf"), role)).toThrow(/--font-sans.*nothing\.ttf does not exist/);
    expect(() => openGlyphFontFile(tmp.dir, role)).toThrow(/--font-sans.*is a folder/);
    const woff = join(tmp.dir, "web.woff2");
    writeFileSync(woff, Buffer.concat([Buffer.from("wOF2"), Buffer.alloc(60)]));
    expect(() => openGlyphFontFile(woff, { label: "serif (domain B)", flag: "--font-serif" })).toThrow(/--font-serif.*WOFF2.*\.ttf or \.otf/);
  });

  it.skipIf(!fonts)("a truncated font file is a clear error too", () => {
    const cut = join(tmp.dir, "cut.ttf");
    writeFileSync(cut, readFileSync(dejavu.sans!).subarray(0, 4096));
    expect(() => openGlyphFontFile(cut, { label: "sans (domain A)", flag: "--font-sans" })).toThrow(/--font-sans.*cut\.ttf is not a font file opentype\.js can read/);
  });

  it("finds the Debian package of a font file in dpkg's database, without dpkg", () => {
    const root = join(tmp.dir, "dpkg");
    mkdirSync(join(root, "info"), { recursive: true });
    const font = join(tmp.dir, "owned.ttf");
    writeFileSync(font, "x");
    writeFileSync(join(root, "info", "fonts-gancc-test.list"), `/.\n/usr\n${font}\n`);
    writeFileSync(join(root, "info", "libfoo1:amd64.list"), `${font}\n`); // not a font package: not read
    writeFileSync(join(root, "status"), `Package: fonts-gancc-other\nStatus: install ok installed\nVersion: 9\n\nPackage: fonts-gancc-test\nStatus: install ok installed\nVersion: 1.2-3\n`);
    expect(debianFontPackage(font, root)).toEqual({ package: "fonts-gancc-test", version: "1.2-3" });
    expect(debianFontPackage(join(tmp.dir, "other.ttf"), root)).toBeUndefined();
    expect(debianFontPackage(font, join(tmp.dir, "no-dpkg"))).toBeUndefined();
  });
});

describe("gancc data glyphs (command)", () => {
  it.skipIf(!fonts)("builds the set", async () => {
    const out = join(tmp.dir, "cli");
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await dataCommand().parseAsync(["glyphs", "--size", "32", "--chars", "AaBbCcDd", "--out", out, "--test-fraction", "0.25", "--seed", "2"], { from: "user" });
    } finally {
      err.mockRestore();
    }
    expect(readdirSync(join(out, "train")).length).toBe(6);
    expect(readdirSync(join(out, "test")).length).toBe(2);
    expect((await sharp(join(out, "test", readdirSync(join(out, "test"))[0]!)).metadata()).width).toBe(64);
    expect(readFileSync(join(out, "ATTRIBUTION.md"), "utf8")).toContain(`gancc data glyphs --size 32 --chars "AaBbCcDd" --test-fraction 0.25 --seed 2 --out ${out}`);
  });

  it.skipIf(!fonts)("a missing font is a clear CLI error", async () => {
    await expect(dataCommand().exitOverride().parseAsync(["glyphs", "--sans", "FreeSans Gancc Test", "--out", join(tmp.dir, "cli2")], { from: "user" })).rejects.toThrow(/"FreeSans Gancc Test" is not installed/);
  });

  it("--font-sans with a file that is not a font is a clear CLI error, and writes nothing", async () => {
    const txt = join(tmp.dir, "notes.ttf");
    writeFileSync(txt, "not a font at all, just some text\n");
    const out = join(tmp.dir, "cli3");
    const e = await dataCommand().exitOverride().parseAsync(["glyphs", "--font-sans", txt, "--out", out], { from: "user" }).catch((x: unknown) => x);
    expect((e as Error).constructor.name).toBe("CliError");
    expect((e as Error).message).toContain(`the sans (domain A) font file (--font-sans): ${txt} is not a font file`);
    expect(existsSync(out)).toBe(false);
  });

  it.skipIf(!fonts)("--font-sans/--font-serif use the files given, and the command is recorded", async () => {
    const out = join(tmp.dir, "cli4");
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    let printed = "";
    err.mockImplementation((s) => ((printed += String(s)), true));
    try {
      await dataCommand().parseAsync(["glyphs", "--size", "32", "--chars", "AaBb", "--font-sans", dejavu.serif!, "--font-serif", dejavu.sans!, "--out", out], { from: "user" });
    } finally {
      err.mockRestore();
    }
    const att = readFileSync(join(out, "ATTRIBUTION.md"), "utf8");
    expect(att).toContain(`--font-sans ${JSON.stringify(dejavu.serif)} --font-serif ${JSON.stringify(dejavu.sans)}`);
    expect(att).toMatch(/Domain A \(left, sans\): DejaVu Serif/);
    expect(printed).toContain(`A = DejaVu Serif Book (${dejavu.serif}`);
  });

  it("--font-sans and --sans together are refused", async () => {
    const data = dataCommand();
    data.commands.find((c) => c.name() === "glyphs")!.exitOverride().configureOutput({ writeErr: () => {} });
    await expect(data.parseAsync(["glyphs", "--sans", "DejaVu Sans", "--font-sans", "x.ttf"], { from: "user" })).rejects.toThrow(/--font-sans.*cannot be used with.*--sans/);
  });

  it("--help explains the layout, the alignment and how to train pix2pix", () => {
    const glyphs = dataCommand().commands.find((c) => c.name() === "glyphs")!;
    let help = "";
    glyphs.configureOutput({ writeOut: (s) => (help += s) });
    glyphs.outputHelp();
    for (const s of ["paired_ab", "train/", "test/", "left half", "baseline", "text-anchor: middle", "DejaVu Sans", "DejaVu Serif", "fonts-dejavu-core", "data/glyphs", "gancc train specs/pix2pix.gan --data data/glyphs", "--set num_downs=6", "--set size=64 --set load_size=72", "--sans", "--serif", "--test-fraction", "--seed"]) {
      expect(help).toContain(s);
    }
  });

  it("--help and the flags' defaults show the library's defaults", () => {
    const L = glyphLayout(DEFAULT_GLYPH_SIZE);
    expect(DATA_HELP_VALUES.glyphs).toEqual({ ...DEFAULT_GLYPH_FONTS, size: DEFAULT_GLYPH_SIZE, fontSize: L.fontSize, baseline: L.baseline, anchorX: L.anchorX });
  });

  it("keeps `gancc data emoji`", () => {
    expect(dataCommand().commands.map((c) => c.name())).toEqual(expect.arrayContaining(["emoji", "glyphs"]));
  });
});
