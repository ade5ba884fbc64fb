/**
 * The heap loops in WebAssembly SIMD (src/runtime/kernels/heap_simd.wat) against their JS twins in
 * heap_loops.ts: the same bits, element for element, on geometries with strides, padding, batches,
 * odd channel counts and partial ranges (what a split share or a tap group asks for); and the
 * module is really in use on the wasm backend here (else the conv kernels of every other test would
 * be testing the JS loops only). The shared-memory build (threads) is compared in heap_pool.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { requireWasmHeap } from "../../../src/runtime/kernels/heap_backend.js";
import { col2imAdd, type ConvGeom, im2colTaps, im2colTapsTransposed, transposeTiles } from "../../../src/runtime/kernels/heap_loops.js";
import { heapSimdFor, heapSimdStatus, heapSimdTesting } from "../../../src/runtime/kernels/heap_simd.js";
import { asMatrixTranspose, KernelCtx } from "../../../src/runtime/kernels/kernel_ctx.js";
import { BACKENDS, BACKEND_INDEPENDENT_TESTS, useBackend } from "./setup.js";

interface Case {
  name: string;
  n: number;
  h: number;
  w: number;
  ci: number;
  k: number;
  s: number;
  p: number;
}
const CASES: Case[] = [
  { name: "residual conv (18² valid, 64 channels)", n: 1, h: 18, w: 18, ci: 64, k: 3, s: 1, p: 0 },
  { name: "strided, padded, 37 channels, 33×31", n: 1, h: 33, w: 31, ci: 37, k: 3, s: 2, p: 1 },
  { name: "batch 2, 7×7 kernel, 5 channels", n: 2, h: 12, w: 10, ci: 5, k: 7, s: 1, p: 3 },
  { name: "PatchGAN 4×4 stride 2, RGB", n: 1, h: 16, w: 16, ci: 3, k: 4, s: 2, p: 1 },
  { name: "1×1 kernel, one channel, stride 2", n: 1, h: 9, w: 7, ci: 1, k: 1, s: 2, p: 0 },
];

const geomOf = (c: Case): ConvGeom => ({
  n: c.n, h: c.h, w: c.w, ci: c.ci, kw: c.k, sh: c.s, sw: c.s, pt: c.p, pl: c.p,
  ho: Math.floor((c.h + 2 * c.p - c.k) / c.s) + 1,
  wo: Math.floor((c.w + 2 * c.p - c.k) / c.s) + 1,
});

describe.runIf(BACKENDS.includes("wasm"))("heap loops in WebAssembly SIMD", () => {
  let heap: ReturnType<typeof requireWasmHeap>;
  const live: tf.Tensor[] = [];
  /** A tensor in the wasm heap holding `fill(i)` and its view (taken after all allocations: see `views`). */
  const alloc = (len: number, fill: (i: number) => number): tf.Tensor => {
    const t = tf.tensor1d(Float32Array.from({ length: len }, (_, i) => fill(i)));
    live.push(t);
    return t;
  };
  const view = (t: tf.Tensor): Float32Array => heap.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: "float32" });
  const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
  const rand = (seed: number) => (i: number) => Math.sin(seed * 1000 + i * 12.9898) * 43758.5453 % 1;
  /** runs `f` once with the SIMD loops and once with the JS ones (into separate outputs) */
  const both = (simd: () => void, js: () => void) => {
    simd();
    heapSimdTesting.disabled = true;
    try {
      js();
    } finally {
      heapSimdTesting.disabled = false;
    }
  };

  beforeAll(async () => {
    await useBackend("wasm");
    heap = requireWasmHeap(tf.backend(), "heap_simd.test");
    return () => tf.dispose(live);
  });

  it("is attached to the wasm backend's heap", () => {
    expect(heapSimdStatus()).toBe("wasm SIMD");
    const t = alloc(8, () => 0);
    expect(heapSimdFor(view(t).buffer)).toBeDefined();
    expect(heapSimdFor(new Float32Array(8).buffer), "a JS array is not in the heap").toBeUndefined();
  });

  it("refuses views shorter than the geometry (the module writes by address, unchecked)", () => {
    const G = geomOf(CASES[0]!);
    const short = alloc(10, () => 0);
    const dx = alloc(G.ci * G.h * G.w, () => 0);
    expect(() => col2imAdd(view(short), view(dx), G, 0, 9)).toThrow(/^internal: col2im: col has 10 elements/);
    expect(() => im2colTapsTransposed(view(dx), view(short), G, 0, 9)).toThrow(/^internal: im2colT: colT has 10 elements/);
    expect(() => im2colTaps(view(dx), view(short), G, 0, 9, 0, 4)).toThrow(/^internal: im2col: col has 10 elements/);
  });

  it.each(CASES)("col2im: the JS loop's bits — $name", (c) => {
    const G = geomOf(c);
    const P = G.n * G.ho * G.wo;
    const taps = c.k * c.k;
    // all taps and channels; then a tap group and a channel range (a split share)
    for (const [t0, g, c0, c1] of [[0, taps, 0, c.ci], [Math.min(1, taps - 1), Math.max(1, taps - 2), Math.min(1, c.ci - 1), c.ci]]) {
      const col = alloc(g * c.ci * P, rand(1));
      const dxA = alloc(c.ci * G.n * G.h * G.w, rand(2));
      const dxB = alloc(c.ci * G.n * G.h * G.w, rand(2));
      both(() => col2imAdd(view(col), view(dxA), G, t0, g, c0, c1), () => col2imAdd(view(col), view(dxB), G, t0, g, c0, c1));
      expect(bits(view(dxA))).toEqual(bits(view(dxB)));
      expect(Array.from(view(dxA)), "it did add something").not.toEqual(Array.from(view(alloc(c.ci * G.n * G.h * G.w, rand(2)))));
    }
  });

  it.each(CASES)("transposed im2col: the JS loop's bits, every element written — $name", (c) => {
    const G = geomOf(c);
    const P = G.n * G.ho * G.wo;
    const taps = c.k * c.k;
    const xt = alloc(c.ci * G.n * G.h * G.w, rand(3));
    // all rows; then a tap group and rows [r0, r1) inside it (a split share)
    const part = (g: number) => [Math.min(1, g * c.ci - 1), Math.max(Math.min(1, g * c.ci - 1) + 1, g * c.ci - 1)];
    for (const [t0, g, r0, r1] of [[0, taps, 0, taps * c.ci], [Math.min(1, taps - 1), Math.max(1, taps - 2), ...part(Math.max(1, taps - 2))]]) {
      // different garbage in the two outputs: an element neither loop writes would differ
      const a = alloc(g * c.ci * P, () => 1e30);
      const b = alloc(g * c.ci * P, () => -7);
      both(() => im2colTapsTransposed(view(xt), view(a), G, t0, g, r0, r1), () => im2colTapsTransposed(view(xt), view(b), G, t0, g, r0, r1));
      const [va, vb] = [view(a), view(b)];
      // rows outside [r0, r1) are left alone by both
      for (let i = 0; i < va.length; i++) {
        const r = Math.floor(i / P);
        if (r < r0 || r >= r1) {
          va[i] = 0;
          vb[i] = 0;
        }
      }
      expect(bits(va)).toEqual(bits(vb));
    }
  });

  it.each([
    { rows: 17, cols: 33, dstStride: 17 },
    { rows: 64, cols: 48, dstStride: 64 * 4 },
    { rows: 5, cols: 40, dstStride: 9 },
  ])("tile transpose into columns of a wider matrix ($rows×$cols, stride $dstStride): the JS loop's bits, nothing else touched", ({ rows, cols, dstStride }) => {
    const [srcOff, dstOff] = [5, 2];
    const src = alloc(srcOff + rows * cols, rand(5));
    const len = dstOff + (cols - 1) * dstStride + rows + 3;
    const a = alloc(len, rand(6));
    const b = alloc(len, rand(6));
    both(() => transposeTiles(view(src), srcOff, rows, cols, view(a), dstOff, dstStride), () => transposeTiles(view(src), srcOff, rows, cols, view(b), dstOff, dstStride));
    expect(bits(view(a))).toEqual(bits(view(b)));
    const [sv, av, before] = [view(src), view(a), view(alloc(len, rand(6)))];
    for (let i = 0; i < len; i++) {
      const c = Math.floor((i - dstOff) / dstStride);
      const r = i - dstOff - c * dstStride;
      const written = i >= dstOff && c < cols && r < rows;
      expect(av[i], `element ${i}`).toBe(written ? sv[srcOff + r * cols + c] : before[i]);
    }
  });

  it.each(CASES)("im2col: the JS loop's bits, every element written — $name", (c) => {
    const G = geomOf(c);
    const P = G.n * G.ho * G.wo;
    const taps = c.k * c.k;
    const x = alloc(G.n * G.h * G.w * c.ci, rand(4));
    for (const [t0, g, p0, pb] of [[0, taps, 0, P], [Math.min(1, taps - 1), Math.max(1, taps - 2), Math.min(3, P - 1), Math.max(1, P - 4)]]) {
      const a = alloc(pb * g * c.ci, () => 1e30);
      const b = alloc(pb * g * c.ci, () => -7);
      both(() => im2colTaps(view(x), view(a), G, t0, g, p0, pb), () => im2colTaps(view(x), view(b), G, t0, g, p0, pb));
      expect(bits(view(a))).toEqual(bits(view(b)));
    }
  });
});

