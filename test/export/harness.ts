// Shared by the export tests: a small trained model (specs/tiny.gan, a few iterations), its web
// export and `gancc translate`'s outputs for the held-out images, all under .tmp/ inside the
// repository so that the exported module's bare `@tensorflow/tfjs` imports resolve from
// node_modules, as they do in an app.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { expect } from "vitest";
import { RUNTIME_JS } from "../../src/export/runtime_js.js";
import { gancc } from "../cli/gancc.js";

export const TMP = resolve(".tmp");

/** A fresh folder under .tmp/ (removed by the caller's afterAll). */
export function tmpDir(name: string): string {
  const d = join(TMP, `${name}-${process.pid}`);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
}

/** gancc-runtime.js written into `dir`, imported. */
export async function importRuntime(dir: string): Promise<Record<string, any>> {
  writeFileSync(join(dir, "gancc-runtime.js"), RUNTIME_JS);
  return import(join(dir, "gancc-runtime.js"));
}

export interface TrainedFixture {
  run: string;
  web: string;
  /** gancc translate's output folder: images/<stem>_input.png and images/<stem>_G_AB.png */
  translated: string;
  stems: string[];
}

/**
 * Trains tiny.gan (8 px wide nets, 16×16) for a few iterations on the emoji test set's copy,
 * exports G_AB with `gancc export --web` and translates data/emoji/testA with `gancc translate`
 * (cpu): the reference the exported module must reproduce.
 */
export function trainedFixture(dir: string, o: { images?: number; dtype?: "float16" | "float32" } = {}): TrainedFixture {
  const run = join(dir, "run");
  const ok = (r: ReturnType<typeof gancc>, what: string) => expect(r.code, `${what}: ${r.err}`).toBe(0);
  ok(gancc("train", "specs/tiny.gan", "--data", "data/emoji", "--set", "nf=8", "--max-iters", "6", "--out", run, "--backend", "wasm"), "train");
  const web = join(dir, "web");
  ok(gancc("export", run, "--net", "G_AB", "--web", "-o", web, "--weights-dtype", o.dtype ?? "float16"), "export");
  // a few held-out images, as the input folder of gancc translate
  const input = join(dir, "input");
  mkdirSync(input, { recursive: true });
  const all = readdirSync("data/emoji/testA").filter((f) => f.endsWith(".png")).sort();
  for (const f of all.slice(0, o.images ?? 6)) writeFileSync(join(input, f), readFileSync("data/emoji/testA/" + f));
  const translated = join(dir, "translated");
  ok(gancc("translate", run, "--net", "G_AB", "--input", input, "--output", translated, "--backend", "cpu"), "translate");
  const stems = readdirSync(join(translated, "images")).filter((f) => f.endsWith("_input.png")).map((f) => f.replace(/_input\.png$/, "")).sort();
  expect(stems.length).toBe(Math.min(o.images ?? 6, all.length));
  expect(existsSync(join(web, "model.js"))).toBe(true);
  return { run, web, translated, stems };
}

/** A PNG's pixels as interleaved RGB(A) bytes. */
export async function pngPixels(path: string): Promise<{ data: Uint8Array; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels };
}

/** Max |a − b| over RGB, with `a` RGBA (the exported module's pixels) and `b` interleaved with `bc` channels. */
export function maxRgbDiff(a: ArrayLike<number>, b: ArrayLike<number>, bc: number, pixels: number): number {
  let worst = 0;
  for (let i = 0; i < pixels; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(a[i * 4 + c]! - b[i * bc + Math.min(c, bc - 1)]!));
  return worst;
}

/** The spread (max − min) of RGB values: a translation that is not flat. */
export function spread(b: ArrayLike<number>): number {
  let lo = 255;
  let hi = 0;
  for (let i = 0; i < b.length; i++) [lo, hi] = [Math.min(lo, b[i]!), Math.max(hi, b[i]!)];
  return hi - lo;
}

