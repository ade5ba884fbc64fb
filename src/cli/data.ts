// `gancc data …`: ready-made datasets. Today: `gancc data emoji`.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { DataError } from "../runtime/data/errors.js";
import { DEFAULT_SUBSET, DEFAULT_SUBSET_TEXT, EMOJI_PACKAGES, type EmojiPackage, buildEmojiDataset, packageImageDir, readEmojiCatalog, selectDefaultSubset } from "../runtime/data/emoji.js";
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
  const data = new Command("data").description("download and build ready-made datasets (see `gancc data emoji --help`)");
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
  return data;
}
