/**
 * wasm threads (src/runtime/wasm_threads.ts): XNNPACK really works on more than one thread, a
 * threaded run trains to the same numbers as a single-threaded one, a failing load falls back,
 * and no worker keeps the process alive. Each case is a child process
 * (test/runtime/wasm_threads_child.ts): the wasm module and its thread pool are per process.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { selectBackend } from "../../src/runtime/backend.js";

function child(...args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, ["--import", "tsx", "test/runtime/wasm_threads_child.ts", ...args], { encoding: "utf8", timeout: 240_000 });
  // status 0 without process.exit: the process ended by itself, so no pthread worker kept it alive
  expect({ status: r.status, signal: r.signal, stderr: r.status === 0 ? "" : r.stderr }).toEqual({ status: 0, signal: null, stderr: "" });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(line) as Record<string, unknown>;
}

describe("wasm threads", () => {
  // Per-thread CPU time from /proc: a thread count that XNNPACK merely reports would not move it.
  // Two threads on one big conv: the pool thread does about as much as the main thread (~0.9× on an
  // idle or a busy machine alike: CPU time, not wall time); one thread: the other threads (V8's
  // helpers) next to nothing.
  it.skipIf(!existsSync("/proc/self/task"))("--threads 2 puts a second thread to work on a conv; --threads 1 does not", () => {
    const two = child("cpu", "2") as { threads: number; mainCpuS: number; otherCpuS: number };
    expect(two.threads).toBe(2);
    expect(two.otherCpuS).toBeGreaterThan(0.5 * two.mainCpuS);
    const one = child("cpu", "1") as { threads: number; mainCpuS: number; otherCpuS: number };
    expect(one.threads).toBe(1);
    expect(one.otherCpuS).toBeLessThan(0.25 * one.mainCpuS);
  });

  // XNNPACK splits a kernel's outputs among threads, never one output's sum, so the numbers are
  // expected to be identical. Allowed: float32 reduction-order noise, relative 1e-5 on each loss
  // and 1e-6 absolute on each weight (the weights are ~0.02, Adam's steps 2e-4) after 3 iterations.
  it("3 training iterations of tiny.gan: 2 threads give 1 thread's losses and weights", () => {
    const two = child("train", "2") as { threads: number; losses: number[][]; weights: number[] };
    const one = child("train", "1") as { threads: number; losses: number[][]; weights: number[] };
    expect([two.threads, one.threads]).toEqual([2, 1]);
    expect(two.losses.length).toBe(3);
    expect(two.weights.length).toBe(one.weights.length);
    two.losses.flat().forEach((v, i) => {
      const ref = one.losses.flat()[i]!;
      expect(Math.abs(v - ref)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(ref)));
    });
    let maxDiff = 0;
    two.weights.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - one.weights[i]!))));
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
  });

  it("a threaded module that does not come up in time is a one-line reason, and wasm then runs on 1 thread", () => {
    const r = child("timeout", "2") as { error: string; threads: number };
    expect(r.error).toBe("its pthread workers did not start within 1 ms");
    expect(r.threads).toBe(1);
  });

  it("a thread count that is not a whole number ≥ 1 is refused before anything loads", async () => {
    await expect(selectBackend("wasm", { threads: 0 })).rejects.toThrow("threads must be a whole number ≥ 1, got 0");
    await expect(selectBackend("auto", { threads: 1.5 })).rejects.toThrow(RangeError);
  });
});

describe("defaultThreadCount", () => {
  it("is GANCC_THREADS when set, else the core count; a malformed value is refused", async () => {
    const { defaultThreadCount } = await import("../../src/runtime/wasm_threads.js");
    const os = await import("node:os");
    expect(defaultThreadCount({ GANCC_THREADS: "3" })).toBe(3);
    expect(defaultThreadCount({})).toBe(Math.max(1, os.availableParallelism()));
    for (const bad of ["0", "-1", "1.5", "two"]) expect(() => defaultThreadCount({ GANCC_THREADS: bad })).toThrow(`GANCC_THREADS must be a whole number ≥ 1, got "${bad}"`);
  });
});
