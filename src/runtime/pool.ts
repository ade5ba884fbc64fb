/**
 * The image history pool of Shrivastava et al. as the official CycleGAN code uses it
 * (util/image_pool.py): until full, each generated image is stored and returned; once full,
 * with probability `swap` a random stored image is returned and replaced by the new one,
 * otherwise the new image is returned. Size 0 returns its input. Images are stored per batch
 * element as plain Float32Arrays (outside the tfjs heap), so the pool's contents go into a
 * checkpoint and a resumed run continues with the same pool.
 */
import * as tf from "@tensorflow/tfjs";
import { detach } from "./criteria.js";
import type { Rng } from "./rng.js";

export interface PoolState {
  size: number;
  swap: number;
  shape: number[] | null;
  images: Float32Array[];
}

export class ImagePool {
  images: Float32Array[] = [];
  /** per-image shape [H, W, C] of what the pool holds */
  shape: number[] | null = null;

  constructor(readonly size: number, readonly swap = 0.5) {}

  /** Returns the batch the discriminator sees (a new tensor, not linked to the generator). */
  async query(batch: tf.Tensor, rng: Rng): Promise<tf.Tensor> {
    if (this.size <= 0) return detach(batch);
    const [n, ...rest] = batch.shape;
    const per = rest.reduce((a, b) => a * b, 1);
    const data = (await batch.data()) as Float32Array;
    const out = new Float32Array(data.length);
    this.shape ??= rest;
    for (let i = 0; i < n!; i++) {
      const img = data.slice(i * per, (i + 1) * per);
      if (this.images.length < this.size) {
        this.images.push(img);
        out.set(img, i * per);
      } else if (rng.next() < this.swap) {
        const j = rng.int(this.size);
        out.set(this.images[j]!, i * per);
        this.images[j] = img;
      } else {
        out.set(img, i * per);
      }
    }
    return tf.tensor(out, batch.shape, "float32");
  }

  state(): PoolState {
    return { size: this.size, swap: this.swap, shape: this.shape, images: this.images };
  }

  load(s: PoolState): void {
    if (s.images.length > this.size) throw new Error(`pool state holds ${s.images.length} images, the pool's size is ${this.size}`);
    this.images = s.images.map((x) => Float32Array.from(x));
    this.shape = s.shape;
  }
}
