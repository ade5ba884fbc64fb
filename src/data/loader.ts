/**
 * Batches for the trainer: `{ [domain]: Float32Array }` in NHWC with each domain's shape
 * `[N, H, W, C]` and the files used, decoded one batch ahead while the caller trains.
 *
 * Order (official unaligned/aligned datasets with a shuffling DataLoader):
 *   - an epoch is `dataset.length` items: the largest domain (unpaired) or the number of
 *     pairs, in batches of `batch`; the last batch of an epoch is smaller when the length is
 *     not a multiple of `batch` (drop_last = false), unless `dropLast`.
 *   - training: the items of an epoch are a permutation of 0 … length−1 drawn from
 *     Rng.derive(seed, "data/order/<epoch>"); the first domain reads image
 *     `perm[p] mod |domain|`; every other domain of an unpaired dataset draws its image
 *     uniformly at random (the official `random.randint(0, B_size − 1)`); paired domains use
 *     the same index and the same crop and flip.
 *   - evaluation (`mode: "eval"`, the default for the test split): items in file order,
 *     other unpaired domains at `p mod |domain|` (official serial_batches), no random
 *     crops or flips (preprocess.ts), and no draws at all.
 * Every per-item draw (other domains' indices, crops, flips) comes from one stream,
 * Rng.derive(seed, "data"), in item order, at the moment a batch is planned; decoding
 * happens afterwards and in parallel, so prefetching never changes what is drawn.
 *
 * State (`state()`) is the position after the last batch handed out: epoch, position in
 * the epoch, batch count, RNG state and a fingerprint of the file list. A loader built
 * with that state hands out exactly the batches an uninterrupted one would have next.
 * Epochs and batch indices are 0-based.
 */
import { DataError, type WarningSink, listSome } from "./errors.js";
import type { Dataset } from "./dataset.js";
import { decodeImage } from "./decode.js";
import { unreadableReason } from "./scan.js";
import { type Mode, type Transform, outputSize, planTransform } from "./preprocess.js";
import { Rng, type RngState } from "../runtime/rng.js";

export interface LoaderState {
  version: 1;
  seed: number;
  /** the epoch of the next batch (0-based) */
  epoch: number;
  /** items of that epoch already handed out */
  position: number;
  /** batches handed out since the start of training */
  iteration: number;
  rng: RngState;
  /** Dataset.fingerprint when the state was taken */
  fingerprint: string;
}

export interface LoaderOptions {
  /** images per batch (≥ 1) */
  batch: number;
  /** the run's seed (the train section's `seed`) */
  seed: number;
  /** "train" (random crops, flips, shuffling) or "eval"; default: train for the train split, eval otherwise */
  mode?: Mode;
  /** drop the last, smaller batch of each epoch (default false, as the official DataLoader) */
  dropLast?: boolean;
  /** decode the next batch while the caller works on this one (default true) */
  prefetch?: boolean;
  /** continue from a saved state */
  state?: LoaderState;
  onWarning?: WarningSink;
}

export type Shape = [number, number, number, number];

export interface Batch {
  /** 0-based epoch this batch belongs to */
  epoch: number;
  /** 0-based batch index within the epoch */
  index: number;
  /** 0-based batch count since the start of training */
  iteration: number;
  /** whether this is the epoch's last batch */
  lastInEpoch: boolean;
  /** N (may be less than `batch` for an epoch's last batch) */
  size: number;
  /** per domain name: N·H·W·C floats in [-1, 1], NHWC */
  data: Record<string, Float32Array>;
  /** per domain name: [N, H, W, C] */
  shape: Record<string, Shape>;
  /** per domain name: the files used, relative to the dataset root (paired_ab: the same file for both) */
  files: Record<string, string[]>;
}

interface ItemPlan {
  /** per domain: image index and transform */
  parts: { index: number; transform: Transform }[];
}

interface BatchPlan {
  epoch: number;
  index: number;
  iteration: number;
  lastInEpoch: boolean;
  items: ItemPlan[];
  stateAfter: LoaderState;
}

export class DataLoader {
  readonly dataset: Dataset;
  readonly batch: number;
  readonly seed: number;
  readonly mode: Mode;
  readonly dropLast: boolean;
  readonly prefetch: boolean;
  /** items per epoch */
  readonly itemsPerEpoch: number;
  /** batches per epoch */
  readonly batchesPerEpoch: number;
  private readonly warn: WarningSink | undefined;
  private readonly limit: number;
  // planner state (may be one batch ahead of what was handed out)
  private epoch: number;
  private position: number;
  private iteration: number;
  private rng: Rng;
  private order: { epoch: number; perm: Uint32Array } | undefined;
  // what the caller has seen
  private handed: LoaderState;
  private pending: Promise<Batch & { stateAfter: LoaderState }> | undefined;

