// `gancc data …`: ready-made datasets: `gancc data emoji` (unpaired) and `gancc data glyphs` (paired, pix2pix).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { DataError } from "../data/errors.js";
import { DEFAULT_SUBSET, DEFAULT_SUBSET_TEXT, EMOJI_PACKAGES, type EmojiPackage, buildEmojiDataset, packageImageDir, readEmojiCatalog, selectDefaultSubset } from "../datasets/emoji.js";
import { DEFAULT_GLYPH_FONTS, DEFAULT_GLYPH_SIZE, buildGlyphDataset, glyphLayout } from "../datasets/glyphs.js";
import { CliError, parsePositiveInt } from "./common.js";

function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "gancc", `emoji-datasource-${EMOJI_PACKAGES.A.version}`);
}

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

function installedVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

/** Installs the two packages into `cache` with npm unless they are already there; returns their folders. */
async function ensurePackages(cache: string, log: (s: string) => void): Promise<{ A: string; B: string }> {
  const dir = (p: EmojiPackage) => join(cache, "node_modules", p.name);
  const pkgs = [EMOJI_PACKAGES.A, EMOJI_PACKAGES.B];
  if (pkgs.every((p) => installedVersion(dir(p)) === p.version)) {
    log(`using the packages already in ${cache}`);
    return { A: dir(EMOJI_PACKAGES.A), B: dir(EMOJI_PACKAGES.B) };
  }
  mkdirSync(cache, { recursive: true });
  const specs = pkgs.map((p) => `${p.name}@${p.version}`);
  log(`installing ${specs.join(" and ")} with npm into ${cache} (about 150 MB on disk, kept for later runs) …`);
  const args = ["install", "--prefix", cache, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--progress=true", ...specs];
  const code = await new Promise<number>((res, rej) => {
    const child = spawn("npm", args, { stdio: ["ignore", 2, 2], shell: process.platform === "win32" });
    child.on("error", rej);
    child.on("close", (c) => res(c ?? 1));
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") throw new CliError("npm was not found on PATH; `gancc data emoji` installs the emoji packages with npm (it comes with Node.js)");
    throw new CliError(`could not run npm: ${e.message}`);
  });
  if (code !== 0) {
    throw new CliError(
      `\`npm ${args.join(" ")}\` failed (exit code ${code}). Is the npm registry reachable from here (\`npm config get registry\`, proxy settings)? ` +
        `Nothing was written to the output folder. Without network, install the two packages elsewhere and pass that folder with --from DIR.`,
    );
  }
  for (const p of pkgs) if (installedVersion(dir(p)) !== p.version) throw new CliError(`npm finished but ${dir(p)} does not hold ${p.name}@${p.version}`);
  return { A: dir(EMOJI_PACKAGES.A), B: dir(EMOJI_PACKAGES.B) };
}

/** The package folders under --from: DIR/node_modules/<name>, DIR/<name>, or DIR itself holding node_modules. */
function packagesFrom(from: string): { A: string; B: string } {
  const find = (p: EmojiPackage): string => {
    for (const c of [join(from, "node_modules", p.name), join(from, p.name)]) if (existsSync(packageImageDir(c, p))) return c;
    throw new CliError(`--from ${from}: found no ${p.name} there (looked for node_modules/${p.name}/img/${p.style}/64 and ${p.name}/img/${p.style}/64)`);
  };
  return { A: find(EMOJI_PACKAGES.A), B: find(EMOJI_PACKAGES.B) };
}

interface EmojiOpts {
  size: number;
  out: string;
  testFraction?: number;
  seed: number;
  subset: "all" | "default";
  cache: string;
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
    .option("--cache <dir>", "where npm installs the two packages", defaultCacheDir())
    .option("--from <dir>", "use the two packages already installed under DIR (DIR/node_modules/emoji-datasource-*); no npm, no network")
    .option("-q, --quiet", "print only errors")
    .addHelpText(
      "after",
      `
What it does:
  Installs ${EMOJI_PACKAGES.A.name}@${EMOJI_PACKAGES.A.version} and ${EMOJI_PACKAGES.B.name}@${EMOJI_PACKAGES.B.version}
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
      const pk = o.from ? packagesFrom(o.from) : await ensurePackages(o.cache, log);
      const catalog = readEmojiCatalog(pk.A);
      const names = o.subset === "default" ? (catalog ? selectDefaultSubset(catalog) : undefined) : catalog?.map((e) => e.image);
      if (o.subset === "default" && !names) throw new CliError(`--subset default needs the package's emoji.json, which ${pk.A} lacks`);
      const command = ["gancc data emoji", o.subset !== "all" ? `--subset ${o.subset}` : "", o.size !== 64 ? `--size ${o.size}` : "", o.testFraction !== undefined ? `--test-fraction ${o.testFraction}` : "", o.seed ? `--seed ${o.seed}` : "", `--out ${o.out}`]
        .filter(Boolean)
        .join(" ");
      const tty = process.stderr.isTTY && !o.quiet;
      let lastPct = 0;
      try {
        const r = await buildEmojiDataset({
          dirA: packageImageDir(pk.A, EMOJI_PACKAGES.A),
          dirB: packageImageDir(pk.B, EMOJI_PACKAGES.B),
          out: o.out,
          names,
          catalog,
          size: o.size,
          testFraction: o.testFraction,
          testCount: o.subset === "default" && o.testFraction === undefined ? DEFAULT_SUBSET.testCount : undefined,
          seed: o.seed,
          command,
          selection: o.subset === "default" ? DEFAULT_SUBSET_TEXT : undefined,
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
  chars?: string;
  testFraction: number;
  seed: number;
  quiet?: boolean;
}

/** The --set values of the tiny pix2pix in specs/pix2pix.gan's header, for size-64 glyphs. */
export const GLYPHS_PIX2PIX_SET = "--set ngf=4 --set ndf=4 --set num_downs=6 --set size=64 --set load_size=72 --set epochs=1 --set epochs_decay=1";

/** A ~10-minute CPU run: 2,700 iterations at ~4.5 it/s (wasm backend, 2 cores, measured over the first 60). */
export const GLYPHS_PIX2PIX_CPU_SET = "--set ngf=8 --set ndf=8 --set num_downs=6 --set size=64 --set load_size=72 --set epochs=3 --set epochs_decay=2";

function glyphsCommand(): Command {
  const L = glyphLayout(DEFAULT_GLYPH_SIZE);
  return new Command("glyphs")
    .description("build the glyphs dataset: each character in a sans face (A, left) and a serif face (B, right), pixel-aligned, for pix2pix")
    .addOption(new Option("--size <N>", "size of each half in pixels; images are 2·N × N").argParser(parsePositiveInt("--size")).default(DEFAULT_GLYPH_SIZE))
    .option("--out <dir>", "output folder; its train/ and test/ are replaced", join("data", "glyphs"))
    .option("--sans <font>", "sans-serif font family (domain A, left half)", DEFAULT_GLYPH_FONTS.sans)
    .option("--serif <font>", "serif font family (domain B, right half)", DEFAULT_GLYPH_FONTS.serif)
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
  <out>/index.tsv (file, split, character), ATTRIBUTION.md (fonts, files, Debian
  packages, licences), COPYRIGHT-<package>.txt (the font packages' copyright files).
  File names are code points (U+0041.png = A), safe on every filesystem.

Alignment:
  Both faces are rendered by the same renderer (SVG text through sharp/librsvg/fontconfig)
  at the same font size (0.65·size), on the same baseline (a fixed y) and centred on the
  same x (text-anchor: middle), so A and B are pixel-aligned as pix2pix needs; at the
  default size: font size ${L.fontSize} px, baseline y = ${L.baseline}, centre x = ${L.anchorX}.
  Characters are kept only when both fonts have a glyph for them (fc-match charsets) and
  the two renderings are non-blank, different, and inside the square. Default characters:
  printable ASCII and the letters and digits of Latin-1, Latin Extended-A, Greek and
  Cyrillic that both fonts cover (~600 with DejaVu).

Fonts (Debian packages; the default needs only fonts-dejavu-core):
  DejaVu Sans, DejaVu Serif          fonts-dejavu-core    Bitstream Vera licence (free)
  Liberation Sans, Liberation Serif  fonts-liberation2    SIL OFL 1.1
  FreeSans, FreeSerif                fonts-freefont-ttf   GPL-3+ with font exception
  Noto Sans, Noto Serif              fonts-noto-core      SIL OFL 1.1
  e.g. apt-get update && apt-get install -y fonts-liberation2, then
  --sans "Liberation Sans" --serif "Liberation Serif". A font that is not installed is an
  error naming what fontconfig would use instead (\`fc-list : family\` lists families).

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
  gancc data glyphs --size 32 --chars ABCDEFGHIJKLabcdefghijkl --out /tmp/glyphs`,
    )
    .action(async (o: GlyphsOpts) => {
      const log = (s: string) => {
        if (!o.quiet) process.stderr.write(s + "\n");
      };
      const command = [
        "gancc data glyphs",
        o.size !== DEFAULT_GLYPH_SIZE ? `--size ${o.size}` : "",
        o.sans !== DEFAULT_GLYPH_FONTS.sans ? `--sans ${JSON.stringify(o.sans)}` : "",
        o.serif !== DEFAULT_GLYPH_FONTS.serif ? `--serif ${JSON.stringify(o.serif)}` : "",
        o.chars !== undefined ? `--chars ${JSON.stringify(o.chars)}` : "",
        o.testFraction !== 0.1 ? `--test-fraction ${o.testFraction}` : "",
        o.seed ? `--seed ${o.seed}` : "",
        `--out ${o.out}`,
      ]
        .filter(Boolean)
        .join(" ");
      const t0 = Date.now();
      try {
        const r = await buildGlyphDataset({
          out: o.out,
          size: o.size,
          sans: o.sans,
          serif: o.serif,
          chars: o.chars,
          testFraction: o.testFraction,
          seed: o.seed,
          command,
          onWarning: (m) => log(`warning: ${m}`),
        });
        const d = r.dropped;
        const font = (f: typeof r.fonts.sans, name: string) => (f ? `${f.family} (${f.file}${f.package ? `, ${f.package}` : ""})` : name);
        log(`fonts: A = ${font(r.fonts.sans, o.sans)}, B = ${font(r.fonts.serif, o.serif)}`);
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
