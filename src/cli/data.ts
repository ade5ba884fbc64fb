// `gancc data …`: ready-made datasets: `gancc data emoji` (unpaired) and `gancc data glyphs` (paired, pix2pix).
// Only flags, calls into src/datasets and printing here; the work is in the library. The
// library (sharp, opentype.js) is imported when a command runs, so that building the
// command line and --help stay light (test/cli/lazy.test.ts).
import { join } from "node:path";
import { Command, Option } from "commander";
import { DataError } from "../data/errors.js";
import type { EmojiSubset } from "../datasets/emoji_packages.js";
import { CliError, parsePositiveInt } from "./common.js";

/**
 * Library values the flags and --help show, repeated here so that they are available without
 * loading the library; test/datasets/emoji_packages.test.ts and glyphs.test.ts check that
 * they equal EMOJI_PACKAGES, DEFAULT_GLYPH_FONTS, DEFAULT_GLYPH_SIZE and glyphLayout(64).
 */
export const DATA_HELP_VALUES = {
  emoji: { A: "emoji-datasource-google", B: "emoji-datasource-twitter", version: "16.0.0" },
  glyphs: { sans: "DejaVu Sans", serif: "DejaVu Serif", size: 64, fontSize: 41.5, baseline: 46, anchorX: 32 },
} as const;
const EMOJI = DATA_HELP_VALUES.emoji;
const GLYPHS = DATA_HELP_VALUES.glyphs;

function parseFraction(v: string): number {
  const f = Number(v);
  if (!Number.isFinite(f) || f < 0 || f >= 1) throw new CliError(`--test-fraction expects a number in [0, 1), got \`${v}\` (e.g. 0.1)`);
  return f;
}

function parseSeed(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--seed expects a non-negative integer, got \`${v}\``);
  return n;
}

interface EmojiOpts {
  size: number;
  out: string;
  testFraction?: number;
  seed: number;
  subset: EmojiSubset;
  cache?: string;
  from?: string;
  quiet?: boolean;
}

