/**
 * Shared helpers for the PyTorch-engine tests: whether /usr/bin/python3 has torch (the tests are
 * skipped with one line saying how to enable them when it has not), emitting a spec's code into
 * a temporary folder, and running the emitted train.py with an options file.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSource } from "../../src/compiler/compile.js";
import type { Ir } from "../../src/ir/schema.js";
import { emitTorch } from "../../src/torch/emit.js";
import { readSafetensorsFileSync, tensorAsFloat32, writeSafetensorsFileSync, type SafeTensor } from "../../src/io/safetensors.js";

export const PYTHON = "/usr/bin/python3";
export const HOW_TO_ENABLE = `install PyTorch >= 1.13 for ${PYTHON} (Debian: apt-get install python3-torch python3-numpy python3-pil)`;

let cached: string | null | undefined;
/** null when torch imports, else why not. */
export function torchMissing(): string | null {
  if (cached !== undefined) return cached;
  const r = spawnSync(PYTHON, ["-c", "import torch, numpy, PIL"], { encoding: "utf8", timeout: 60_000 });
  cached = r.status === 0 ? null : r.error ? `${PYTHON} cannot be run (${r.error.message})` : `${PYTHON} -c "import torch" failed`;
  if (cached) process.stderr.write(`PyTorch engine tests skipped: ${cached} (to run them: ${HOW_TO_ENABLE})\n`);
  return cached;
}
export const noTorch = (): boolean => torchMissing() !== null;

const made: string[] = [];
export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `gancc-torch-${tag}-`));
  made.push(d);
  return d;
}

/** Removes the folders tempDir made (call from afterAll). */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function compileSpec(file: string, set: Record<string, string> = {}, text = readFileSync(file, "utf8")): Ir {
  const r = compileSource(text, file, { set });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.ir;
}

/** Emits `ir` into a fresh folder; returns the folder. */
export function emit(ir: Ir, tag: string): string {
  const dir = tempDir(tag);
  emitTorch(ir, dir);
  return dir;
}

/** Runs a Python snippet with `dir` (an emitted folder) on sys.path; returns stdout. */
export function python(dir: string, code: string, timeout = 120_000): string {
  const r = spawnSync(PYTHON, ["-c", code], { cwd: dir, encoding: "utf8", timeout, env: { ...process.env, PYTHONPATH: dir, OMP_NUM_THREADS: "1", PYTHONDONTWRITEBYTECODE: "1" } });
  if (r.status !== 0) throw new Error(`python failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout;
}

export interface TorchEvent {
  gancc: 1;
  event: string;
  [k: string]: unknown;
}

export interface TorchRun {
  status: number | null;
  events: TorchEvent[];
  stderr: string;
  stdout: string;
}

/** Runs `train.py` of an emitted folder with these options (written to options.json there). */
export function train(dir: string, options: Record<string, unknown>, launcher: string[] = [], timeout = 240_000): TorchRun {
  const opts = join(dir, "options.json");
  writeFileSync(opts, JSON.stringify({ device: "cpu", threads: 1, ...options }));
  const r = spawnSync(PYTHON, [...launcher, join(dir, "train.py"), "--options", opts], {
    cwd: dir,
    encoding: "utf8",
    timeout,
    env: { ...process.env, OMP_NUM_THREADS: "1" },
  });
  const events = (r.stdout ?? "")
    .split("\n")
    .filter((l) => l.startsWith('{"gancc":1,'))
    .map((l) => JSON.parse(l) as TorchEvent);
  return { status: r.status, events, stderr: r.stderr ?? "", stdout: r.stdout ?? "" };
}

/** The events of a run that must have succeeded (else an error with its stderr). */
export function mustTrain(dir: string, options: Record<string, unknown>, launcher: string[] = []): TorchEvent[] {
  const r = train(dir, options, launcher);
  if (r.status !== 0) throw new Error(`train.py exited ${r.status}:\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  return r.events;
}

/** Writes `param/<IR name>` tensors (IR layout) — an `init` or weights file for the torch engine. */
export function writeParams(path: string, values: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): void {
  const tensors: Record<string, SafeTensor> = {};
  for (const [k, v] of values) tensors[`param/${k}`] = { dtype: "F32", shape: [...v.shape], data: v.data };
  writeSafetensorsFileSync(path, tensors);
}

/** Writes batches `batch/<i>/<domain>` (NHWC float32) for the `batches` option. */
export function writeBatches(path: string, batches: Record<string, { shape: number[]; data: Float32Array }>[]): void {
  const tensors: Record<string, SafeTensor> = {};
  batches.forEach((b, i) => {
    for (const [d, t] of Object.entries(b)) tensors[`batch/${i}/${d}`] = { dtype: "F32", shape: t.shape, data: t.data };
  });
  writeSafetensorsFileSync(path, tensors);
}

/** `param/<IR name>` tensors of a dump file, by IR name. */
export function readParams(path: string): Map<string, Float32Array> {
  const f = readSafetensorsFileSync(path);
  const out = new Map<string, Float32Array>();
  for (const k of Object.keys(f.tensors)) if (k.startsWith("param/")) out.set(k.slice(6), tensorAsFloat32(f, k));
  return out;
}

/** Seeded pseudo-random images in [-1, 1] (a linear congruential stream): the same batches for both engines. */
export function randomImages(seed: number, shape: number[]): { shape: number[]; data: Float32Array } {
  let s = seed >>> 0;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  return { shape, data };
}