describe("matrix transposes (KernelCtx.transpose)", () => {
  it.each([
    { shape: [4, 5], perm: [1, 0], m: { rows: 4, cols: 5 } },
    { shape: [1, 18, 18, 7], perm: [3, 0, 1, 2], m: { rows: 324, cols: 7 } },
    { shape: [7, 1, 18, 18], perm: [1, 2, 3, 0], m: { rows: 7, cols: 324 } },
    { shape: [3, 1, 4, 5], perm: [3, 0, 1, 2], m: { rows: 12, cols: 5 } },
    { shape: [2, 3, 4, 5], perm: [2, 3, 0, 1], m: { rows: 6, cols: 20 } },
    { shape: [2, 3, 4, 5], perm: [3, 1, 2, 0], m: undefined },
    { shape: [2, 3, 4], perm: [0, 2, 1], m: undefined },
  ])("asMatrixTranspose([$shape], [$perm])", ({ shape, perm, m }) => {
    expect(asMatrixTranspose(shape, perm)).toEqual(m);
  });

  describe.runIf(BACKENDS.includes("wasm"))("on the wasm heap", () => {
    beforeAll(async () => {
      await useBackend("wasm");
    });
    // tile edges (not multiples of 16), power-of-two strides, a batch axis of 1
    it.each([
      { shape: [17, 33], perm: [1, 0] },
      { shape: [256, 256], perm: [1, 0] },
      { shape: [1, 64, 64, 64], perm: [3, 0, 1, 2] },
      { shape: [64, 1, 64, 64], perm: [1, 2, 3, 0] },
      { shape: [3, 1, 5, 19], perm: [3, 0, 1, 2] },
    ])("[$shape] by [$perm]: tfjs's Transpose's values, by the SIMD tile transpose", ({ shape, perm }) => {
      const x = tf.randomNormal(shape, 0, 1, "float32", 7);
      const ctx = new KernelCtx(tf.backend(), "wasm");
      const before = tf.backend().numDataIds();
      const run = vi.spyOn(ctx, "run");
      const out = ctx.finish(ctx.transpose({ dataId: x.dataId, shape: x.shape, dtype: "float32" }, perm));
      expect(run.mock.calls.map((c) => c[0]), "not tfjs's Transpose").not.toContain("Transpose");
      const got = tf.backend().readSync(out.dataId) as Float32Array;
      const want = tf.transpose(x, perm);
      expect(out.shape).toEqual(want.shape);
      expect(Array.from(got)).toEqual(Array.from(want.dataSync()));
      tf.backend().disposeData(out.dataId);
      tf.dispose([x, want]);
      expect(tf.backend().numDataIds(), "nothing left behind").toBe(before - 1);
    });
  });
});

describe.runIf(BACKEND_INDEPENDENT_TESTS)("the wasm backend line", () => {
  /** selectBackend("wasm") in a fresh process; its reason */
  const reason = (env: Record<string, string>): string => {
    const code = `const { selectBackend } = await import("./src/runtime/backend.ts"); console.log((await selectBackend("wasm", { threads: 1 })).reason);`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8", env: { ...process.env, ...env } });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  it("is silent about the heap loops when they run in SIMD, and says so when they do not", () => {
    expect(reason({})).toBe("wasm (XNNPACK, SIMD, 1 thread; threads: 1 asked for)");
    expect(reason({ GANCC_HEAP_SIMD: "0" })).toBe("wasm (XNNPACK, SIMD, 1 thread; gancc's heap loops in JS, slower: GANCC_HEAP_SIMD=0; threads: 1 asked for)");
  });
});

