/**
 * The heap loops of ./heap_loops.ts in WebAssembly SIMD (./heap_simd.wat), its tiled transpose
 * included, on the wasm backend's own heap: a small module that imports the
 * backend's WebAssembly.Memory as its memory, so it reads and writes tensors where XNNPACK left them,
 * 3–9× faster than the JS loops and 8–19× faster than tfjs's Transpose on power-of-two shapes
 * (bench/heap_simd.ts), with the same results, bit for bit (same operations in the same order).
 *
 * `attachHeapSimd(memory)` instantiates it on a heap (the main thread: when the wasm backend is
 * selected, or a wasm kernel first takes the backend's heap, ./heap_backend.ts; a heap worker
 * thread: when it is handed the heap, ../heap_worker.ts). The loops then ask `heapSimdFor(view.buffer)` and run here when their views
 * lie in an attached heap, in JS otherwise (cpu backend arrays, a heap without the module).
 *
 * The binaries are built from the .wat by scripts/build-heap-simd.mjs (`npm run build`, and the
 * tests' global setup); where they are missing, or GANCC_HEAP_SIMD=0, everything runs in JS and
 * `heapSimdStatus()` says why.
 */
import { readFileSync } from "node:fs";

/** The module's exports (offsets and counts in float32 elements; see heap_simd.wat). */
export interface HeapSimd {
  col2imTap(col: number, dx: number, n: number, h: number, w: number, ho: number, wo: number, sh: number, sw: number, ra: number, rb: number, j0: number, len: number, c0: number, c1: number, s: number): void;
  im2colTTap(xt: number, cv: number, n: number, h: number, w: number, ho: number, wo: number, sh: number, sw: number, ra: number, rb: number, j0: number, len: number, c0: number, c1: number, d: number): void;
  im2colTaps(x: number, cv: number, h: number, w: number, ci: number, ho: number, wo: number, kw: number, sh: number, sw: number, pt: number, pl: number, t0: number, g: number, p0: number, pb: number): void;
  /** dst[c·dstStride + r] = src[r·cols + c] */
  transpose2d(src: number, dst: number, rows: number, cols: number, dstStride: number): void;
}

const attached: { memory: WebAssembly.Memory; simd: HeapSimd }[] = [];
const compiled = new Map<"shared" | "plain", WebAssembly.Module>();
let unavailable: string | undefined;

/** Tests and benchmarks: run the JS loops even where the module is attached. */
export const heapSimdTesting = { disabled: false };

function moduleFor(shared: boolean): WebAssembly.Module | undefined {
  const key = shared ? "shared" : "plain";
  const have = compiled.get(key);
  if (have !== undefined || unavailable !== undefined) return have;
  if (process.env.GANCC_HEAP_SIMD === "0") {
    unavailable = "GANCC_HEAP_SIMD=0";
    return undefined;
  }
  const file = new URL(shared ? "./heap_simd.shared.wasm" : "./heap_simd.wasm", import.meta.url);
  try {
    const m = new WebAssembly.Module(readFileSync(file));
    compiled.set(key, m);
    return m;
  } catch (e) {
    unavailable = `${file.pathname}: ${(e as Error).message} (build it with \`npm run build\` or \`node scripts/build-heap-simd.mjs\`)`;
    return undefined;
  }
}

/** Instantiates the module on `memory` (once per memory, the newest only); false where it cannot (heapSimdStatus says why). */
export function attachHeapSimd(memory: WebAssembly.Memory): boolean {
  if (attached.some((a) => a.memory === memory)) return true;
  const m = moduleFor(memory.buffer instanceof SharedArrayBuffer);
  if (m === undefined) return false;
  const instance = new WebAssembly.Instance(m, { env: { memory } });
  // One heap at a time (tfjs has one wasm backend; a re-created one, e.g. another thread count,
  // has a new heap): an instance keeps its memory alive, so an old heap's is dropped, not kept.
  attached.length = 0;
  attached.push({ memory, simd: instance.exports as unknown as HeapSimd });
  return true;
}

/** The module on the heap whose current buffer is `buffer`, if attached (and not disabled). */
export function heapSimdFor(buffer: ArrayBufferLike): HeapSimd | undefined {
  if (heapSimdTesting.disabled) return undefined;
  for (const a of attached) if (a.memory.buffer === buffer) return a.simd;
  return undefined;
}

/** "wasm SIMD" when the module is attached to a heap, else why the loops run in JS. */
export function heapSimdStatus(): string {
  if (attached.length > 0) return "wasm SIMD";
  return unavailable ?? "no wasm heap has the module";
}
