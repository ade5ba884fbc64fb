/**
 * The emoji dataset: the same emoji drawn in two styles, Google's Noto Emoji (domain A)
 * and Twitter's Twemoji (domain B), from the npm packages emoji-datasource-google and
 * emoji-datasource-twitter (iamcal/emoji-data). The same file name is the same emoji in
 * both folders, so test pairs give ground truth for A→B and B→A.
 *
 * `buildEmojiDataset` writes root/trainA, trainB, testA, testB (+ ATTRIBUTION.md,
 * the Apache-2.0 text and index.tsv) from the two packages' image folders; it needs no
 * network (emoji_packages.ts installs the packages with npm). data/emoji/ in the repo is
 * `selectDefaultSubset` of it, 64×64 PNGs exactly as the packages ship them.
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { makeDir } from "../io/atomic.js";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { Rng } from "../runtime/rng.js";
import { DataError, type WarningSink, listSome } from "../data/errors.js";
import { mapLimit, DEFAULT_CONCURRENCY } from "../data/scan.js";

export interface EmojiPackage {
  name: string;
  version: string;
  /** folder name under img/ */
  style: string;
  title: string;
  licence: string;
  licenceUrl: string;
  copyright: string;
  source: string;
}

export const EMOJI_PACKAGES: { A: EmojiPackage; B: EmojiPackage } = {
  A: {
    name: "emoji-datasource-google",
    version: "16.0.0",
    style: "google",
    title: "Noto Emoji (Google)",
    licence: "Apache License 2.0",
    licenceUrl: "https://www.apache.org/licenses/LICENSE-2.0",
    copyright: "Copyright Google LLC and the Noto Emoji contributors",
    source: "https://github.com/googlefonts/noto-emoji (v2.048, as packaged by https://github.com/iamcal/emoji-data)",
  },
  B: {
    name: "emoji-datasource-twitter",
    version: "16.0.0",
    style: "twitter",
    title: "Twemoji (Twitter)",
    licence: "Creative Commons Attribution 4.0 International (CC BY 4.0)",
    licenceUrl: "https://creativecommons.org/licenses/by/4.0/",
    copyright: "Copyright 2019 Twitter, Inc and other contributors (maintained since 2023 at https://github.com/jdecked/twemoji)",
    source: "https://github.com/jdecked/twemoji (v16.0.1, as packaged by https://github.com/iamcal/emoji-data)",
  },
};

/** The image size the packages ship (img/<style>/64/). */
export const PACKAGE_IMAGE_SIZE = 64;

/** `<package dir>/img/<style>/64` */
export function packageImageDir(packageDir: string, p: EmojiPackage): string {
  return join(packageDir, "img", p.style, String(PACKAGE_IMAGE_SIZE));
}

export interface EmojiEntry {
  /** file name, e.g. "1f600.png" */
  image: string;
  name?: string;
  category?: string;
  sortOrder?: number;
}

/**
 * The emoji with an image in both styles, from a package's emoji.json (base emoji only:
 * skin-tone variants are separate files the catalog lists under each base emoji, and are
 * left out). Undefined when the folder has no emoji.json.
 */
export function readEmojiCatalog(packageDir: string): EmojiEntry[] | undefined {
  const f = join(packageDir, "emoji.json");
  if (!existsSync(f)) return undefined;
  const raw = JSON.parse(readFileSync(f, "utf8")) as { image: string; name?: string; short_name?: string; category?: string; sort_order?: number; has_img_google?: boolean; has_img_twitter?: boolean }[];
  return raw
    .filter((e) => e.has_img_google && e.has_img_twitter)
    .map((e) => ({ image: e.image, name: (e.name ?? e.short_name ?? "").toLowerCase(), category: e.category, sortOrder: e.sort_order }))
    .sort((a, b) => (a.sortOrder ?? 0) - (b.sortOrder ?? 0) || a.image.localeCompare(b.image));
}

/** The committed data/emoji/: all "Smileys & Emotion", then a seeded pick of animals, food, objects and activities. */
export const DEFAULT_SUBSET = {
  count: 450,
  testCount: 50,
  seed: 0,
  first: ["Smileys & Emotion"],
  fill: ["Animals & Nature", "Food & Drink", "Objects", "Activities"],
} as const;

export const DEFAULT_SUBSET_TEXT =
  `the ${DEFAULT_SUBSET.count} emoji of \`--subset default\`: every "${DEFAULT_SUBSET.first.join('", "')}" emoji, then a seeded pick from "${DEFAULT_SUBSET.fill.join('", "')}"`;

