/**
 * Memory measurements of the wasm backend, for the training-step memory budget (the wasm32 heap
 * is limited to 4 GiB and never shrinks).
 *
 * Two numbers, because they answer different questions:
 * - `wasmHeapBytes()`: the size of the wasm module's linear memory. Emscripten only grows it, so in a
 *   fresh process it is the high-water mark of everything the module ever held at once — tensor
 *   buffers, XNNPACK's packed weights and scratch, allocator fragmentation. It is what hits the
 *   limit, but it cannot go down, so it says nothing about one iteration in a process that ran others.
 * - `TensorBufferMeter`: the live bytes of tensor buffers the backend allocated (each buffer once,
 *   however many tensor handles share it — unlike `tf.memory().numBytes`, which counts a clone or a
 *   reshape twice), and their high-water mark since `reset()`. It is the quantity the memory schedule
 *   controls and `gancc summary` estimates, and it can be measured per iteration.
 */
import * as tf from "@tensorflow/tfjs";

interface WasmBackendInternals {
  wasm?: { HEAPU8?: Uint8Array; wasmMemory?: WebAssembly.Memory; _malloc?: unknown };
  move(dataId: object, values: unknown, shape: number[], dtype: tf.DataType, refCount: number): void;
  disposeData(dataId: object, force?: boolean): boolean;
  dataIdMap: { has(id: object): boolean };
}

/** Bytes of the wasm backend's linear memory (undefined on other backends). */
export function wasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== "wasm") return undefined;
  const w = (tf.backend() as unknown as WasmBackendInternals).wasm;
  return w?.HEAPU8?.buffer.byteLength ?? w?.wasmMemory?.buffer.byteLength;
}

/**
 * Counts the wasm backend's tensor buffers by wrapping its allocation (`move`, which every new
 * buffer goes through) and release (`disposeData` that frees). Counts only buffers allocated after
 * construction. Create it before anything else wraps `disposeData` (the conv kernels' filter cache
 * does on its first use), or that wrapper's frees bypass the meter.
 */
export class TensorBufferMeter {
  /** live bytes now */
  live = 0;
  /** highest `live` since construction or the last `reset()` */
  peak = 0;
  private readonly sizes = new Map<object, number>();
  private readonly backend: WasmBackendInternals;
  private readonly origMove: WasmBackendInternals["move"];
  private readonly origDispose: WasmBackendInternals["disposeData"];
  private readonly move: WasmBackendInternals["move"];
  private readonly dispose: WasmBackendInternals["disposeData"];
  private active = true;

  constructor() {
    if (tf.getBackend() !== "wasm") throw new Error(`TensorBufferMeter measures the wasm backend; the active backend is ${tf.getBackend()}`);
    const b = tf.backend() as unknown as WasmBackendInternals;
    this.backend = b;
    this.origMove = b.move;
    this.origDispose = b.disposeData;
    b.move = this.move = (dataId, values, shape, dtype, refCount) => {
      this.origMove.call(b, dataId, values, shape, dtype, refCount);
      if (dtype === "string" || !this.active) return;
      const bytes = shape.reduce((a, c) => a * c, 1) * (dtype === "complex64" ? 8 : 4);
      this.sizes.set(dataId, bytes);
      this.live += bytes;
      if (this.live > this.peak) this.peak = this.live;
    };
    b.disposeData = this.dispose = (dataId, force) => {
      const freed = this.origDispose.call(b, dataId, force);
      const bytes = this.sizes.get(dataId);
      if (bytes != null && !b.dataIdMap.has(dataId)) {
        this.sizes.delete(dataId);
        this.live -= bytes;
      }
      return freed;
    };
  }

  /** Starts a new high-water mark at the current live bytes. */
  reset(): void {
    this.peak = this.live;
  }

  /**
   * Stops counting. The backend's own methods come back only where nothing wrapped them after
   * this meter (the filter cache wraps `disposeData` too); otherwise the wrappers stay, inert.
   */
  uninstall(): void {
    this.active = false;
    if (this.backend.move === this.move) this.backend.move = this.origMove;
    if (this.backend.disposeData === this.dispose) this.backend.disposeData = this.origDispose;
  }
}
