/**
 * Finding and checking the image files of one folder.
 *
 * Files are found recursively and sorted by path (the official make_dataset + sorted).
 * Symbolic links to files are followed; symbolic links to directories are not (a link to `.`
 * or `..` would read every image again, or pull another domain's images in), with one warning
 * per folder; a file reached twice (two links to it) is read once, with a warning; a broken
 * link is warned about with its errno. Hidden files (.DS_Store, …) are ignored silently; files whose extension is not an image
 * extension are ignored with one warning per folder. Every image is then decoded once
 * (`verify`, the default) or has its header read: a file that is not a readable image, or
 * is truncated, is skipped with a warning naming it, so one bad file among thousands does
 * not stop a long run; the caller gets the list of skipped files for its count.
 */
import { promises as fsp, readdirSync, realpathSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative, sep } from "node:path";
import sharp from "sharp";
import { FAIL_ON } from "./decode.js";
import { DataError, type WarningSink, listSome } from "./errors.js";

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

/** `CODE: message` of a file-system error (EACCES: permission denied, …). */
export function errnoText(e: unknown): string {
  const x = e as NodeJS.ErrnoException;
  const msg = String(x?.message ?? e).split("\n")[0]!;
  return x?.code && !msg.startsWith(x.code) ? `${x.code}: ${msg}` : msg;
}

/**
 * Why `path` cannot be read, with its errno (`EACCES: permission denied, open '…'`), or
 * undefined if it can be opened. Tells a decoder's vague "unsupported image format" from the
 * file-system error behind it.
 */
export async function unreadableReason(path: string): Promise<string | undefined> {
  try {
    const fh = await fsp.open(path, "r");
    await fh.close();
    return undefined;
  } catch (e) {
    return errnoText(e);
  }
}

/**
 * The files under `dir`, recursively, sorted; split into image files and others. Directory
 * links are not followed and each file is listed once (see the file comment); `onWarning`
 * hears about what was left out.
 */
export function listFiles(dir: string, onWarning?: WarningSink, root: string = dir): { images: string[]; others: string[] } {
  const images: string[] = [];
  const others: string[] = [];
  const dirLinks: string[] = [];
  const broken: string[] = [];
  const seen = new Map<string, string>();
  const dups: string[] = [];
  const unreadable: string[] = [];
  const walk = (d: string): void => {
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      // the folder itself: an error with its errno; a subfolder: skipped with a warning
      if (d === dir) throw new DataError(`cannot read the folder ${dir} (${errnoText(e)}); check its permissions`, "GAN5001");
      unreadable.push(`${toRel(root, d)} (${errnoText(e)})`);
      return;
    }
    for (const ent of ents) {
      if (ent.name.startsWith(".")) continue;
      const p = join(d, ent.name);
      let isDir = ent.isDirectory();
      let isFile = ent.isFile();
      if (ent.isSymbolicLink()) {
        try {
          const st = statSync(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (e) {
          broken.push(`${toRel(root, p)} (${errnoText(e)})`);
          continue;
        }
        if (isDir) {
          dirLinks.push(toRel(root, p));
          continue;
        }
      }
      if (isDir) walk(p);
      else if (isFile) {
        let real = p;
        try {
          real = realpathSync(p);
        } catch {
          /* keep the path */
        }
        const prev = seen.get(real);
        if (prev !== undefined) {
          dups.push(`${toRel(root, p)} (= ${toRel(root, prev)})`);
          continue;
        }
        seen.set(real, p);
        (isImageName(ent.name) ? images : others).push(p);
      }
    }
  };
  walk(dir);
  const where = toRel(root, dir) || dir;
  if (dirLinks.length) {
    onWarning?.(
      `${where}: not following ${dirLinks.length} symbolic link${dirLinks.length === 1 ? "" : "s"} to ${dirLinks.length === 1 ? "a directory" : "directories"} (${listSome(dirLinks)}); ` +
        `a link can loop (\`loop -> .\`) or reach another domain's images (\`up -> ..\`). Copy or move the images into the folder instead.`,
    );
  }
  if (unreadable.length) onWarning?.(`${where}: skipping ${unreadable.length} folder${unreadable.length === 1 ? "" : "s"} that cannot be read: ${listSome(unreadable)}`);
  if (broken.length) onWarning?.(`${where}: skipping ${broken.length} broken symbolic link${broken.length === 1 ? "" : "s"}: ${listSome(broken)}`);
  if (dups.length) onWarning?.(`${where}: ${dups.length} file${dups.length === 1 ? " is" : "s are"} the same file as another one (links), read once: ${listSome(dups)}`);
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
      const io = await unreadableReason(p);
      o.onWarning?.(
        io
          ? `skipping ${rel}: cannot read the file (${io}); fix its permissions or delete it`
          : `skipping ${rel}: not a readable image (${String((e as Error).message ?? e).split("\n")[0]}); fix or delete it`,
      );
      return undefined;
    }
  });
  skipped.sort();
  return { images, skipped };
}

/** Lists, then probes, the images of `dir`. */
export async function scanFolder(root: string, dir: string, o: CheckOptions = {}): Promise<ScanResult> {
  const { images: paths, others } = listFiles(dir, o.onWarning, root);
  const ignored = others.map((p) => toRel(root, p));
  if (ignored.length) o.onWarning?.(`${toRel(root, dir)}: ignored ${ignored.length} file${ignored.length === 1 ? "" : "s"} that ${ignored.length === 1 ? "is" : "are"} not ${ignored.length === 1 ? "an image" : "images"} by extension (${listSome(ignored.map((r) => r.split("/").pop()!))})`);
  const { images, skipped } = await checkImages(root, paths, o);
  return { images: images.filter((x): x is ImageFile => x !== undefined), skipped, ignored };
}

export { toRel };
