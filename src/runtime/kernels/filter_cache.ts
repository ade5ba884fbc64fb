/**
 * Rearranged filters, cached per weight version.
 *
 * The input gradient of a conv (and the forward of a conv-transpose) convolves with a
 * flipped, channel-swapped (and, for stride > 1, sub-pixel-stacked) copy of the weight.
 * Building that copy costs a pass over the weight, and — worse — a fresh copy on every call
 * gives the wasm backend's XNNPACK a new filter id, so it re-creates (re-packs) the conv
 * operator every time.  A weight is used by several such kernels per training iteration
 * (every generator runs 2–3 times per step) but changes only once, when the optimizer assigns
 * it; tfjs tensors are immutable and `Variable.assign` gives the variable a new dataId.  So
 * the data id *is* the weight version: one rearranged copy is kept per (source dataId,
 * layout key), on the backend, and freed in the same `disposeData` that frees the source
 * (the backend's `disposeData` is wrapped once per backend instance for that).  Nothing
 * outlives its source, so `numDataIds()` returns to its level when the weights are freed.
 */
import type * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "./kernel_ctx.js";

type DataId = object;
type DisposeData = (dataId: DataId, force?: boolean) => boolean;

export class FilterCache {
  private readonly entries = new Map<DataId, Map<string, TensorInfo>>();
  private readonly disposeOriginal: DisposeData;
  /** cache hits and builds since creation (tests, benchmarks) */
  readonly stats = { hits: 0, builds: 0 };

  private constructor(private readonly backend: tf.KernelBackend) {
    const b = backend as unknown as { disposeData: DisposeData };
    const original = b.disposeData.bind(backend) as DisposeData;
    this.disposeOriginal = original;
    b.disposeData = (dataId: DataId, force?: boolean) => {
      const freed = original(dataId, force);
      if (freed !== false && this.entries.size > 0) this.evict(dataId);
      return freed;
    };
  }

  /** The cache of `backend` (created, and its disposeData wrapped, on first use). */
  static of(backend: tf.KernelBackend): FilterCache {
    let c = caches.get(backend);
    if (c == null) {
      c = new FilterCache(backend);
      caches.set(backend, c);
    }
    return c;
  }

  /**
   * The rearranged filter `key` of `source`'s current value: built by `build` on the first
   * call for this data id, reused afterwards.  The result belongs to the cache: callers must
   * not dispose or track it.
   */
  get(source: TensorInfo, key: string, build: () => TensorInfo): TensorInfo {
    let perSource = this.entries.get(source.dataId);
    const hit = perSource?.get(key);
    if (hit != null) {
      this.stats.hits++;
      return hit;
    }
    const made = build();
    this.stats.builds++;
    if (perSource == null) {
      perSource = new Map();
      this.entries.set(source.dataId, perSource);
    }
    perSource.set(key, made);
    return made;
  }

  /** Number of cached rearranged filters (tests). */
  get size(): number {
    let n = 0;
    for (const m of this.entries.values()) n += m.size;
    return n;
  }

  /** Frees everything cached (tests, benchmarks). */
  clear(): void {
    for (const id of [...this.entries.keys()]) this.evict(id);
  }

  private evict(dataId: DataId): void {
    const perSource = this.entries.get(dataId);
    if (perSource == null) return;
    this.entries.delete(dataId);
    for (const t of perSource.values()) this.disposeOriginal(t.dataId, true);
  }
}

const caches = new WeakMap<tf.KernelBackend, FilterCache>();
