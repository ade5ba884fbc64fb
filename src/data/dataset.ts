/**
 * Opening a dataset folder for the IR's data section: finds, checks and pairs the images
 * of one split (train or test), and fails early, with a message that names the path and
 * the expected layout, on anything that would otherwise stop a run later.
 *
 * Layouts (the official repo's names in brackets):
 *   unpaired        [unaligned] root/trainA/, root/trainB/ (testA/, testB/ for the test
 *                   split); one folder per domain, any number of images each. Three or more
 *                   domains use trainC/, trainD/, …; one domain uses trainA/ only.
 *   paired_ab       [aligned] root/train/ (test/) holding A|B side-by-side images, split
 *                   into a left and a right half (the width must be even).
 *   paired_folders  root/trainA/, root/trainB/ with one image per name in both; names are
 *                   matched on the path inside the folder without its extension, so
 *                   0001.jpg pairs with 0001.png.
 * Domains come from the spec, in order: the first domain reads side A (trainA/, the left
 * half) and the second side B, unless `direction: BtoA`, which swaps the two sides, as the
 * official code does for every layout.
 *
 * Bad files: unreadable or truncated images are skipped with a warning (scan.ts); in
 * paired layouts the partner of a skipped image is dropped with it. Errors (DataError):
 * missing root or folder, a folder with no (readable) images, unpaired names, odd AB
 * widths, pairs of different sizes where the preprocessing keeps sizes, images smaller than
 * the crop size under `preprocess: crop` or `none`, and channel counts other than 1, 3, 4.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { IrData } from "../ir/schema.js";
import { hashString } from "../runtime/rng.js";
import type { Channels } from "./decode.js";
import { DataError, type WarningSink, listSome } from "./errors.js";
import { type Rect, resizedSize, sizeProblem } from "./preprocess.js";
import { type ImageFile, IMAGE_EXTENSIONS, checkImages, listFiles, scanFolder, toRel } from "./scan.js";

export type Split = "train" | "test";

export interface DatasetOptions {
  /** which split to open (default "train") */
  split?: Split;
  /** decode every image once while opening, to find truncated files (default true) */
  verify?: boolean;
  onWarning?: WarningSink;
  /** parallel decodes while checking (default: CPU count, 2–16) */
  concurrency?: number;
}

/** One image of a domain: a file, or a region of it (a half of an AB image); width/height are the region's. */
export interface ImageRef extends ImageFile {
  region?: Rect;
}

export interface DomainImages {
  name: string;
  channels: Channels;
  /** the folder it was read from, relative to the root ("trainA", or "train" for paired_ab) */
  folder: string;
  images: ImageRef[];
}

export interface Dataset {
  root: string;
  split: Split;
  data: IrData;
  /** images of domain d and index i belong together (same item) */
  paired: boolean;
  domains: DomainImages[];
  /** items per epoch: the largest domain (unpaired, as the official __len__) or the number of pairs */
  length: number;
  /** files skipped as unreadable (rel paths) */
  skipped: string[];
  /** a hash of the file list and sizes, stored in loader state to detect a changed dataset on resume */
  fingerprint: string;
}

const SIDES = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** The side letter (A, B, …) each spec domain reads, after `direction`. */
export function domainSides(data: IrData): string[] {
  const sides = data.domains.map((_, i) => SIDES[i]!);
  if (data.direction === "BtoA" && sides.length === 2) sides.reverse();
  return sides;
}