export function dataCommand(): Command {
  const data = new Command("data").description("download and build ready-made datasets (see `gancc data emoji --help`, `gancc data glyphs --help`)");
  data
    .command("emoji")
    .description("build the emoji dataset: Noto Emoji (domain A) and Twemoji (domain B), the same emoji in two styles")
    .addOption(new Option("--size <N>", "image size in pixels (the packages ship 64; other sizes are resized with Lanczos)").argParser(parsePositiveInt("--size")).default(64))
    .option("--out <dir>", "output folder; its trainA/ trainB/ testA/ testB/ are replaced", join("data", "emoji-full"))
    .addOption(new Option("--test-fraction <F>", "share of the emoji held out for testA/ testB/ (default 0.1; 50 emoji with --subset default)").argParser(parseFraction))
    .addOption(new Option("--seed <S>", "seed of the train/test split").argParser(parseSeed).default(0))
    .addOption(new Option("--subset <which>", "all: every emoji in both packages (~1,911); default: the 450 of the bundled data/emoji/").choices(["all", "default"]).default("all"))
    .option("--cache <dir>", `where npm installs the two packages (default: $XDG_CACHE_HOME/gancc/emoji-datasource-${EMOJI.version}, $XDG_CACHE_HOME being ~/.cache when unset)`)
    .option("--from <dir>", "use the two packages already installed under DIR (DIR/node_modules/emoji-datasource-*); no npm, no network")
    .option("-q, --quiet", "print only errors")
    .addHelpText(
      "after",
      `
What it does:
  Installs ${EMOJI.A}@${EMOJI.version} and ${EMOJI.B}@${EMOJI.version}
  with npm into the --cache folder (~150 MB, kept for later runs; never into a package.json;
  skipped with --from), takes every emoji both packages draw (skin-tone variants left out),
  splits them into train and test with a seeded shuffle, and writes under --out:
    trainA/ testA/   Noto Emoji PNGs (domain A)      same file name = same emoji,
    trainB/ testB/   Twemoji PNGs (domain B)         e.g. 1f600.png = 😀
    ATTRIBUTION.md, LICENSE-Apache-2.0.txt, index.tsv (split, category, name per file)
  The result is an unpaired (or paired_folders) dataset for a spec with two image[3]
  domains. Transparent backgrounds are composited onto white when images are read.

Licences (keep ATTRIBUTION.md with the images when you share them):
  Noto Emoji images: Apache License 2.0, © Google.
  Twemoji images:    CC BY 4.0, © Twitter, Inc and other contributors.
  The bundled data/emoji/ (450 emoji, 64×64) is \`gancc data emoji --subset default --out data/emoji\`.

Examples:
  gancc data emoji                          ~1,911 emoji into data/emoji-full/
  gancc data emoji --size 128 --out data/emoji128`,
    )
    .action(async (o: EmojiOpts) => {
      const log = (s: string) => {
        if (!o.quiet) process.stderr.write(s + "\n");
      };
      const command = ["gancc data emoji", o.subset !== "all" ? `--subset ${o.subset}` : "", o.size !== 64 ? `--size ${o.size}` : "", o.testFraction !== undefined ? `--test-fraction ${o.testFraction}` : "", o.seed ? `--seed ${o.seed}` : "", `--out ${o.out}`]
        .filter(Boolean)
        .join(" ");
      const tty = process.stderr.isTTY && !o.quiet;
      let lastPct = 0;
      try {
        const { EMOJI_PACKAGES, buildEmojiDataset, packageImageDir } = await import("../datasets/emoji.js");
        const { defaultEmojiCacheDir, ensureEmojiPackages, findEmojiPackages, selectEmoji } = await import("../datasets/emoji_packages.js");
        let pk;
        try {
          pk = o.from ? findEmojiPackages(o.from) : await ensureEmojiPackages(o.cache ?? defaultEmojiCacheDir(), { onLog: log });
        } catch (e) {
          if (e instanceof DataError && o.from) throw new CliError(`--from ${o.from}: ${e.message}`);
          throw e;
        }
        const sel = selectEmoji(pk.A, o.subset);
        const r = await buildEmojiDataset({
          dirA: packageImageDir(pk.A, EMOJI_PACKAGES.A),
          dirB: packageImageDir(pk.B, EMOJI_PACKAGES.B),
          out: o.out,
          names: sel.names,
          catalog: sel.catalog,
          size: o.size,
          testFraction: o.testFraction,
          testCount: o.testFraction === undefined ? sel.defaultTestCount : undefined,
          seed: o.seed,
          command,
          selection: sel.selection,
          onWarning: (m) => log(`warning: ${m}`),
          onProgress: (done, total) => {
            const pct = Math.floor((100 * done) / total);
            if (tty) process.stderr.write(`\rwriting images ${done}/${total}`);
            else if (pct >= lastPct + 25 || done === total) {
              lastPct = pct;
              log(`writing images ${done}/${total}`);
            }
          },
        });
        if (tty) process.stderr.write("\n");
        log(`wrote ${r.out}: ${r.train.length} train and ${r.test.length} test emoji per domain (${((r.bytes / 1024 / 1024) || 0).toFixed(1)} MB); licences in ATTRIBUTION.md`);
      } catch (e) {
        if (e instanceof DataError) throw new CliError(e.message);
        throw e;
      }
    });
  data.addCommand(glyphsCommand());
  return data;
}

interface GlyphsOpts {
  size: number;
  out: string;
  sans: string;
  serif: string;
  fontSans?: string;
  fontSerif?: string;
  fontDir: string[];
  chars?: string;
  testFraction: number;
  seed: number;
  quiet?: boolean;
}

/** The --set values of the tiny pix2pix in specs/pix2pix.gan's header, for size-64 glyphs. */
export const GLYPHS_PIX2PIX_SET = "--set ngf=4 --set ndf=4 --set num_downs=6 --set size=64 --set load_size=72 --set epochs=1 --set epochs_decay=1";

/** A ~10-minute CPU run: 2,700 iterations at ~4.5 it/s (wasm backend, 2 cores, measured over the first 60). */
export const GLYPHS_PIX2PIX_CPU_SET = "--set ngf=8 --set ndf=8 --set num_downs=6 --set size=64 --set load_size=72 --set epochs=3 --set epochs_decay=2";

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

