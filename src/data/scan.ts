/**
 * Finding and checking the image files of one folder.
 *
 * Files are found recursively and sorted by path (the official make_dataset + sorted).
 * Hidden files (.DS_Store, …) are ignored silently; files whose extension is not an image
 * extension are ignored with one warning per folder. Every image is then decoded once
 * (`verify`, the default) or has its header read: a file that is not a readable image, or
 * is truncated, is skipped with a warning naming it, so one bad file among thousands does
 * not stop a long run; the caller gets the list of skipped files for its count.
 */
import { readdirSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative, sep } from "node:path";
import sharp from "sharp";
import { FAIL_ON } from "./decode.js";
import { type WarningSink, listSome } from "./errors.js";

/** Extensions taken as images (lower case); sharp decides whether it can read them. */
export const IMAGE_EXTENSIONS = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff", ".avif", ".ppm", ".pgm", ".pnm", ".bmp"];

export interface ImageFile {
  /** absolute (or as given) path */
  path: string;
  /** path relative to the dataset root, with forward slashes (for reports) */
  rel: string;
  width: number;
  height: number;
}

export interface ScanResult {
  images: ImageFile[];
  /** rel paths of image files that could not be read */
  skipped: string[];
  /** rel paths of files ignored for their extension */
  ignored: string[];
}

function toRel(root: string, p: string): string {
  return relative(root, p).split(sep).join("/");
}

export function isImageName(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return dot > 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

/** The files under `dir`, recursively, sorted; split into image files and others. */
export function listFiles(dir: string): { images: string[]; others: string[] } {
  const images: string[] = [];
  const others: string[] = [];
  const walk = (d: string): void => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      if (ent.name.startsWith(".")) continue;
      const p = join(d, ent.name);
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        try {
          const st = statSync(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue; // dangling link
        }
      }
      if (isDir) walk(p);
      else if (isFile) (isImageName(ent.name) ? images : others).push(p);
    }
  };
  walk(dir);
  images.sort();
  others.sort();
  return { images, others };
}

/** Runs `f` over `xs` with at most `n` calls in flight; results in order. */
export async function mapLimit<T, R>(xs: readonly T[], n: number, f: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await f(xs[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, worker));
  return out;
}

export const DEFAULT_CONCURRENCY = Math.max(2, Math.min(16, availableParallelism()));

/** Reads an image's size, decoding it fully when `verify` (catches truncated files). */
export async function probeImage(path: string, verify: boolean): Promise<{ width: number; height: number }> {
  if (verify) {
    const { info } = await sharp(path, { failOn: FAIL_ON }).raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height };
  }
  const m = await sharp(path, { failOn: FAIL_ON }).metadata();
  if (!m.width || !m.height) throw new Error("no image size in the header");
  return { width: m.width, height: m.height };
}

export interface CheckOptions {
  verify?: boolean;
  onWarning?: WarningSink;
  concurrency?: number;
}

/** Probes `paths` (all under `root`); unreadable ones are warned about and left out. */
export async function checkImages(root: string, paths: readonly string[], o: CheckOptions = {}): Promise<{ images: (ImageFile | undefined)[]; skipped: string[] }> {
  const verify = o.verify ?? true;
  const skipped: string[] = [];
  const images = await mapLimit(paths, o.concurrency ?? DEFAULT_CONCURRENCY, async (p) => {
    const rel = toRel(root, p);
    try {
      const { width, height } = await probeImage(p, verify);
      return { path: p, rel, width, height };
    } catch (e) {
      skipped.push(rel);
      o.onWarning?.(`skipping ${rel}: not a readable image (${String((e as Error).message ?? e).split("\n")[0]}); fix or delete it`);
      return undefined;
    }
  });
  skipped.sort();
  return { images, skipped };
}

/** Lists, then probes, the images of `dir`. */
export async function scanFolder(root: string, dir: string, o: CheckOptions = {}): Promise<ScanResult> {
  const { images: paths, others } = listFiles(dir);
  const ignored = others.map((p) => toRel(root, p));
  if (ignored.length) o.onWarning?.(`${toRel(root, dir)}: ignored ${ignored.length} file${ignored.length === 1 ? "" : "s"} that ${ignored.length === 1 ? "is" : "are"} not ${ignored.length === 1 ? "an image" : "images"} by extension (${listSome(ignored.map((r) => r.split("/").pop()!))})`);
  const { images, skipped } = await checkImages(root, paths, o);
  return { images: images.filter((x): x is ImageFile => x !== undefined), skipped, ignored };
}

export { toRel };