/** The expected layout, as text for error messages. */
export function expectedLayout(root: string, data: IrData, split: Split): string {
  const sides = domainSides(data);
  const other: Split = split === "train" ? "test" : "train";
  const names = data.domains.map((d) => d.name);
  switch (data.layout) {
    case "unpaired":
      return [
        `layout: unpaired expects one folder of images per domain:`,
        ...sides.map((s, i) => `  ${join(root, split + s)}/   images of domain ${names[i]}`),
        `(and ${sides.map((s) => other + s).join(", ")} for the ${other} split)`,
      ].join("\n");
    case "paired_folders":
      return [
        `layout: paired_folders expects two folders with one image per name in both:`,
        ...sides.map((s, i) => `  ${join(root, split + s)}/   images of domain ${names[i]}`),
        `(and ${sides.map((s) => other + s).join(", ")} for the ${other} split)`,
      ].join("\n");
    case "paired_ab":
      return [
        `layout: paired_ab expects side-by-side images, ${sides[0] === "A" ? `${names[0]} on the left, ${names[1]} on the right` : `${names[1]} on the left, ${names[0]} on the right (direction: BtoA)`}:`,
        `  ${join(root, split)}/   A|B images (width = 2 × height for square halves)`,
        `(and ${join(root, other)}/ for the ${other} split)`,
      ].join("\n");
  }
}

function checkSpec(data: IrData): void {
  for (const d of data.domains) {
    if (d.channels !== 1 && d.channels !== 3 && d.channels !== 4) {
      throw new DataError(
        `domain ${d.name} is declared image[${d.channels}], but images are read as 1 (grayscale), 3 (RGB) or 4 (RGBA) channels; ` +
          `change the domain to image[1], image[3] or image[4] in the spec's data section`,
      );
    }
  }
  if (data.domains.length === 0) throw new DataError("the spec's data section declares no domain; add e.g. `domain A: image[3]`");
  if (data.layout !== "unpaired" && data.domains.length !== 2) {
    throw new DataError(`layout: ${data.layout} pairs two domains, but the spec declares ${data.domains.length} (${data.domains.map((d) => d.name).join(", ")}); declare exactly two, or use layout: unpaired`);
  }
  if (data.domains.length > SIDES.length) throw new DataError(`at most ${SIDES.length} domains are supported`);
}

const FIX = "Fix the folder, point the trainer at the right one, or build the ready-made emoji set with `gancc data emoji`.";

/** `what` describes the folder's role, e.g. "the images of domain A". */
function requireDir(path: string, what: string, help: string, root?: string): void {
  const role = what ? ` (${what})` : "";
  let found = "";
  if (root && existsSync(root)) {
    const subs = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name).sort();
    found = `\n${root} holds ${subs.length ? `the folders ${listSome(subs, 8)}` : "no folders"}.`;
  }
  if (!existsSync(path)) throw new DataError(`${path}${role} does not exist.${found}\n${help}\n${FIX}`, "GAN5001");
  if (!statSync(path).isDirectory()) throw new DataError(`${path}${role} is not a folder.\n${help}\n${FIX}`, "GAN5001");
}

function emptyError(dir: string, help: string): DataError {
  return new DataError(`${dir} has no images (looked recursively for ${IMAGE_EXTENSIONS.join(" ")}); put the domain's images there.\n${help}`, "GAN5001");
}

function allBadError(dir: string, n: number, skipped: string[]): DataError {
  return new DataError(
    `none of the ${n} image file${n === 1 ? "" : "s"} in ${dir} could be read (${listSome(skipped, 3)}; see the warnings for why); replace them with PNG or JPEG images`,
    "GAN5001",
  );
}

function stem(rel: string): string {
  const slash = rel.lastIndexOf("/");
  const dot = rel.lastIndexOf(".");
  return dot > slash + 1 ? rel.slice(0, dot) : rel;
}

function fingerprint(domains: DomainImages[]): string {
  const lines = domains.flatMap((d) => [`#${d.name}/${d.channels}`, ...d.images.map((im) => `${im.rel}:${im.width}x${im.height}${im.region ? `@${im.region.left}` : ""}`)]);
  return hashString(lines.join("\n")).toString(16).padStart(8, "0") + `-${domains.map((d) => d.images.length).join("-")}`;
}

