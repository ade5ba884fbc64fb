// `gancc train --engine torch` end to end through the CLI (tiny spec, tiny data, CPU, one torch
// thread): the run directory is the tfjs engine's (so translate, weights export, loadModel and
// --resume work unchanged), a run moves between the engines in both directions, and Ctrl-C
// checkpoints and stops with nothing lost.
import { cpSync, existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUnpaired } from "../data/fixtures.js";
import { loadNewestIntactCheckpoint } from "../../src/train/checkpoint.js";
import { flatTermNames } from "../../src/train/terms.js";
import { loadWeights } from "../../src/io/weights.js";
import { PYTHON, compileSpec, noTorch, tempDir } from "./helpers.js";
import { checkpoints, gancc, ganccBackground, pidsWith, waitFor } from "./cli_helpers.js";

const SMALL = ["--set", "nf=2", "--set", "size=8"];
const TORCH = ["--engine", "torch", "--python", PYTHON, "--device", "cpu", "--backend", "cpu"];
const TFJS = ["--engine", "tfjs", "--backend", "cpu"];
let tmp: string;
let data: string;

interface Metric {
  iteration: number;
  epoch: number;
  lr?: Record<string, number>;
  losses: Record<string, number>;
}
/** metrics.jsonl's records (a line being written while a run is polled is left out) */
const metrics = (run: string): Metric[] =>
  readFileSync(join(run, "metrics.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.endsWith("}"))
    .map((l) => JSON.parse(l) as Metric);
/** The per-iteration records (those with `lr`; the held-out evaluation has none). */
const iterations = (run: string) => metrics(run).filter((m) => m.lr);
const latest = (run: string) => JSON.parse(readFileSync(join(run, "checkpoints", "latest.json"), "utf8")) as { iteration: number; backend: string };

beforeAll(async () => {
  tmp = tempDir("cli-train");
  data = join(tmp, "data");
  await makeUnpaired(data, 4, 4, 12, 12);
  await makeUnpaired(data, 2, 2, 12, 12, "test");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(noTorch())("gancc train --engine torch (CLI)", () => {
  it("writes the tfjs engine's run directory; translate, weights export and loadModel use it unchanged", async () => {
    const run = join(tmp, "torch-run");
    const r = gancc(["train", "specs/tiny.gan", ...SMALL, "--data", data, "--out", run, ...TORCH, "--max-iters", "6", "--checkpoint-every", "2"]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/gancc: engine torch — PyTorch 1\.\d+.* on cpu, 1 process/);
    expect(r.err).toContain("stopped after 6 iterations");
    for (const f of ["ir.json", "spec.gan", "run.json", "metrics.jsonl", "index.html", "report.json", "weights.safetensors"]) expect(existsSync(join(run, f)), f).toBe(true);
    const info = JSON.parse(readFileSync(join(run, "run.json"), "utf8"));
    expect(info).toMatchObject({ engine: "torch", device: "cpu", worldSize: 1, distBackend: null });
    expect(info.torch).toMatch(/^\d+\.\d+/);
    // metrics: the tfjs engine's term names and learning rates, one record per iteration
    const ir = compileSpec("specs/tiny.gan", { nf: "2", size: "8" });
    const its = iterations(run);
    expect(its.map((m) => m.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Object.keys(its[0]!.losses).sort()).toEqual([...flatTermNames(ir).values()].sort());
    expect(its[0]!.lr).toEqual({ generator: 2e-4, discriminator: 2e-4 });
    expect(its.every((m) => Object.values(m.losses).every(Number.isFinite))).toBe(true);
    // checkpoints in gancc's format, written by Python; epoch 1 ended at iteration 4 (4 images)
    const ck = loadNewestIntactCheckpoint(join(run, "checkpoints"))!;
    expect(ck.skipped).toEqual([]);
    expect(ck.manifest).toMatchObject({ iteration: 6, epoch: 1, epochIteration: 2, backend: "torch-cpu" });
    // samples: the untrained nets, epoch 1 (from its snapshot), and the stopped epoch 2; snapshots removed
    const samples = readdirSync(join(run, "samples"));
    for (const ep of ["0000", "0001", "0002"]) expect(samples.some((s) => s.startsWith(`epoch_${ep}_`)), `epoch ${ep} in ${samples}`).toBe(true);
    expect(readdirSync(join(run, "torch")).filter((f) => f.endsWith(".safetensors"))).toEqual([]);
    expect(readdirSync(join(run, "torch"))).toEqual(expect.arrayContaining(["nets.py", "losses.py", "train.py", "options.json", "gancc_torch"]));
    // weights.safetensors = the final checkpoint's parameters
    const w = await loadWeights(join(run, "weights.safetensors"));
    for (const [name, v] of ck.weights) expect(Array.from(w.tensors.get(name)!.data), name).toEqual(Array.from(v.data));

    const out = join(tmp, "translated");
    const t = gancc(["translate", run, "--net", "G_AB", "--input", join(data, "testA"), "--output", out, "--backend", "cpu"]);
    expect(t.code, t.err).toBe(0);
    expect(readdirSync(join(out, "images")).filter((f) => f.endsWith("_G_AB.png"))).toHaveLength(2);
    const x = gancc(["weights", "export", join(run, "weights.safetensors"), "-o", join(tmp, "exported.safetensors")]);
    expect(x.code, x.err).toBe(0);
    expect(x.err + x.out).toContain("G_AB.model.1.weight");
    const { loadModel } = await import("../../src/index.js");
    const model = await loadModel(run);
    expect([...model.nets.keys()].sort()).toEqual(["D_A", "D_B", "G_AB", "G_BA"]);
    model.dispose();
  }, 300_000);

  it("a run moves between the engines in both directions, continuing where it stopped", () => {
    // torch → tfjs, and the same checkpoint continued by torch: the next iteration agrees
    const a = join(tmp, "a-torch");
    expect(gancc(["train", "specs/tiny.gan", ...SMALL, "--data", data, "--out", a, ...TORCH, "--max-iters", "3"]).code).toBe(0);
    const a2 = join(tmp, "a-torch-copy");
    cpSync(a, a2, { recursive: true });
    const onTfjs = gancc(["train", "--resume", a, ...TFJS, "--max-iters", "5"]);
    expect(onTfjs.code, onTfjs.err).toBe(0);
    expect(onTfjs.err).toContain("resuming at epoch 1, iteration 3");
    expect(latest(a)).toMatchObject({ iteration: 5, backend: "cpu" });
    expect(iterations(a).map((m) => m.iteration)).toEqual([1, 2, 3, 4, 5]);
    expect(existsSync(join(a, "run.resume-3.json"))).toBe(true);
    const onTorch = gancc(["train", "--resume", a2, "--python", PYTHON, "--device", "cpu", "--backend", "cpu", "--max-iters", "5"]); // the run's own engine: torch
    expect(onTorch.code, onTorch.err).toBe(0);
    expect(onTorch.err).toContain("engine torch");
    expect(latest(a2)).toMatchObject({ iteration: 5, backend: "torch-cpu" });
    // same weights, optimizer state, pool, RNG and data position → the same 4th iteration, up to float32 rounding
    const l4 = (run: string) => iterations(run).find((m) => m.iteration === 4)!.losses;
    for (const [k, v] of Object.entries(l4(a2))) expect(Math.abs(l4(a)[k]! - v) / Math.max(1e-3, Math.abs(v)), k).toBeLessThan(1e-3);

    // tfjs → torch
    const b = join(tmp, "b-tfjs");
    expect(gancc(["train", "specs/tiny.gan", ...SMALL, "--data", data, "--out", b, ...TFJS, "--max-iters", "3"]).code).toBe(0);
    const r = gancc(["train", "--resume", b, ...TORCH, "--max-iters", "6"]);
    expect(r.code, r.err).toBe(0);
    expect(latest(b)).toMatchObject({ iteration: 6, backend: "torch-cpu" });
    expect(iterations(b).map((m) => m.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(JSON.parse(readFileSync(join(b, "run.resume-3.json"), "utf8"))).toMatchObject({ engine: "torch", resumedFrom: { iteration: 3, backend: "cpu" } });
  }, 400_000);

  it("Ctrl-C is forwarded: Python finishes its iteration, checkpoints and stops; nothing is lost", async () => {
    // 150 images a domain: 600 iterations, so that Python (which may run ahead of the events read) is still training
    const many = join(tmp, "many");
    await makeUnpaired(many, 150, 150, 12, 12);
    const run = join(tmp, "interrupted");
    const g = ganccBackground(["train", "specs/tiny.gan", ...SMALL, "--data", many, "--out", run, ...TORCH, "--checkpoint-every", "5000"]);
    await waitFor(() => existsSync(join(run, "metrics.jsonl")) && iterations(run).length >= 6, 180_000, `6 iterations (${g.err()})`);
    g.proc.kill("SIGINT");
    const r = await g.done;
    expect(r.code, r.err).toBe(130);
    expect(r.err).toContain("interrupted: finishing this iteration and writing a checkpoint");
    const its = iterations(run);
    const last = its.at(-1)!.iteration;
    expect(last).toBeLessThan(600);
    // the checkpoint holds the last logged iteration, and the weights file was written from it
    expect(latest(run).iteration).toBe(last);
    expect(checkpoints(run).at(-1)).toBe(`iter-${String(last).padStart(6, "0")}.json`);
    expect(existsSync(join(run, "weights.safetensors"))).toBe(true);
    expect(JSON.parse(readFileSync(join(run, "report.json"), "utf8")).status.state).toBe("stopped");
    // no Python process of this run is left behind
    await waitFor(() => pidsWith(join(run, "torch", "train.py")).length === 0, 10_000, "the Python process to exit");
  }, 300_000);
});
