/**
 * Image files ↔ tensors at the runtime's boundary: NHWC float32 in [-1, 1], one image per
 * tensor ([1, H, W, C]). Decoding goes through the data pipeline's `decodeImage` (RGBA
 * flattened on white, channels converted), encoding through sharp.
 */
import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import { decodeImage } from "../data/decode.js";

/** An image file resized to size×size with `channels` channels, as a [1, size, size, C] tensor. */
export async function imageFileToTensor(path: string, channels: number, size: number): Promise<tf.Tensor4D> {
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new Error(`images can be read with 1, 3 or 4 channels, not ${channels}`);
  const out = { width: size, height: size };
  const img = await decodeImage(path, channels, { transform: { resize: out, flip: false, out } });
  return tf.tensor4d(img.data, [1, size, size, channels]);
}

/** HWC floats in [-1, 1] (clamped) as PNG bytes. */
export function floatsToPng(data: ArrayLike<number>, height: number, width: number, channels: number): Promise<Buffer> {
  const bytes = Buffer.alloc(height * width * channels);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.round((Math.min(1, Math.max(-1, data[i]!)) + 1) * 127.5);
  return sharp(bytes, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } }).png().toBuffer();
}

/** A [1, H, W, C] tensor in [-1, 1] as PNG bytes. */
export async function tensorToPng(t: tf.Tensor): Promise<Buffer> {
  const [, h, w, c] = t.shape as number[];
  return floatsToPng((await t.data()) as Float32Array, h!, w!, c!);
}
