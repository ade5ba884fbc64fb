/**
 * The flat optimizer update on several threads (src/runtime/optim_threads.ts): the same bits as
 * one thread, the work really done by a worker, a worker's exception reaching the caller, no
 * worker keeping the process alive. The threaded cases are child processes
 * (test/runtime/optim_threads_child.ts): the threaded wasm module is per process.
 */
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { Optimizer } from "../../src/runtime/optim.js";
import { type FlatJob, RANGE_FIELDS, splitRanges } from "../../src/runtime/optim_flat.js";
import { MIN_SHARE, optimizerWorkerElements } from "../../src/runtime/optim_threads.js";
import { useBackend } from "./kernels/setup.js";

function child(...args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, ["--import", "tsx", "test/runtime/optim_threads_child.ts", ...args], { encoding: "utf8", timeout: 240_000 });
  // status 0 without process.exit: the process ended by itself, so no optimizer worker kept it alive
  expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ status: 0, signal: null, stderr: "" });
  return JSON.parse(r.stdout.trim().split("\n").pop() ?? "") as Record<string, unknown>;
}

describe("threaded flat optimizer update (wasm, 2 threads)", () => {
  // Hashes of every final value and slot: equal hashes are equal bits. One child with 2 threads,
  // one with 1 (today's single-thread loop); every rule and option of optim.test.ts, 4 steps, sizes
  // 1 … 590k (the cut between the threads falls inside the 590k parameter), one parameter
  // without a gradient in step 2.
  it("gives the single-thread update's bits for adam, rmsprop ± momentum, sgd ± momentum and weight decay — on a worker", () => {
    type Run = { threads: number; threaded: boolean; workerElements: number; cases: { values: string; slots: string }[] };
    const two = child("equal", "2") as Run;
    const one = child("equal", "1") as Run;
    expect([two.threads, one.threads]).toEqual([2, 1]);
    // the worker updated about half of all elements (6 cases × ~4 steps × 721k elements)
    expect(two.threaded).toBe(true);
    expect(two.workerElements).toBeGreaterThan(0.4 * 6 * 4 * 721_000);
    expect(one.threaded).toBe(false);
    expect(one.workerElements).toBe(0);
    expect(two.cases.length).toBe(6);
    expect(two.cases).toEqual(one.cases);
  });

  it("an exception inside a worker is thrown by the update, and the worker serves the next one", () => {
    const r = child("worker-error", "2") as { error: string; afterwards: boolean };
    expect(r.error).toMatch(/^optimizer worker thread 1: internal: optimizer range \[0, \d+\) of a \d+-element parameter lies outside the heap/);
    expect(r.afterwards).toBe(true);
  });

  it("training (tiny.gan, ~0.4M parameters) uses the worker, leaks no tensor, and the process then exits by itself", () => {
    const r = child("train", "2") as { threads: number; workerElements: number; tensors: number[] };
    expect(r.threads).toBe(2);
    expect(r.workerElements).toBeGreaterThan(0);
    expect(r.tensors[1]).toBe(r.tensors[0]);
  });
});

describe("single-thread backends keep the single-thread loop", () => {
  it("cpu: no worker is started", async () => {
    await useBackend("cpu");
    const v = tf.variable(tf.ones([4 * MIN_SHARE]), true, `big-${Math.random()}`);
    const opt = new Optimizer({ kind: "adam", lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 }, [{ name: "big", variable: v }]);
    opt.apply({ [v.name]: tf.ones([4 * MIN_SHARE]) });
    expect(optimizerWorkerElements()).toEqual([]);
    opt.dispose();
    v.dispose();
  });
});

describe("splitRanges", () => {
  const jobs: FlatJob[] = [1, 64, 589_824, 3, 131_072, 7, 64, 1].map((size, k) => ({ p: 1000 * k, g: 2000 * k, out: 3000 * k, slot: 4000 * k, size }));
  const total = jobs.reduce((a, j) => a + j.size, 0);

  for (const parts of [1, 2, 3, 8]) {
    it(`${parts} share(s): every element exactly once, in order, shares differing by at most one element`, () => {
      const shares = splitRanges(jobs, parts);
      expect(shares.length).toBe(parts);
      const seen = jobs.map((j) => new Uint8Array(j.size));
      const counts = shares.map((r) => {
        let n = 0;
        for (let i = 0; i < r.length; i += RANGE_FIELDS) {
          const k = jobs.findIndex((j) => j.p === r[i] && j.g === r[i + 1] && j.out === r[i + 2] && j.slot === r[i + 3] && j.size === r[i + 4]);
          expect(k).toBeGreaterThanOrEqual(0);
          for (let e = r[i + 5]!; e < r[i + 6]!; e++) seen[k]![e]!++;
          n += r[i + 6]! - r[i + 5]!;
        }
        return n;
      });
      expect(seen.every((s) => s.every((c) => c === 1))).toBe(true);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
    });
  }

  it("more shares than elements: the extra shares are empty", () => {
    const shares = splitRanges([{ p: 0, g: 0, out: 0, slot: 0, size: 2 }], 4);
    expect(shares.map((r) => r.length / RANGE_FIELDS)).toEqual([0, 1, 0, 1]);
  });
});
