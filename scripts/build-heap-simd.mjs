// Assembles src/runtime/kernels/heap_simd.wat (gancc's heap loops in WebAssembly SIMD) with wabt
// into the two binaries src/runtime/kernels/heap_simd.ts loads: heap_simd.shared.wasm (its memory
// import is shared: tfjs's threaded wasm build) and heap_simd.wasm (a plain memory: its
// single-threaded build). They are written next to the source (for tsx and the tests) and, when
// dist/ exists, into dist/runtime/kernels/ (for the package). Part of `npm run build` and of the
// tests' global setup; the outputs are gitignored. Without them gancc runs the same loops in JS.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import wabtInit from "wabt";

const SRC = new URL("../src/runtime/kernels/", import.meta.url);
const DIST = new URL("../dist/runtime/kernels/", import.meta.url);
const SHARED_IMPORT = '(import "env" "memory" (memory 1 65536 shared))';

export async function buildHeapSimd({ quiet = false } = {}) {
  const wat = readFileSync(new URL("heap_simd.wat", SRC), "utf8");
  if (!wat.includes(SHARED_IMPORT)) throw new Error(`heap_simd.wat: expected the memory import ${SHARED_IMPORT}`);
  const wabt = await wabtInit();
  const variants = { "heap_simd.shared.wasm": wat, "heap_simd.wasm": wat.replace(SHARED_IMPORT, '(import "env" "memory" (memory 1 65536))') };
  for (const [name, text] of Object.entries(variants)) {
    const mod = wabt.parseWat("heap_simd.wat", text, { simd: true, threads: true });
    try {
      const { buffer } = mod.toBinary({});
      // V8 validates it (wabt.js's own validate() ignores the threads feature)
      new WebAssembly.Module(buffer);
      for (const dir of [SRC, ...(existsSync(DIST) ? [DIST] : [])]) writeFileSync(new URL(name, dir), buffer);
      if (!quiet) console.log(`wrote ${name} (${buffer.length} bytes)${existsSync(DIST) ? " in src/ and dist/" : " in src/"}`);
    } finally {
      mod.destroy();
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await buildHeapSimd();