function glyphsCommand(): Command {
  const L = GLYPHS;
  return new Command("glyphs")
    .description("build the glyphs dataset: each character in a sans face (A, left) and a serif face (B, right), pixel-aligned, for pix2pix")
    .addOption(new Option("--size <N>", "size of each half in pixels; images are 2·N × N").argParser(parsePositiveInt("--size")).default(GLYPHS.size))
    .option("--out <dir>", "output folder; its train/ and test/ are replaced", join("data", "glyphs"))
    .option("--sans <font>", "sans-serif font family (domain A, left half)", GLYPHS.sans)
    .option("--serif <font>", "serif font family (domain B, right half)", GLYPHS.serif)
    .addOption(new Option("--font-sans <file>", "font file for domain A (.ttf, .otf or .ttc) instead of searching for --sans").conflicts("sans"))
    .addOption(new Option("--font-serif <file>", "font file for domain B instead of searching for --serif").conflicts("serif"))
    .addOption(new Option("--font-dir <dir>", "also search DIR (and its subfolders) for the families, before the system font folders; repeatable").argParser(collect).default([]))
    .option("--chars <text>", "the characters to render (default: printable ASCII and the Latin-1, Latin Extended-A, Greek and Cyrillic letters and digits both fonts have)")
    .addOption(new Option("--test-fraction <F>", "share of the characters held out in test/").argParser(parseFraction).default(0.1))
    .addOption(new Option("--seed <S>", "seed of the train/test split").argParser(parseSeed).default(0))
    .option("-q, --quiet", "print only errors")
    .addHelpText(
      "after",
      `
What it writes (layout: paired_ab, as pix2pix's data section reads it):
  <out>/train/U+0041.png …   A|B images, 2·size × size RGB, black on white:
  <out>/test/U+0416.png …      left half  = the character in --sans  (domain A)
                               right half = the same character in --serif (domain B)
  <out>/index.tsv (file, split, character), ATTRIBUTION.md (fonts, files, licences),
  FONT-LICENSE-<font>.txt (copyright and licence from each font's name table), and on
  Debian COPYRIGHT-<package>.txt (the font packages' copyright files).
  File names are code points (U+0041.png = A), safe on every filesystem.

Alignment:
  Both faces are drawn the same way: each glyph's outline, read from the font file with
  opentype.js, becomes an SVG path rasterised by sharp (librsvg), at the same font size
  (0.65·size), on the same baseline (a fixed y) and with its advance width centred on the
  same x (as SVG text-anchor: middle places text), so A and B are pixel-aligned as pix2pix
  needs; at the default size: font size ${L.fontSize} px, baseline y = ${L.baseline}, centre x = ${L.anchorX}.
  No system font lookup is involved: the same font files give the same pixels on every OS.
  Characters are kept only when both fonts have a glyph for them (their cmap tables) and
  the two renderings are non-blank, different, and inside the square. Default characters:
  printable ASCII and the letters and digits of Latin-1, Latin Extended-A, Greek and
  Cyrillic that both fonts cover (~600 with DejaVu).

Fonts:
  --sans and --serif are family names, looked up in the fonts' own name tables (family,
  typographic family, full or PostScript name) in the --font-dir folders and the system's:
    Linux    /usr/share/fonts, /usr/local/share/fonts, ~/.local/share/fonts, ~/.fonts
    macOS    /System/Library/Fonts, /Library/Fonts, ~/Library/Fonts
    Windows  %WINDIR%\\Fonts, %LOCALAPPDATA%\\Microsoft\\Windows\\Fonts
  The most regular face of the family is used (upright, weight 400, normal width).
  --font-sans FILE / --font-serif FILE use a font file directly (.ttf, .otf, .ttc).
  Free families (the default needs only DejaVu):
    DejaVu Sans, DejaVu Serif          Debian fonts-dejavu-core    Bitstream Vera licence (free)
                                       macOS brew install --cask font-dejavu
    Liberation Sans, Liberation Serif  Debian fonts-liberation2    SIL OFL 1.1
    FreeSans, FreeSerif                Debian fonts-freefont-ttf   GPL-3+ with font exception
    Noto Sans, Noto Serif              Debian fonts-noto-core      SIL OFL 1.1
  e.g. apt-get update && apt-get install -y fonts-liberation2, then
  --sans "Liberation Sans" --serif "Liberation Serif". A family that is not found is an
  error naming the folders searched and similar installed families. The fonts' copyright
  and licence (from their name tables) are written next to the images.

Train pix2pix on it (size 64 fits pix2pix's small settings: each 64×64 half is resized
to 72 and randomly cropped back to 64, for a U-Net with 6 levels):
  gancc data glyphs
  gancc train specs/pix2pix.gan --data data/glyphs \\
    ${GLYPHS_PIX2PIX_SET.replace("--set size", "\\\n    --set size")}
  These are the tiny values of specs/pix2pix.gan's header: 2 epochs of the ~540 training
  pairs, ~2 minutes on the CPU (wasm backend). For a ~10-minute CPU run (~4.5 it/s
  measured with the wasm backend, batch 1, 2,700 iterations):
  gancc train specs/pix2pix.gan --data data/glyphs \\
    ${GLYPHS_PIX2PIX_CPU_SET.replace("--set size", "\\\n    --set size")}
  Other sizes: --set size=N with N a multiple of 2^num_downs and load_size ≈ 1.125·N,
  e.g. --size 32 with --set size=32 --set load_size=36 --set num_downs=5.

Examples:
  gancc data glyphs                                  ~600 characters into data/glyphs/
  gancc data glyphs --size 32 --chars ABCDEFGHIJKLabcdefghijkl --out /tmp/glyphs
  gancc data glyphs --font-sans ~/fonts/MySans.ttf --font-serif ~/fonts/MySerif.otf`,
    )
    .action(async (o: GlyphsOpts) => {
      const log = (s: string) => {
        if (!o.quiet) process.stderr.write(s + "\n");
      };
      const command = [
        "gancc data glyphs",
        o.size !== GLYPHS.size ? `--size ${o.size}` : "",
        o.fontSans !== undefined ? `--font-sans ${JSON.stringify(o.fontSans)}` : o.sans !== GLYPHS.sans ? `--sans ${JSON.stringify(o.sans)}` : "",
        o.fontSerif !== undefined ? `--font-serif ${JSON.stringify(o.fontSerif)}` : o.serif !== GLYPHS.serif ? `--serif ${JSON.stringify(o.serif)}` : "",
        ...o.fontDir.map((d) => `--font-dir ${JSON.stringify(d)}`),
        o.chars !== undefined ? `--chars ${JSON.stringify(o.chars)}` : "",
        o.testFraction !== 0.1 ? `--test-fraction ${o.testFraction}` : "",
        o.seed ? `--seed ${o.seed}` : "",
        `--out ${o.out}`,
      ]
        .filter(Boolean)
        .join(" ");
      const t0 = Date.now();
      try {
        const { buildGlyphDataset } = await import("../datasets/glyphs.js");
        const r = await buildGlyphDataset({
          out: o.out,
          size: o.size,
          sans: o.sans,
          serif: o.serif,
          sansFile: o.fontSans,
          serifFile: o.fontSerif,
          fontDirs: o.fontDir,
          chars: o.chars,
          testFraction: o.testFraction,
          seed: o.seed,
          command,
          onWarning: (m) => log(`warning: ${m}`),
        });
        const d = r.dropped;
        const font = (f: typeof r.fonts.sans) => `${f.family} ${f.style} (${f.file}${f.collectionIndex !== undefined ? ` face ${f.collectionIndex}` : ""}${f.package ? `, ${f.package}` : ""})`;
        log(`fonts: A = ${font(r.fonts.sans)}, B = ${font(r.fonts.serif)}`);
        log(
          `wrote ${r.out}: ${r.train.length} train and ${r.test.length} test pairs, ${2 * r.size}×${r.size} (${(r.bytes / 1024 / 1024).toFixed(1)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
            `of ${r.candidates} candidate characters left out ${d.uncovered.length} not in both fonts, ${d.blank.length} blank, ${d.identical.length} identical in both faces, ${d.clipped.length} clipped; licences in ATTRIBUTION.md`,
        );
      } catch (e) {
        if (e instanceof DataError) throw new CliError(e.message);
        throw e;
      }
    });
}
