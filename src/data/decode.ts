/**
 * Image decoding with sharp (libvips): any format sharp reads (PNG, JPEG, WebP, GIF, TIFF,
 * AVIF, …) to float32 HWC in [-1, 1], x/127.5 − 1 of the 8-bit value, which is the
 * official ToTensor + Normalize((0.5,…), (0.5,…)).
 *
 * Channels, to the count the spec's domain declares:
 *   3 (RGB)   grayscale is replicated into R, G, B; an alpha channel is composited onto
 *             WHITE first. Emoji and icons have transparent backgrounds whose hidden RGB is
 *             usually black or garbage; white is what a viewer shows them on, and it keeps
 *             black strokes distinguishable from the background.
 *   1 (gray)  RGB → ITU-R BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B (what PIL's
 *             convert("L") and the official code's RGB-to-gray use), computed in float from
 *             the 8-bit RGB, not rounded; alpha is composited onto white first.
 *   4 (RGBA)  kept; images without alpha get an opaque alpha channel.
 * Other counts are rejected when the dataset is opened (dataset.ts).
 *
 * The geometric transform (preprocess.ts) runs in sharp: an optional region of the file
 * (one half of a paired AB image), then the bicubic resize (sharp's "cubic" kernel is
 * Catmull-Rom, a = −0.5, as PIL's BICUBIC; shrink-on-load is off so JPEGs are not
 * pre-shrunk by a different filter), then the crop. The flip and the channel conversion
 * are applied while converting to float. EXIF orientation is ignored, as PIL.Image.open does.
 */
import sharp from "sharp";
import type { Rect, Transform } from "./preprocess.js";

export type Channels = 1 | 3 | 4;

export const WHITE = { r: 255, g: 255, b: 255 } as const;

/** The least strict libvips level that still rejects truncated files. */
export const FAIL_ON = "truncated" as const;

export interface DecodedImage {
  data: Float32Array;
  width: number;
  height: number;
  channels: Channels;
}

export interface DecodeOptions {
  /** the part of the file to use (before any resize); absent: all of it */
  region?: Rect;
  /** resize/crop/flip; absent: the image as it is */
  transform?: Transform;
  /** write into this array at `offset` instead of allocating */
  out?: Float32Array;
  offset?: number;
}

function isColor(channels: number): channels is Channels {
  return channels === 1 || channels === 3 || channels === 4;
}

/**
 * Converts 8-bit interleaved sRGB (3 channels) or sRGBA (4) to float32 HWC in [-1, 1]
 * with `channels` channels, optionally mirrored left–right, into `out` at `offset`.
 */
export function pixelsToFloat(
  src: Uint8Array,
  width: number,
  height: number,
  srcChannels: 3 | 4,
  channels: Channels,
  flip: boolean,
  out: Float32Array,
  offset = 0,
): void {
  if (src.length !== width * height * srcChannels) throw new Error(`pixelsToFloat: expected ${width * height * srcChannels} bytes, got ${src.length}`);
  if (channels === 4 && srcChannels !== 4) throw new Error("pixelsToFloat: RGBA output needs RGBA input");
  if (channels !== 4 && srcChannels !== 3) throw new Error("pixelsToFloat: gray/RGB output needs RGB input (alpha flattened)");
  let o = offset;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const s = (row + (flip ? width - 1 - x : x)) * srcChannels;
      if (channels === 1) {
        out[o++] = (0.299 * src[s]! + 0.587 * src[s + 1]! + 0.114 * src[s + 2]!) / 127.5 - 1;
      } else {
        for (let c = 0; c < channels; c++) out[o++] = src[s + c]! / 127.5 - 1;
      }
    }
  }
}

/** A sharp pipeline for one image up to 8-bit sRGB(A) raw pixels. */
export function sharpPipeline(path: string, channels: Channels, region?: Rect, transform?: Transform): sharp.Sharp {
  let s = sharp(path, { failOn: FAIL_ON });
  const t = transform;
  // Without a resize the region and the crop compose into one extract.
  if (region && !(t?.resize) && t?.crop) {
    s = s.extract({ left: region.left + t.crop.left, top: region.top + t.crop.top, width: t.crop.width, height: t.crop.height });
  } else {
    if (region) s = s.extract(region);
    if (t?.resize) s = s.resize(t.resize.width, t.resize.height, { fit: "fill", kernel: "cubic", fastShrinkOnLoad: false });
    if (t?.crop) s = s.extract(t.crop);
  }
  s = channels === 4 ? s.ensureAlpha() : s.flatten({ background: WHITE });
  return s.toColourspace("srgb").raw({ depth: "uchar" });
}

/** Decodes one image file (optionally a region of it, optionally transformed) to float32 HWC in [-1, 1]. */
export async function decodeImage(path: string, channels: Channels, opts: DecodeOptions = {}): Promise<DecodedImage> {
  if (!isColor(channels)) throw new Error(`decodeImage: channels must be 1, 3 or 4, got ${channels}`);
  const { data, info } = await sharpPipeline(path, channels, opts.region, opts.transform).toBuffer({ resolveWithObject: true });
  const k = info.channels;
  if (k !== 3 && k !== 4) throw new Error(`decodeImage: ${path}: unexpected ${k}-channel output from sharp`);
  const flip = opts.transform?.flip ?? false;
  const n = info.width * info.height * channels;
  const out = opts.out ?? new Float32Array(n);
  const offset = opts.offset ?? 0;
  if (offset + n > out.length) throw new Error(`decodeImage: ${path}: ${info.width}×${info.height}×${channels} does not fit the output at ${offset}`);
  pixelsToFloat(data, info.width, info.height, k, channels, flip, out, offset);
  return { data: opts.out ? out.subarray(offset, offset + n) : out, width: info.width, height: info.height, channels };
}
