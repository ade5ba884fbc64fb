/**
 * The torch-engine row of bench/step.ts: the time of one training iteration of the code gancc
 * generates (`gancc compile --emit torch`, src/torch/emit.ts), on the same configuration as
 * bench/step_torch.py (the hand-written PyTorch iteration), in the same bench run.
 *
 * The generated `train.py` runs with an options file in a temporary folder: pre-made random
 * batches instead of the data loader (so image decoding is not timed), `iters + 1` iterations,
 * CPU, `threads` torch threads, no checkpoint until the end. Its `iteration` events carry each
 * iteration's time (`seconds`: the runtime's `run_iteration`, which ends by reading the losses,
 * like step_torch.py's `.item()`); the first is the warm-up.
 *
 *   node --import tsx bench/step.ts --sizes 64,128 --backends wasm --torch-threads 1,all
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { compileSource } from "../src/compiler/compile.js";
import { writeSafetensorsFileSync } from "../src/io/safetensors.js";
import { emitTorch } from "../src/torch/emit.js";
import { median } from "./stats.js";

export interface TorchEngineResult {
  runtime: "gancc-torch";
  torch: string;
  threads: number;
  size: number;
  iters: number;
  warmup_s: number;
  times_s: number[];
  /** process CPU time of each timed iteration (the runtime's `cpu_seconds`; steadier than wall time on a loaded machine) */
  cpu_s?: number[];
  median_s: number;
}

export type EngineOutcome = { ok: true; result: TorchEngineResult } | { ok: false; why: string };

export function runTorchEngine(o: { root: string; spec: string; python: string; size: number; threads: number; iters: number; ngf: number; ndf: number; timeoutS: number }): EngineOutcome {
  const r = compileSource(readFileSync(path.join(o.root, o.spec), "utf8"), o.spec, { set: { ngf: o.ngf, ndf: o.ndf, size: o.size, load_size: o.size } });
  if (!r.ir) return { ok: false, why: `${o.spec} does not compile: ${r.diagnostics.map((d) => d.message).join("; ")}` };
  const ir = r.ir;
  const dir = mkdtempSync(path.join(os.tmpdir(), "gancc-bench-torch-"));
  try {
    const code = path.join(dir, "torch");
    emitTorch(ir, code);
    // random batches in [-1, 1] (a fixed LCG), one per iteration, every domain
    const n = o.iters + 1;
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const tensors: Record<string, { dtype: "F32"; shape: number[]; data: Float32Array }> = {};
    for (let i = 0; i < n; i++) {
      for (const d of ir.data.domains) tensors[`batch/${i}/${d.name}`] = { dtype: "F32", shape: [ir.train.batch, o.size, o.size, d.channels], data: Float32Array.from({ length: ir.train.batch * o.size * o.size * d.channels }, rand) };
    }
    const batches = path.join(dir, "batches.safetensors");
    writeSafetensorsFileSync(batches, tensors);
    const options = path.join(code, "options.json");
    writeFileSync(
      options,
      JSON.stringify({ run_dir: dir, data: null, device: "cpu", dtype: "float32", max_iterations: n, checkpoint_every: 1e9, keep_checkpoints: 1, sample_every_epochs: 1e9, resume: null, threads: o.threads, batches, dump: null }),
    );
    const p = spawnSync(o.python, [path.join(code, "train.py"), "--options", options], {
      cwd: dir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: o.timeoutS * 1000,
      env: { ...process.env, OMP_NUM_THREADS: String(o.threads) },
      maxBuffer: 64 * 2 ** 20,
    });
    if (p.error) return { ok: false, why: `could not run ${o.python}: ${p.error.message}` };
    const events = (p.stdout ?? "")
      .split("\n")
      .filter((l) => l.startsWith('{"gancc":1,'))
      .map((l) => JSON.parse(l) as { event: string; seconds?: number; cpu_seconds?: number; torch?: string; message?: string });
    const err = events.find((e) => e.event === "error");
    const its = events.filter((e) => e.event === "iteration");
    const secs = its.map((e) => e.seconds!);
    const cpu = its.every((e) => typeof e.cpu_seconds === "number") ? its.slice(1).map((e) => e.cpu_seconds!) : undefined;
    if (err || secs.length < n) {
      const tail = (p.stderr ?? "").trim().split("\n").slice(-3).join(" | ");
      return { ok: false, why: `failed (exit ${p.status ?? p.signal}${err ? `: ${err.message}` : tail ? `: ${tail}` : ""})` };
    }
    const times = secs.slice(1);
    const torch = events.find((e) => e.event === "start")?.torch ?? "?";
    return { ok: true, result: { runtime: "gancc-torch", torch, threads: o.threads, size: o.size, iters: o.iters, warmup_s: secs[0]!, times_s: times, cpu_s: cpu, median_s: median(times) } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
