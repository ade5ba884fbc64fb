/**
 * Image geometry of the data pipeline, exactly as the official CycleGAN/pix2pix code
 * (junyanz/pytorch-CycleGAN-and-pix2pix, data/base_dataset.py: get_params, get_transform,
 * __scale_width, __make_power_2, __crop, __flip). Pure functions over sizes: this file
 * decides *what* to do to an image; decode.ts does it with sharp.
 *
 * Training mode, per `preprocess` (load = the data section's `load`, crop = `crop`):
 *   resize_and_crop       bicubic resize to load×load, random crop crop×crop
 *   crop                  random crop crop×crop of the image as it is (error if smaller)
 *   scale_width           resize to width load, height max(⌊load·h/w⌋, crop) (kept if the
 *                         width already is load and the height ≥ crop); no crop, so sizes vary
 *   scale_width_and_crop  scale_width, then random crop crop×crop
 *   resize                bicubic resize to load×load (the official 'resize' alone resizes to
 *                         load_size and does not crop; our compiler defaults load to crop)
 *   none                  no resize except to the nearest multiple of 4 in each dimension
 *                         (Python's round, half to even, as the official __make_power_2);
 *                         images smaller than crop are an error (the nets were checked at crop)
 * then a random horizontal flip with probability ½ when `flip` is on.
 *
 * Evaluation mode ("test"/report images) follows the official test options: load is taken
 * to be crop (test_options.py sets load_size = crop_size), there is no flip, and where
 * training crops at random we crop at the centre (torchvision CenterCrop's offsets), so an
 * evaluation image is always the same pixels: resize_and_crop and resize → crop×crop;
 * crop → centre crop; scale_width(_and_crop) → width crop (and a centre crop).
 *
 * Random draws per image, in this order, from the caller's seeded Rng (src/runtime/rng.ts):
 * crop left x ∈ [0, W − crop], crop top y ∈ [0, H − crop] (for modes that crop), then the
 * flip (when flip is on). Nothing else in the pipeline draws, so a run is reproducible and resumable.
 */
import type { IrData } from "../ir/schema.js";
import type { Rng } from "../runtime/rng.js";

export type Preprocess = IrData["preprocess"];
export type Mode = "train" | "eval";

export interface PreprocessOptions {
  preprocess: Preprocess;
  load: number;
  crop: number;
  flip: boolean;
}

export interface Size {
  width: number;
  height: number;
}

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** What to do to one image: resize (bicubic), then crop, then flip horizontally. */
export interface Transform {
  /** bicubic resize of the whole image (or region) to this size; absent: keep the size */
  resize?: Size;
  /** crop after the resize; absent: no crop */
  crop?: Rect;
  flip: boolean;
  /** the output size */
  out: Size;
}

/** Python 3's round(): half to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function cropsIn(p: Preprocess): boolean {
  return p === "resize_and_crop" || p === "crop" || p === "scale_width_and_crop";
}

/** The size after the deterministic resize step (before any crop). */
export function resizedSize(o: PreprocessOptions, size: Size, mode: Mode): Size {
  const load = mode === "eval" ? o.crop : o.load;
  const { width: w, height: h } = size;
  switch (o.preprocess) {
    case "resize_and_crop":
    case "resize":
      return { width: load, height: load };
    case "scale_width":
    case "scale_width_and_crop":
      if (w === load && h >= o.crop) return { width: w, height: h };
      return { width: load, height: Math.floor(Math.max((load * h) / w, o.crop)) };
    case "crop":
      return { width: w, height: h };
    case "none":
      return { width: roundHalfEven(w / 4) * 4, height: roundHalfEven(h / 4) * 4 };
  }
}

/** The output size of an image of `size` (the same for every image except under scale_width and none). */
export function outputSize(o: PreprocessOptions, size: Size, mode: Mode): Size {
  const r = resizedSize(o, size, mode);
  if (!cropsIn(o.preprocess)) return r;
  // official __crop: crops only when the image is larger than the crop in some dimension
  if (r.width > o.crop || r.height > o.crop) return { width: o.crop, height: o.crop };
  return r;
}

/**
 * Why an image of `size` cannot be used, or undefined. Only `crop` and `none` keep the
 * image's own size, so only they can meet an image smaller than the crop size.
 */
export function sizeProblem(o: PreprocessOptions, size: Size): string | undefined {
  if (o.preprocess !== "crop" && o.preprocess !== "none") return undefined;
  // under `none` the net sees the size rounded to a multiple of 4
  const s = o.preprocess === "none" ? resizedSize(o, size, "train") : size;
  if (s.width >= o.crop && s.height >= o.crop) return undefined;
  return `${size.width}×${size.height}${s !== size ? ` (${s.width}×${s.height} after rounding to a multiple of 4)` : ""} is smaller than the crop size ${o.crop}×${o.crop}`;
}

/**
 * Plans the transform of one image. `rng` is required in training mode (crops and flips
 * draw from it, in the order documented above) and ignored in evaluation mode.
 */
export function planTransform(o: PreprocessOptions, size: Size, mode: Mode, rng?: Rng): Transform {
  if (mode === "train" && !rng) throw new Error("planTransform: training mode needs an Rng");
  const r = resizedSize(o, size, mode);
  const t: Transform = { flip: false, out: r };
  if (r.width !== size.width || r.height !== size.height) t.resize = r;
  if (cropsIn(o.preprocess)) {
    const c = o.crop;
    const rangeX = Math.max(0, r.width - c);
    const rangeY = Math.max(0, r.height - c);
    let left: number;
    let top: number;
    if (mode === "train") {
      left = rng!.int(rangeX + 1);
      top = rng!.int(rangeY + 1);
    } else {
      left = roundHalfEven(rangeX / 2);
      top = roundHalfEven(rangeY / 2);
    }
    if (r.width > c || r.height > c) {
      if (r.width < c || r.height < c) throw new Error(`planTransform: ${r.width}×${r.height} cannot be cropped to ${c}×${c}`);
      t.crop = { left, top, width: c, height: c };
      t.out = { width: c, height: c };
    }
  }
  if (mode === "train" && o.flip) t.flip = rng!.next() < 0.5;
  return t;
}