  constructor(dataset: Dataset, o: LoaderOptions) {
    if (!Number.isInteger(o.batch) || o.batch < 1) throw new DataError(`batch must be a positive integer, got ${o.batch}`);
    this.dataset = dataset;
    this.batch = o.batch;
    this.mode = o.mode ?? (dataset.split === "train" ? "train" : "eval");
    this.dropLast = o.dropLast ?? false;
    this.prefetch = o.prefetch ?? true;
    this.warn = o.onWarning;
    this.itemsPerEpoch = dataset.length;
    this.limit = this.dropLast ? Math.floor(dataset.length / this.batch) * this.batch : dataset.length;
    this.batchesPerEpoch = Math.ceil(this.limit / this.batch);
    if (this.limit === 0) {
      throw new DataError(`batch ${this.batch} is larger than the ${dataset.length} items of ${dataset.root} (${dataset.split}) and the last, smaller batch is dropped, so an epoch has no batches; use a smaller batch`);
    }
    if (this.batch > 1) this.checkUniformSizes();
    const s = o.state;
    if (s) {
      if (s.version !== 1) throw new DataError(`data loader state version ${String(s.version)} is not supported (expected 1)`);
      if (s.seed !== o.seed) this.warn?.(`the saved data loader state was made with seed ${s.seed}, not ${o.seed}; continuing with the saved seed so the batches match`);
      if (s.fingerprint !== dataset.fingerprint) {
        this.warn?.(`the files under ${dataset.root} changed since the state was saved (fingerprint ${s.fingerprint} → ${dataset.fingerprint}); the resumed run will not see the same batches as an uninterrupted one`);
      }
      this.seed = s.seed;
      this.epoch = s.epoch;
      this.position = s.position;
      this.iteration = s.iteration;
      this.rng = Rng.fromState(s.rng);
    } else {
      this.seed = o.seed;
      this.epoch = 0;
      this.position = 0;
      this.iteration = 0;
      this.rng = Rng.derive(o.seed, "data");
    }
    this.handed = this.snapshot();
  }

  /**
   * Per domain, the [H, W, C] every image comes out as, or undefined for a domain whose
   * images come out in several sizes (scale_width or none, batch 1). For building the nets
   * and checking the spec's accepted sizes before the first batch.
   */
  imageShapes(): Record<string, [number, number, number] | undefined> {
    const out: Record<string, [number, number, number] | undefined> = {};
    for (const d of this.dataset.domains) {
      const sizes = new Set(d.images.map((im) => {
        const s = outputSize(this.dataset.data, im, this.mode);
        return `${s.height}x${s.width}`;
      }));
      if (sizes.size !== 1) {
        out[d.name] = undefined;
        continue;
      }
      const [h, w] = [...sizes][0]!.split("x").map(Number) as [number, number];
      out[d.name] = [h, w, d.channels];
    }
    return out;
  }

  /** The state after the last batch handed out by `next()` (JSON-serialisable). */
  state(): LoaderState {
    return { ...this.handed, rng: [...this.handed.rng] as RngState };
  }

  /** The next batch; crosses into the next epoch after an epoch's last batch. */
  async next(): Promise<Batch> {
    const p = this.pending ?? this.start(this.plan());
    this.pending = undefined;
    const b = await p;
    this.handed = b.stateAfter;
    if (this.prefetch) this.pending = this.start(this.plan());
    const { stateAfter: _, ...batch } = b;
    return batch;
  }

  /** The batches up to and including the current epoch's last one. */
  async *epochBatches(): AsyncGenerator<Batch> {
    for (;;) {
      const b = await this.next();
      yield b;
      if (b.lastInEpoch) return;
    }
  }

  /** Waits for a prefetch in flight (call before dropping the loader). */
  async close(): Promise<void> {
    const p = this.pending;
    this.pending = undefined;
    if (p) await p.catch(() => undefined);
  }

  private snapshot(): LoaderState {
    return { version: 1, seed: this.seed, epoch: this.epoch, position: this.position, iteration: this.iteration, rng: this.rng.state(), fingerprint: this.dataset.fingerprint };
  }

