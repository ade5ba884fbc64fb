import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { dataCommand } from "../../src/cli/data.js";
import { compileSource } from "../../src/compiler/compile.js";
import { openDataset } from "../../src/data/dataset.js";
import { DataError } from "../../src/data/errors.js";
import {
  type GlyphBuildResult,
  buildGlyphDataset,
  classifyGlyphPair,
  defaultGlyphCandidates,
  fontPackageHint,
  glyphLayout,
  glyphName,
  parseCharset,
  splitGlyphNames,
} from "../../src/datasets/glyphs.js";
import { tempDir } from "../data/fixtures.js";

/** The fonts are system packages (fonts-dejavu-core); without them or fontconfig there is nothing to render. */
function haveDejaVu(): boolean {
  try {
    const f = (fam: string) => execFileSync("fc-match", ["-f", "%{family}", fam], { encoding: "utf8" });
    return f("DejaVu Sans").split(",").includes("DejaVu Sans") && f("DejaVu Serif").split(",").includes("DejaVu Serif");
  } catch {
    return false;
  }
}
const fonts = haveDejaVu();
if (!fonts) console.warn("glyphs tests skipped: DejaVu Sans/Serif are not installed (apt-get install -y fonts-dejavu-core fontconfig)");

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

  it("parses fontconfig charsets", () => {
    expect([...parseCharset("20-22 41 3b1-3b2\n")]).toEqual([0x20, 0x21, 0x22, 0x41, 0x3b1, 0x3b2]);
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
    const file = (fam: string) => execFileSync("fc-match", ["-f", "%{file}", fam], { encoding: "utf8" });
    for (const s of ["DejaVu Sans", "DejaVu Serif", file("DejaVu Sans"), file("DejaVu Serif"), "gancc data glyphs --test X", "9 characters for training and 3 for testing"]) expect(att).toContain(s);
    if (r.fonts.sans?.package) {
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

  it("a font that is not installed is an error naming it, the substitute and the package", async () => {
    const e = await buildGlyphDataset({ out: join(tmp.dir, "missing"), serif: "Liberation Serif Gancc Test", chars: "Ab" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    const m = (e as Error).message;
    expect(m).toContain('"Liberation Serif Gancc Test" is not installed');
    expect(m).toContain("fc-match");
    expect(m).toMatch(/instead/);
    expect(existsSync(join(tmp.dir, "missing"))).toBe(false);
    await expect(buildGlyphDataset({ out: join(tmp.dir, "same"), sans: "DejaVu Serif", serif: "DejaVu Serif", chars: "Ab" })).rejects.toThrow(/same file/);
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

  it("--help explains the layout, the alignment and how to train pix2pix", () => {
    const glyphs = dataCommand().commands.find((c) => c.name() === "glyphs")!;
    let help = "";
    glyphs.configureOutput({ writeOut: (s) => (help += s) });
    glyphs.outputHelp();
    for (const s of ["paired_ab", "train/", "test/", "left half", "baseline", "text-anchor: middle", "DejaVu Sans", "DejaVu Serif", "fonts-dejavu-core", "data/glyphs", "gancc train specs/pix2pix.gan --data data/glyphs", "--set num_downs=6", "--set size=64 --set load_size=72", "--sans", "--serif", "--test-fraction", "--seed"]) {
      expect(help).toContain(s);
    }
  });

  it("keeps `gancc data emoji`", () => {
    expect(dataCommand().commands.map((c) => c.name())).toEqual(expect.arrayContaining(["emoji", "glyphs"]));
  });
});
