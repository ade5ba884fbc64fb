/**
 * The two methods of tfjs-backend-wasm's BackendWasm that gancc's kernels and the flat optimizer use
 * to fill a tensor in place in the wasm heap (no JS-side buffer, no upload): `makeOutput` allocates a
 * tensor's buffer in the heap, `typedArrayFromHeap` is a view of it. A view must be taken after the
 * last allocation it coexists with: growing the heap detaches earlier views. And the heap itself, the
 * backend's WebAssembly.Memory (`backendMemory`), which the heap pool and the SIMD heap loops use.
 */
import type * as tf from "@tensorflow/tfjs";
import { attachHeapSimd } from "./heap_simd.js";

export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** `backend` as a WasmHeapBackend, or undefined for a backend without a wasm heap (cpu, webgpu, tensorflow). */
export function wasmHeap(backend: unknown): WasmHeapBackend | undefined {
  const b = backend as Partial<WasmHeapBackend> | undefined;
  return typeof b?.makeOutput === "function" && typeof b.typedArrayFromHeap === "function" ? (b as WasmHeapBackend) : undefined;
}

/** Backends whose heap has had the SIMD loops attached (or could not: once is enough). */
const simdTried = new WeakSet<object>();

/**
 * `backend` as a WasmHeapBackend; an internal error naming `who` where it has no wasm heap (only
 * wasm kernels call this). The first call for a backend attaches the SIMD heap loops to its heap
 * (./heap_simd.ts).
 */
export function requireWasmHeap(backend: unknown, who: string): WasmHeapBackend {
  const heap = wasmHeap(backend);
  if (heap == null) throw new Error(`internal: ${who}: the backend has no wasm heap`);
  if (!simdTried.has(heap)) {
    simdTried.add(heap);
    const memory = backendMemory(backend);
    if (memory !== undefined) attachHeapSimd(memory);
  }
  return heap;
}

/** The WebAssembly.Memory of tfjs's wasm backend (threaded build: wasmMemory; single-threaded: its exports' memory). */
export function backendMemory(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } } | undefined)?.wasm;
  const m = wasm?.wasmMemory ?? wasm?.asm?.memory;
  return m instanceof WebAssembly.Memory ? m : undefined;
}
