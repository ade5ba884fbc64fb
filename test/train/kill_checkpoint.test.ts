/**
 * Fault injection: `gancc train` (specs/tiny.gan, cpu, a checkpoint every iteration) is killed
 * with SIGKILL during its checkpoint writes — one run at each step of a checkpoint write in turn,
 * another at seeded random steps: after opening a temporary
 * file, mid-file, after the fsync, after the rename but before the directory fsync, after it,
 * while pruning old checkpoints (src/io/atomic.ts: GANCC_TEST_KILL_AT) — at least 20 times.
 * Every `--resume` must continue, and the final weights and optimizer state must equal those of
 * an uninterrupted run, bit for bit. Two killed runs and the uninterrupted one run side by side
 * (each child spends most of its time starting node, tsx and tfjs: about 47 s of CPU in all,
 * ~25 s on 2 idle cores; 68 s measured alone on 2 cores shared at load average 10).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensorsFileSync } from "../../src/io/safetensors.js";
import { makeUnpaired, tempDir } from "../data/fixtures.js";

const ITERS = 30;
const MIN_KILLS = 20;
const SEED = 20261130;

let tmp: ReturnType<typeof tempDir>;
let data: string;
beforeAll(async () => {
  tmp = tempDir("gancc-kill-");
  data = join(tmp.dir, "data");
  await makeUnpaired(data, 10, 10, 12, 12); // 10 iterations per epoch, 4 epochs
});
afterAll(() => tmp.cleanup());

function trainChild(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; signal: string | null; err: string }> {
  return new Promise((done, fail) => {
    const c = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "train", ...args, "--max-iters", String(ITERS), "--checkpoint-every", "1", "--backend", "cpu", "--samples", "0"],
      { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 },
    );
    let err = "";
    c.stderr.on("data", (b: Buffer) => (err += b.toString()));
    c.on("error", fail);
    c.on("close", (status, signal) => done({ status, signal, err }));
  });
}

/** Deterministic uniform integers in [1, n] (a 32-bit LCG). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 1 + (s % n);
  };
}

function tensors(file: string): Map<string, Buffer> {
  const c = readSafetensorsFileSync(file);
  return new Map(Object.entries(c.tensors).map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}

describe("checkpoint writes killed with SIGKILL", () => {
  it(`resume continues after ${MIN_KILLS}+ kills at random points of checkpoint writes, and ends bit-exact with an uninterrupted run`, async () => {
    const spec = ["specs/tiny.gan", "--set", "nf=2", "--set", "size=8", "--data", data];
    const ref = join(tmp.dir, "ref");
    const draw = rng(SEED);
    const log = join(tmp.dir, "kills.log");
    // a checkpoint is about 20 steps (tensors file: open, 3 chunks, fsync, rename, directory
    // fsync; two manifests: 5 each; pruning: 2), so a draw lands within the first 2–3 checkpoints
    const RANGE = 48;

    /** One run killed `kills` times (the k-th process at write step `plan(k)`), then resumed to the end without a kill. */
    const killedRun = async (name: string, kills: number, plan: (k: number) => number) => {
      const run = join(tmp.dir, name);
      const chainLog = `${log}.${name}`;
      let killed = 0;
      let first = true;
      for (;;) {
        const killAt = killed < kills ? plan(killed) : 0;
        const env: Record<string, string> = killAt ? { GANCC_TEST_KILL_AT: String(killAt), GANCC_TEST_KILL_IN: "checkpoints", GANCC_TEST_KILL_LOG: chainLog } : {};
        const r = await trainChild(first ? [...spec, "--out", run] : ["--resume", run], env);
        first = false;
        if (r.signal === "SIGKILL") {
          killed++;
          const lines = readFileSync(chainLog, "utf8").trim().split("\n");
          expect(lines.length, "every kill is logged by the writer").toBe(killed);
          expect(lines.at(-1)).toContain(`write step ${killAt}:`);
          continue;
        }
        // not killed: the run must have finished normally (a resume that cannot continue fails here)
        expect(r.status, r.err).toBe(0);
        expect(r.err).not.toMatch(/cannot resume|checkpoint cannot be used/);
        expect(JSON.parse(readFileSync(join(run, "checkpoints", "latest.json"), "utf8")).iteration).toBe(ITERS);
        return { run, killed, log: existsSync(chainLog) ? readFileSync(chainLog, "utf8") : "" };
      }
    };
    // run a sweeps: its k-th process is killed at the k-th write step of its first checkpoint
    // (every step of a checkpoint write, mid-file chunks included, whatever the timing);
    // run b is killed at seeded random steps, as a user's crashes would fall
    const SWEEP = 19;
    const [r0, a, b] = await Promise.all([
      trainChild([...spec, "--out", ref]),
      killedRun("killed-a", SWEEP, (k) => k + 1),
      killedRun("killed-b", Math.ceil(MIN_KILLS / 2), () => draw(RANGE)),
    ]);
    expect(r0.status, r0.err).toBe(0);
    expect(a.killed + b.killed).toBeGreaterThanOrEqual(MIN_KILLS);
    // the sweep alone hits every step of a write
    const what = a.log;
    for (const step of ["opened", "bytes of", "fsynced /", "renamed (directory not yet fsynced)", "fsynced the directory of", "pruning"]) expect(what, step).toContain(step);
    // including mid-file, with part of the bytes written
    expect([...what.matchAll(/wrote (\d+) of (\d+) bytes/g)].some((m) => Number(m[1]) < Number(m[2])), what).toBe(true);

    const refW = tensors(join(ref, "weights.safetensors"));
    const last = `iter-${String(ITERS).padStart(6, "0")}.safetensors`;
    const refC = tensors(join(ref, "checkpoints", last));
    const metrics = (d: string) => readFileSync(join(d, "metrics.jsonl"), "utf8").replace(/"time":[^,}]+,?/g, "").trim().split("\n");
    for (const { run } of [a, b]) {
      // bit-exact: final weights, and the last checkpoint's weights, optimizer slots and pools
      const w = tensors(join(run, "weights.safetensors"));
      expect([...w.keys()].sort()).toEqual([...refW.keys()].sort());
      for (const [k, v] of refW) expect(Buffer.compare(v, w.get(k)!), k).toBe(0);
      const c = tensors(join(run, "checkpoints", last));
      expect([...c.keys()].sort()).toEqual([...refC.keys()].sort());
      for (const [k, v] of refC) expect(Buffer.compare(v, c.get(k)!), k).toBe(0);
      // the metrics agree too (minus wall-clock times), and no temporary file is left
      expect(metrics(run)).toEqual(metrics(ref));
      expect(readdirSync(join(run, "checkpoints")).filter((f) => f.includes(".tmp"))).toEqual([]);
    }
  }, 480_000);
});