/** The file names of the default subset (sorted). */
export function selectDefaultSubset(catalog: readonly EmojiEntry[]): string[] {
  const first = catalog.filter((e) => (DEFAULT_SUBSET.first as readonly string[]).includes(e.category ?? ""));
  const rest = catalog.filter((e) => (DEFAULT_SUBSET.fill as readonly string[]).includes(e.category ?? ""));
  const picked = first.slice(0, DEFAULT_SUBSET.count).map((e) => e.image);
  new Rng(`emoji-default/${DEFAULT_SUBSET.seed}`).shuffle(rest.map((e) => e.image)).slice(0, DEFAULT_SUBSET.count - picked.length).forEach((x) => picked.push(x));
  return picked.sort();
}

export interface EmojiBuildOptions {
  /** the Noto images (domain A), e.g. <pkg>/img/google/64 */
  dirA: string;
  /** the Twemoji images (domain B), e.g. <pkg>/img/twitter/64 */
  dirB: string;
  /** output root; its trainA/ trainB/ testA/ testB/ are replaced */
  out: string;
  /** file names to use (default: every .png present in both folders) */
  names?: readonly string[];
  /** names and categories for index.tsv */
  catalog?: readonly EmojiEntry[];
  /** output size in pixels (default: as shipped; files are then copied byte for byte) */
  size?: number;
  /** share of emoji in the test split (default 0.1) */
  testFraction?: number;
  /** exact number of test emoji (overrides testFraction) */
  testCount?: number;
  /** seed of the train/test split (default 0) */
  seed?: number;
  /** how the set was built, recorded in ATTRIBUTION.md */
  command?: string;
  /** how the emoji were chosen, recorded in ATTRIBUTION.md (default: every emoji in both packages) */
  selection?: string;
  onProgress?: (done: number, total: number) => void;
  onWarning?: WarningSink;
}

export interface EmojiBuildResult {
  out: string;
  train: string[];
  test: string[];
  /** bytes written under the four image folders */
  bytes: number;
}

const APACHE_TEXT = fileURLToPath(new URL("../../data/emoji/LICENSE-Apache-2.0.txt", import.meta.url));

function pngNames(dir: string, what: string): Set<string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DataError(`${what} image folder ${dir} does not exist; expected the package's img/<style>/${PACKAGE_IMAGE_SIZE}/ folder of PNGs`, "GAN5001");
  }
  const names = readdirSync(dir).filter((n) => n.toLowerCase().endsWith(".png") && !n.startsWith("."));
  if (!names.length) throw new DataError(`${what} image folder ${dir} has no .png files`, "GAN5001");
  return new Set(names);
}

/** Splits sorted names into train and test with a seeded shuffle; both returned sorted. */
export function splitNames(names: readonly string[], testCount: number, seed: number): { train: string[]; test: string[] } {
  const shuffled = new Rng(`emoji-split/${seed}`).shuffle([...names].sort());
  const test = shuffled.slice(0, testCount).sort();
  const train = shuffled.slice(testCount).sort();
  return { train, test };
}

