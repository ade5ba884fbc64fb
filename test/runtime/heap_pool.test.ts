/**
 * The heap worker pool (src/runtime/heap_pool.ts) running gancc's loops over the wasm heap — the
 * col2im and transposed im2col of the conv gradients, the fused norm kernels — on 2 threads: the
 * same bits as 1 thread, the work really done by a worker, a worker's exception reaching the
 * caller, no worker keeping the process alive. The threaded cases are child processes
 * (test/runtime/heap_pool_child.ts): the threaded wasm module is per process. The optimizer's use
 * of the pool is tested in optim_threads.test.ts.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { heapWorkerWork } from "../../src/runtime/heap_pool.js";

/** A child run; `jsLoops`: without the SIMD heap loops (GANCC_HEAP_SIMD=0), whose conv loops are not split. */
function child(args: string[], jsLoops = true): Record<string, unknown> {
  const env = { ...process.env, GANCC_HEAP_SIMD: jsLoops ? "0" : "1" };
  const r = spawnSync(process.execPath, ["--import", "tsx", "test/runtime/heap_pool_child.ts", ...args], { encoding: "utf8", timeout: 240_000, env });
  // status 0 without process.exit: the process ended by itself, so no heap worker kept it alive
  expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ status: 0, signal: null, stderr: "" });
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as Record<string, unknown>;
}

describe("heap worker pool (wasm, 2 threads)", () => {
  // The JS loops (GANCC_HEAP_SIMD=0): the conv loops are split among the threads only there; with the
  // SIMD loops (./kernels/heap_simd.test.ts) they run on the calling thread, and must give the same bits.
  type Run = { threads: number; simd: string; work: Record<string, number>; hashes: Record<string, string> };
  it("col2im, the transposed im2col and the fused norms (instance and batch, forward and backward) give 1 thread's bits — on a worker", () => {
    const two = child(["equal", "2"]) as Run;
    const one = child(["equal", "1"]) as Run;
    expect([two.threads, one.threads]).toEqual([2, 1]);
    expect(two.simd).toBe("GANCC_HEAP_SIMD=0");
    // every kind had a share on the worker with 2 threads, none with 1
    for (const kind of ["col2im", "im2colT", "normForward", "normBackward"]) {
      expect(two.work[kind], kind).toBeGreaterThan(0);
      expect(one.work[kind], kind).toBe(0);
    }
    // each case as the pool runs it and with the workers taking every chunk: the same bits as 1 thread
    expect(Object.keys(two.hashes).length).toBe(2 * (6 + 8));
    expect(two.hashes).toEqual(one.hashes);
    for (const [k, h] of Object.entries(two.hashes)) if (k.endsWith(" (workers only)")) expect(h, k).toBe(one.hashes[k.replace(" (workers only)", "")]);
    // the SIMD loops on the shared heap of the threaded build: the same bits again, and the conv loops not split
    const simd = child(["equal", "2"], false) as Run;
    expect(simd.simd).toBe("wasm SIMD");
    expect(simd.hashes).toEqual(one.hashes);
    expect([simd.work.col2im, simd.work.im2colT]).toEqual([0, 0]);
  });

  it("an exception inside a worker is thrown by the job, and the worker serves the next one", () => {
    const r = child(["worker-error", "2"]) as { error: string; afterwards: boolean };
    expect(r.error).toMatch(/^col2im worker thread 1: internal: heap job: col \[\d+, \d+\) lies outside the heap/);
    expect(r.afterwards).toBe(true);
  });
});

describe("single-thread backends run the loops on the main thread", () => {
  it("no worker is started in a process that never had a threaded job", () => {
    expect(heapWorkerWork("col2im")).toEqual([]);
  });
});