  private checkUniformSizes(): void {
    for (const d of this.dataset.domains) {
      const sizes = new Map<string, string>();
      for (const im of d.images) {
        const s = outputSize(this.dataset.data, im, this.mode);
        const k = `${s.width}×${s.height}`;
        if (!sizes.has(k)) sizes.set(k, im.rel);
      }
      if (sizes.size > 1) {
        throw new DataError(
          `batch ${this.batch} needs every image of domain ${d.name} to come out the same size, but with preprocess: ${this.dataset.data.preprocess} they come out in ${sizes.size} sizes ` +
            `(${listSome([...sizes].map(([k, f]) => `${k} from ${f}`), 3)}); use batch 1, or preprocess: resize_and_crop or scale_width_and_crop`,
        );
      }
    }
  }

  private permutation(epoch: number): Uint32Array {
    if (this.order?.epoch === epoch) return this.order.perm;
    const n = this.dataset.length;
    const idx = Array.from({ length: n }, (_, i) => i);
    if (this.mode === "train") Rng.derive(this.seed, `data/order/${epoch}`).shuffle(idx);
    this.order = { epoch, perm: Uint32Array.from(idx) };
    return this.order.perm;
  }

  private plan(): BatchPlan {
    if (this.position >= this.limit) {
      this.epoch++;
      this.position = 0;
    }
    const ds = this.dataset;
    const perm = this.permutation(this.epoch);
    const n = Math.min(this.batch, this.limit - this.position);
    const train = this.mode === "train";
    const items: ItemPlan[] = [];
    for (let p = this.position; p < this.position + n; p++) {
      const k = perm[p]!;
      const parts: ItemPlan["parts"] = [];
      if (ds.paired) {
        const index = k % ds.domains[0]!.images.length;
        const t = planTransform(ds.data, ds.domains[0]!.images[index]!, this.mode, train ? this.rng : undefined);
        for (const _ of ds.domains) parts.push({ index, transform: t });
      } else {
        ds.domains.forEach((d, di) => {
          const m = d.images.length;
          const index = di === 0 ? k % m : train ? this.rng.int(m) : p % m;
          parts.push({ index, transform: planTransform(ds.data, d.images[index]!, this.mode, train ? this.rng : undefined) });
        });
      }
      items.push({ parts });
    }
    const index = Math.floor(this.position / this.batch);
    this.position += n;
    const plan: BatchPlan = { epoch: this.epoch, index, iteration: this.iteration, lastInEpoch: this.position >= this.limit, items, stateAfter: undefined as unknown as LoaderState };
    this.iteration++;
    plan.stateAfter = this.snapshot();
    return plan;
  }

  private start(plan: BatchPlan): Promise<Batch & { stateAfter: LoaderState }> {
    const p = this.decode(plan);
    p.catch(() => undefined); // a failed prefetch is reported by the next() that awaits it
    return p;
  }

  private async decode(plan: BatchPlan): Promise<Batch & { stateAfter: LoaderState }> {
    const ds = this.dataset;
    const N = plan.items.length;
    const data: Record<string, Float32Array> = {};
    const shape: Record<string, Shape> = {};
    const files: Record<string, string[]> = {};
    const jobs: Promise<unknown>[] = [];
    ds.domains.forEach((d, di) => {
      const first = plan.items[0]!.parts[di]!.transform.out;
      const C = d.channels;
      const per = first.width * first.height * C;
      const buf = new Float32Array(N * per);
      data[d.name] = buf;
      shape[d.name] = [N, first.height, first.width, C];
      files[d.name] = plan.items.map((it) => d.images[it.parts[di]!.index]!.rel);
      plan.items.forEach((it, i) => {
        const { index, transform } = it.parts[di]!;
        const im = d.images[index]!;
        if (transform.out.width !== first.width || transform.out.height !== first.height) {
          throw new DataError(`batch of domain ${d.name} mixes sizes: ${im.rel} comes out ${transform.out.width}×${transform.out.height}, the batch's first image ${first.width}×${first.height}`);
        }
        jobs.push(
          decodeImage(im.path, C, { region: im.region, transform, out: buf, offset: i * per }).catch(async (e: unknown) => {
            const io = await unreadableReason(im.path);
            throw new DataError(
              `cannot read ${im.path} (${io ?? String((e as Error).message ?? e).split("\n")[0]}); it was readable when the dataset was opened, so it changed during the run. ` +
                `Restore or delete it and resume from the last checkpoint.`,
            );
          }),
        );
      });
    });
    await Promise.all(jobs);
    return { epoch: plan.epoch, index: plan.index, iteration: plan.iteration, lastInEpoch: plan.lastInEpoch, size: N, data, shape, files, stateAfter: plan.stateAfter };
  }
}