export async function buildEmojiDataset(o: EmojiBuildOptions): Promise<EmojiBuildResult> {
  const inA = pngNames(o.dirA, `Noto (${EMOJI_PACKAGES.A.name})`);
  const inB = pngNames(o.dirB, `Twemoji (${EMOJI_PACKAGES.B.name})`);
  let names: string[];
  if (o.names) {
    const missing = o.names.filter((n) => !inA.has(n) || !inB.has(n));
    if (missing.length) o.onWarning?.(`${missing.length} requested emoji are missing from one of the packages and are left out: ${listSome(missing)}`);
    names = o.names.filter((n) => inA.has(n) && inB.has(n));
  } else {
    names = [...inA].filter((n) => inB.has(n));
  }
  names = [...new Set(names)].sort();
  if (names.length < 2) throw new DataError(`only ${names.length} emoji are present in both ${o.dirA} and ${o.dirB}; need at least 2`);
  const size = o.size;
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) throw new DataError(`size must be a positive integer, got ${size}`);
  const frac = o.testFraction ?? 0.1;
  if (!(frac >= 0 && frac < 1)) throw new DataError(`test fraction must be in [0, 1), got ${frac}`);
  const testCount = Math.min(names.length - 1, o.testCount ?? Math.round(names.length * frac));
  const { train, test } = splitNames(names, testCount, o.seed ?? 0);

  const out = resolve(o.out);
  makeDir(out);
  const folders = { trainA: train, trainB: train, testA: test, testB: test } as const;
  for (const f of Object.keys(folders)) {
    rmSync(join(out, f), { recursive: true, force: true });
    makeDir(join(out, f));
  }
  const jobs = (Object.entries(folders) as [keyof typeof folders, string[]][]).flatMap(([f, list]) => list.map((n) => ({ src: join(f.endsWith("A") ? o.dirA : o.dirB, n), dst: join(out, f, n) })));
  let done = 0;
  let bytes = 0;
  await mapLimit(jobs, DEFAULT_CONCURRENCY, async (j) => {
    let resize = size !== undefined;
    if (resize) {
      const m = await sharp(j.src).metadata();
      resize = m.width !== size || m.height !== size;
    }
    if (resize) {
      await sharp(j.src).resize(size!, size!, { fit: "fill", kernel: "lanczos3" }).png({ compressionLevel: 9 }).toFile(j.dst);
    } else {
      copyFileSync(j.src, j.dst);
    }
    bytes += statSync(j.dst).size;
    o.onProgress?.(++done, jobs.length);
  });

  const byImage = new Map((o.catalog ?? []).map((e) => [e.image, e]));
  const index = ["file\tsplit\tcategory\tname", ...names.map((n) => `${n}\t${test.includes(n) ? "test" : "train"}\t${byImage.get(n)?.category ?? ""}\t${byImage.get(n)?.name ?? ""}`)];
  writeFileSync(join(out, "index.tsv"), index.join("\n") + "\n");
  let haveLicence = false;
  const licenceDst = join(out, "LICENSE-Apache-2.0.txt");
  if (existsSync(APACHE_TEXT)) {
    if (resolve(APACHE_TEXT) !== licenceDst) copyFileSync(APACHE_TEXT, licenceDst);
    haveLicence = true;
  }
  writeFileSync(join(out, "ATTRIBUTION.md"), attribution({ train: train.length, test: test.length, size, command: o.command, selection: o.selection, haveLicence }));
  return { out, train, test, bytes };
}

function attribution(o: { train: number; test: number; size: number | undefined; command?: string; selection?: string; haveLicence: boolean }): string {
  const { A, B } = EMOJI_PACKAGES;
  const resized = o.size !== undefined && o.size !== PACKAGE_IMAGE_SIZE;
  const pkg = (p: EmojiPackage, folder: string) => `## ${folder}: ${p.title}

- Package: \`${p.name}@${p.version}\` (npm), files \`img/${p.style}/${PACKAGE_IMAGE_SIZE}/*.png\`
- Artwork: ${p.source}
- ${p.copyright}
- Licence: ${p.licence} — ${p.licenceUrl}
`;
  return `# Emoji dataset — attribution

Two renderings of the same emoji: domain A (\`trainA/\`, \`testA/\`) is Google's Noto Emoji,
domain B (\`trainB/\`, \`testB/\`) is Twitter's Twemoji. A file has the same name (the emoji's
Unicode code points, e.g. \`1f600.png\` = 😀) in both domains, so the test folders are
ground-truth pairs. \`index.tsv\` lists each file's split, category and name.

${o.train} emoji for training and ${o.test} for testing, ${o.train * 2 + o.test * 2} images in all: ${o.selection ?? "every emoji with an image in both packages (skin-tone variants left out)"}, split into train and test by a seeded shuffle.
${resized ? `The images were resized from ${PACKAGE_IMAGE_SIZE}×${PACKAGE_IMAGE_SIZE} to ${o.size}×${o.size} (Lanczos) and re-encoded as PNG; this is a modification of the original artwork.` : `The images are the packages' ${PACKAGE_IMAGE_SIZE}×${PACKAGE_IMAGE_SIZE} PNGs, copied unmodified (Noto: RGBA; Twemoji: palette with transparency).`}

${pkg(A, "Domain A")}
${pkg(B, "Domain B")}
The two npm packages are by Cal Henderson (https://github.com/iamcal/emoji-data; the
package code is MIT-licensed, the images keep the licences above).
${o.haveLicence ? "The Apache License 2.0 text is in `LICENSE-Apache-2.0.txt` next to this file.\n" : ""}
## How this folder was built

\`\`\`sh
${o.command ?? "gancc data emoji"}
\`\`\`

\`gancc data emoji\` installs the two packages with npm into a cache folder (never into a
project's package.json), picks the emoji present in both, splits them into train and test
with a seeded shuffle, and writes these folders. Use it with a spec whose data section reads
\`layout: unpaired\` (or \`paired_folders\`) and two \`image[3]\` domains; transparent
backgrounds are composited onto white when the images are read.
`;
}