/** Opens one split of the dataset under `root` for the IR's data section. */
export async function openDataset(root: string, data: IrData, o: DatasetOptions = {}): Promise<Dataset> {
  checkSpec(data);
  const split = o.split ?? "train";
  const warn = o.onWarning;
  const help = expectedLayout(root, data, split);
  requireDir(root, "the data folder", help);
  const abs = resolve(root);
  const sides = domainSides(data);
  const check = { verify: o.verify, onWarning: warn, concurrency: o.concurrency };
  const domains: DomainImages[] = [];
  const skipped: string[] = [];

  if (data.layout === "unpaired") {
    for (const [i, d] of data.domains.entries()) {
      const folder = split + sides[i]!;
      const dir = join(abs, folder);
      requireDir(dir, `the images of domain ${d.name}`, help, abs);
      const r = await scanFolder(abs, dir, check);
      if (!r.images.length) throw r.skipped.length ? allBadError(dir, r.skipped.length, r.skipped) : emptyError(dir, help);
      if (r.skipped.length) warn?.(`${folder}: skipped ${r.skipped.length} of ${r.skipped.length + r.images.length} image files (unreadable; named above)`);
      skipped.push(...r.skipped);
      domains.push({ name: d.name, channels: d.channels as Channels, folder, images: r.images });
    }
  } else if (data.layout === "paired_ab") {
    const folder: string = split;
    const dir = join(abs, folder);
    requireDir(dir, "the side-by-side A|B images", help, abs);
    const r = await scanFolder(abs, dir, check);
    if (!r.images.length) throw r.skipped.length ? allBadError(dir, r.skipped.length, r.skipped) : emptyError(dir, help);
    if (r.skipped.length) warn?.(`${folder}: skipped ${r.skipped.length} of ${r.skipped.length + r.images.length} image files (unreadable; named above)`);
    skipped.push(...r.skipped);
    const odd = r.images.filter((im) => im.width % 2 !== 0);
    if (odd.length) {
      throw new DataError(
        `layout: paired_ab splits each image of ${dir} into a left and a right half, so widths must be even; ${odd.length} ${odd.length === 1 ? "is" : "are"} odd: ` +
          `${listSome(odd.map((im) => `${im.rel} (${im.width}×${im.height})`))}. Crop or pad them to an even width.`,
      );
    }
    const halves = (left: boolean) =>
      r.images.map((im): ImageRef => {
        const w = im.width / 2;
        return { ...im, width: w, region: { left: left ? 0 : w, top: 0, width: w, height: im.height } };
      });
    // side A = left half
    for (const [i, d] of data.domains.entries()) domains.push({ name: d.name, channels: d.channels as Channels, folder, images: halves(sides[i] === "A") });
  } else {
    const folders = sides.map((s) => split + s);
    const lists = folders.map((f, i) => {
      const dir = join(abs, f);
      requireDir(dir, `the images of domain ${data.domains[i]!.name}`, help, abs);
      const { images, others } = listFiles(dir, warn, abs);
      if (others.length) warn?.(`${f}: ignored ${others.length} file${others.length === 1 ? "" : "s"} that are not images by extension (${listSome(others.map((p) => toRel(dir, p)))})`);
      if (!images.length) throw emptyError(dir, help);
      const byStem = new Map<string, string>();
      for (const p of images) {
        const key = stem(toRel(dir, p));
        const prev = byStem.get(key);
        if (prev) throw new DataError(`${dir} has two images named ${key} (${toRel(dir, prev)} and ${toRel(dir, p)}); layout: paired_folders matches files by name without extension, so each name may appear once. Remove one.`);
        byStem.set(key, p);
      }
      return byStem;
    });
    const [a, b] = lists as [Map<string, string>, Map<string, string>];
    const onlyA = [...a.keys()].filter((k) => !b.has(k)).sort();
    const onlyB = [...b.keys()].filter((k) => !a.has(k)).sort();
    if (onlyA.length || onlyB.length) {
      const parts: string[] = [];
      if (onlyA.length) parts.push(`${onlyA.length} in ${folders[0]}/ with no partner in ${folders[1]}/: ${listSome(onlyA)}`);
      if (onlyB.length) parts.push(`${onlyB.length} in ${folders[1]}/ with no partner in ${folders[0]}/: ${listSome(onlyB)}`);
      throw new DataError(
        `layout: paired_folders needs the same image names in ${join(abs, folders[0]!)} and ${join(abs, folders[1]!)}, but there are ${parts.join("; and ")}. ` +
          `Rename or remove them, or use layout: unpaired.`,
      );
    }
    const keys = [...a.keys()].sort();
    const checked = await Promise.all([a, b].map((m) => checkImages(abs, keys.map((k) => m.get(k)!), check)));
    const [ca, cb] = checked as [Awaited<ReturnType<typeof checkImages>>, Awaited<ReturnType<typeof checkImages>>];
    const keepA: ImageFile[] = [];
    const keepB: ImageFile[] = [];
    const dropped: string[] = [];
    keys.forEach((k, i) => {
      const x = ca.images[i];
      const y = cb.images[i];
      if (x && y) {
        keepA.push(x);
        keepB.push(y);
      } else if (x || y) dropped.push((x ?? y)!.rel);
    });
    skipped.push(...ca.skipped, ...cb.skipped);
    if (dropped.length) warn?.(`dropping ${dropped.length} image${dropped.length === 1 ? "" : "s"} whose partner could not be read: ${listSome(dropped)}`);
    if (!keepA.length) throw allBadError(`${join(abs, folders[0]!)} and ${join(abs, folders[1]!)}`, keys.length * 2, skipped);
    if (skipped.length) warn?.(`${folders.join(", ")}: skipped ${skipped.length} unreadable image files and ${dropped.length} partners; ${keepA.length} of ${keys.length} pairs remain`);
    if (data.preprocess !== "resize" && data.preprocess !== "resize_and_crop") {
      const diff = keepA.map((x, i) => [x, keepB[i]!] as const).filter(([x, y]) => x.width !== y.width || x.height !== y.height);
      if (diff.length) {
        throw new DataError(
          `with preprocess: ${data.preprocess} both images of a pair are cropped at the same place, so they must have the same size; ${diff.length} pair${diff.length === 1 ? " differs" : "s differ"}: ` +
            `${listSome(diff.map(([x, y]) => `${x.rel} ${x.width}×${x.height} vs ${y.rel} ${y.width}×${y.height}`), 3)}. Resize them, or use preprocess: resize_and_crop.`,
        );
      }
    }
    for (const [i, d] of data.domains.entries()) domains.push({ name: d.name, channels: d.channels as Channels, folder: folders[i]!, images: i === 0 ? keepA : keepB });
  }

  // Sizes the preprocessing cannot take (crop and none keep the image's own size).
  const seen = new Set<string>();
  const small: string[] = [];
  for (const d of domains) {
    for (const im of d.images) {
      const p = sizeProblem(data, im);
      const key = `${im.rel}#${im.region?.left ?? ""}`;
      if (!p || seen.has(key)) continue;
      seen.add(key);
      small.push(`${im.rel}${im.region ? (im.region.left === 0 ? " (left half)" : " (right half)") : ""} ${p.replace(/ is smaller than the crop size.*/, "")}`);
    }
  }
  if (small.length) {
    throw new DataError(
      `${small.length} image${small.length === 1 ? " is" : "s are"} smaller than the crop size ${data.crop}×${data.crop}: ${listSome(small)}. ` +
        `With preprocess: ${data.preprocess} images are not resized first; use preprocess: resize_and_crop (resize to load, then crop), a smaller crop, or remove them.`,
      "GAN5003",
    );
  }
  if (data.preprocess === "none") {
    const changed = domains.flatMap((d) => d.images).filter((im) => {
      const r = resizedSize(data, im, "train");
      return r.width !== im.width || r.height !== im.height;
    });
    if (changed.length) {
      const im = changed[0]!;
      const r = resizedSize(data, im, "train");
      warn?.(`${changed.length} image${changed.length === 1 ? "" : "s"} are not a multiple of 4 in size and will be resized to the nearest multiple of 4, as the official code does (e.g. ${im.rel} ${im.width}×${im.height} → ${r.width}×${r.height})`);
    }
  }
  const length = data.layout === "unpaired" ? Math.max(...domains.map((d) => d.images.length)) : domains[0]!.images.length;
  return { root: abs, split, data, paired: data.layout !== "unpaired", domains, length, skipped: skipped.sort(), fingerprint: fingerprint(domains) };
}
