/**
 * The generic runner end to end on tiny specs and tiny data: run directory contents, the HTML
 * report, exact resume (cpu), refusing a changed spec, corrupt checkpoints, non-finite losses,
 * bad output directories and data, and a falling cycle loss on the embedded emoji data.
 */
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import type { Ir } from "../../src/ir/schema.js";
import { readMetrics } from "../../src/report/index.js";
import { TrainError, checkRunDir, stepLearningRates, train, type TrainOptions } from "../../src/train/trainer.js";
import { loadWeights } from "../../src/io/weights.js";
import { makeUnpaired, tempDir, writePng } from "../data/fixtures.js";
import { useBackend } from "../runtime/kernels/setup.js";

const TINY = readFileSync("specs/tiny.gan", "utf8");
function tiny(set: Record<string, string | number> = {}): { ir: Ir; specText: string } {
  const r = compileSource(TINY, "specs/tiny.gan", { set: { nf: 2, size: 8, ...set } });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return { ir: r.ir, specText: TINY };
}
const quiet = { write: () => true, isTTY: false };
const BACKEND = { name: "cpu", reason: "test" };

let tmp: ReturnType<typeof tempDir>;
let data: string;
beforeAll(async () => {
  await useBackend("cpu");
  tmp = tempDir("gancc-train-");
  data = join(tmp.dir, "data");
  await makeUnpaired(data, 4, 3, 12, 12); // epoch = 4 iterations
  await makeUnpaired(data, 2, 2, 12, 12, "test");
});
afterAll(() => tmp.cleanup());

const opts = (runDir: string, over: Partial<TrainOptions> = {}): TrainOptions => ({
  ...tiny(),
  source: "specs/tiny.gan",
  data,
  runDir,
  backend: BACKEND,
  stream: quiet,
  onWarning: () => {},
  samples: 2,
  ...over,
});

describe("gancc train (runtime)", () => {
  it("runs every epoch of the spec and writes a complete run directory and report", async () => {
    const runDir = join(tmp.dir, "full");
    const r = await train(opts(runDir));
    expect(r.state).toBe("finished");
    expect(r.iterations).toBe(16); // 4 epochs × 4 items
    for (const f of ["ir.json", "spec.gan", "run.json", "metrics.jsonl", "index.html", "weights.safetensors", "checkpoints/latest.json"]) {
      expect(existsSync(join(runDir, f)), f).toBe(true);
    }
    const metrics = readMetrics(join(runDir, "metrics.jsonl"));
    expect(metrics.map((m) => m.iteration)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(metrics.map((m) => m.epoch)).toEqual(Array.from({ length: 16 }, (_, i) => Math.floor(i / 4) + 1)); // 1-based, as documented
    expect(Object.keys(metrics[0]!.losses).sort()).toEqual(["D_A", "D_B", "cycle_A", "cycle_B", "gan_A", "gan_B", "idt_A", "idt_B"]);
    // linear_decay(after: 2) over 4 epochs: lr factor 1, 1, 2/3, 1/3 (the official formula), for each step
    for (const m of metrics) expect(Object.keys(m.lr as Record<string, number>).sort()).toEqual(["discriminator", "generator"]);
    for (const step of ["generator", "discriminator"]) {
      const lrs = [...new Set(metrics.map((m) => (m.lr as Record<string, number>)[step]! / 2e-4))].map((x) => Number(x.toFixed(6)));
      expect(lrs, step).toEqual([1, 1 - 1 / 3, 1 - 2 / 3].map((x) => Number(x.toFixed(6))));
    }
    // the report links only files that exist, and shows samples of every epoch
    const html = readFileSync(join(runDir, "index.html"), "utf8");
    const links = [...html.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => decodeURIComponent(m[1]!));
    expect(links.length).toBeGreaterThan(4);
    for (const l of links) expect(existsSync(join(runDir, l)), l).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    for (const e of [0, 1, 2, 3, 4]) expect(existsSync(join(runDir, `samples/epoch_000${e}_A_G_AB.png`)), `epoch ${e}`).toBe(true);
    expect(html).toContain("G_BA(G_AB(A))");
    // the final weights carry the IR
    const w = await loadWeights(join(runDir, "weights.safetensors"));
    expect(w.ir?.spec.sha256).toBe(tiny().ir.spec.sha256);
  });

  it("N iterations + resume + N iterations gives exactly the weights of 2N straight (cpu)", async () => {
    const straight = join(tmp.dir, "straight");
    await train(opts(straight, { maxIterations: 10 }));
    const split = join(tmp.dir, "split");
    const first = await train(opts(split, { maxIterations: 5 }));
    expect(first.state).toBe("stopped");
    const second = await train(opts(split, { maxIterations: 10, resume: true }));
    expect(second.iterations).toBe(10);
    const a = await loadWeights(join(straight, "weights.safetensors"));
    const b = await loadWeights(join(split, "weights.safetensors"));
    expect([...b.tensors.keys()]).toEqual([...a.tensors.keys()]);
    for (const [k, t] of a.tensors) expect(Array.from(b.tensors.get(k)!.data), k).toEqual(Array.from(t.data));
    // and the metrics file holds each iteration once
    expect(readMetrics(join(split, "metrics.jsonl")).map((m) => m.iteration)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    const la = readMetrics(join(straight, "metrics.jsonl")).at(-1)!.losses;
    const lb = readMetrics(join(split, "metrics.jsonl")).at(-1)!.losses;
    expect(lb).toEqual(la);
  });

  it("refuses to resume with a different spec and shows what changed", async () => {
    const runDir = join(tmp.dir, "changed");
    await train(opts(runDir, { maxIterations: 2 }));
    const err = await train(opts(runDir, { ...tiny({ lambda_cycle: 5 }), resume: true })).catch((e) => e);
    expect(err).toBeInstanceOf(TrainError);
    expect(err.message).toContain("different spec");
    expect(err.message).toContain("param lambda_cycle: 10 → 5");
  });

  it("a corrupt checkpoint gives a clear error and nothing is overwritten", async () => {
    const runDir = join(tmp.dir, "corrupt");
    await train(opts(runDir, { maxIterations: 2 }));
    const latest = JSON.parse(readFileSync(join(runDir, "checkpoints/latest.json"), "utf8"));
    const file = join(runDir, "checkpoints", latest.tensors);
    truncateSync(file, 100);
    const before = { weights: statSync(join(runDir, "weights.safetensors")).mtimeMs, metrics: readFileSync(join(runDir, "metrics.jsonl"), "utf8") };
    const err = await train(opts(runDir, { maxIterations: 4, resume: true })).catch((e) => e);
    expect(err).toBeInstanceOf(TrainError);
    expect(err.message).toMatch(/cannot resume .*tensors cannot be read/s);
    expect(statSync(file).size).toBe(100);
    expect(statSync(join(runDir, "weights.safetensors")).mtimeMs).toBe(before.weights);
    expect(readFileSync(join(runDir, "metrics.jsonl"), "utf8")).toBe(before.metrics);
    writeFileSync(join(runDir, "checkpoints/latest.json"), "{ not json");
    const err2 = await train(opts(runDir, { resume: true })).catch((e) => e);
    expect(err2.message).toContain("latest.json is not valid JSON");
    expect(err2.message).not.toContain("--resume-from"); // no such flag (issue 13)
  });

  it("a non-finite loss stops the run naming the term and iteration, keeping the last good checkpoint", async () => {
    const runDir = join(tmp.dir, "nan");
    const err = await train(opts(runDir, { ...tiny({ lr: 1e30 }), checkpointEvery: 1 })).catch((e) => e);
    expect(err).toBeInstanceOf(TrainError);
    const m = /loss term `(\w+)` \(loss `(\w+)`\) became (NaN|-?Infinity) at iteration (\d+)/.exec(err.message);
    expect(m, err.message).not.toBeNull();
    const bad = Number(m![4]);
    const latest = JSON.parse(readFileSync(join(runDir, "checkpoints/latest.json"), "utf8"));
    expect(latest.iteration).toBe(bad - 1);
    expect(Object.values(latest.losses as Record<string, Record<string, number>>).flatMap((l) => Object.values(l)).every(Number.isFinite)).toBe(true);
    expect(readFileSync(join(runDir, "index.html"), "utf8")).toContain(`became`);
  });

  it("fails before training on an unwritable or non-empty run directory and on missing data", async () => {
    writeFileSync(join(tmp.dir, "a-file"), "x");
    const e1 = await train(opts(join(tmp.dir, "a-file", "run"))).catch((e) => e);
    expect(e1).toBeInstanceOf(TrainError);
    expect(e1.message).toContain("cannot write to the run directory");
    const e2 = await train(opts(join(tmp.dir, "full"))).catch((e) => e);
    expect(e2.message).toContain("already exists and is not empty");
    const e3 = await train(opts(join(tmp.dir, "nodata"), { data: join(tmp.dir, "missing") })).catch((e) => e);
    expect(e3).toBeInstanceOf(TrainError);
    expect(e3.message).toContain(join(tmp.dir, "missing"));
    expect(existsSync(join(tmp.dir, "nodata", "ir.json"))).toBe(false);
    // not enough disk space for the checkpoints: refused up front, naming both numbers
    expect(() => checkRunDir(join(tmp.dir, "space"), false, 2 ** 60)).toThrow(/only \d+ MiB free under .*needs about \d+ MiB/);
  });

  it("cycle loss falls on the embedded emoji data (tiny networks, fixed seed)", async () => {
    await useBackend("wasm");
    const runDir = join(tmp.dir, "emoji");
    const r = compileSource(TINY, "specs/tiny.gan", { set: { nf: 4, size: 16 } });
    await train({ ...opts(runDir), ir: r.ir!, data: "data/emoji", maxIterations: 240, samples: 0 });
    const all = readMetrics(join(runDir, "metrics.jsonl"));
    const m = all.filter((x) => x.losses.cycle_A !== undefined);
    expect(m).toHaveLength(240);
    // the emoji test folders pair by name, so held-out L1 is logged too (before training and at the end)
    expect(all.filter((x) => x.losses["test_L1 G_AB(A)→B"] !== undefined).map((x) => x.iteration)).toEqual([0, 240]);
    const cyc = (xs: typeof m) => xs.reduce((s, x) => s + x.losses.cycle_A! + x.losses.cycle_B!, 0) / xs.length;
    const early = cyc(m.slice(0, 30));
    const late = cyc(m.slice(-30));
    expect(late, `cycle loss: first 30 iterations ${early.toFixed(3)}, last 30 ${late.toFixed(3)}`).toBeLessThan(0.75 * early);
    await useBackend("cpu");
  });
});

describe("per-step learning rates", () => {
  // tiny.gan with the discriminator's step at half the generator's learning rate
  const DUAL_LR = TINY.replace("step discriminator updates D_A, D_B with adam(lr: lr,", "step discriminator updates D_A, D_B with adam(lr: lr / 2,");
  const dualLr = () => {
    const r = compileSource(DUAL_LR, "specs/tiny.gan", { set: { nf: 2, size: 8 } });
    if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
    return r.ir;
  };

  it("are each step's optimizer lr times the schedule's factor, keyed by the step's loss", () => {
    expect(DUAL_LR).not.toBe(TINY);
    const ir = dualLr();
    expect(stepLearningRates(ir, 1)).toEqual({ generator: 2e-4, discriminator: 1e-4 });
    expect(stepLearningRates(ir, 0.5)).toEqual({ generator: 1e-4, discriminator: 5e-5 });
    // two steps of one loss (each with its own optimizer) are told apart
    const twice: Ir = { ...ir, train: { ...ir.train, steps: [...ir.train.steps, { ...ir.train.steps[1]!, optimizer: { ...ir.train.steps[1]!.optimizer, lr: 3e-4 } }] } };
    expect(stepLearningRates(twice, 1)).toEqual({ generator: 2e-4, "discriminator#1": 1e-4, "discriminator#2": 3e-4 });
  });

  it("are logged per step in metrics.jsonl and shown in the report", async () => {
    const runDir = join(tmp.dir, "dual-lr");
    await train(opts(runDir, { ir: dualLr(), specText: DUAL_LR, maxIterations: 3 }));
    const logged = readMetrics(join(runDir, "metrics.jsonl")).filter((m) => m.lr !== undefined);
    expect(logged.map((m) => m.iteration)).toEqual([1, 2, 3]);
    for (const m of logged) expect(m.lr).toEqual({ generator: 2e-4, discriminator: 1e-4 });
    const html = readFileSync(join(runDir, "index.html"), "utf8");
    expect(html).toMatch(/<th>learning rate<\/th><td>generator [^<]*, discriminator [^<]*<\/td>/);
  });
});

describe("1-channel (grayscale) generators", () => {
  const GRAY_FILE = "test/train/fixtures/tiny_gray.gan";
  const GRAY = readFileSync(GRAY_FILE, "utf8");

  it("get sample grids and the held-out L1 like RGB ones", async () => {
    const r = compileSource(GRAY, GRAY_FILE, { set: { nf: 2, size: 8 } });
    if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
    expect(r.ir.nets.find((n) => n.name === "G_AB")!.output.channels).toBe(1);
    // grayscale images; the test split pairs by file name (ground truth for the held-out L1)
    const root = join(tmp.dir, "gray-data");
    const gray = (v: number) => Array.from({ length: 12 * 12 }, (_, i) => (i * 7 + v) & 255);
    for (let i = 0; i < 3; i++) {
      await writePng(join(root, "trainA", `a${i}.png`), 12, 12, 1, gray(i));
      await writePng(join(root, "trainB", `b${i}.png`), 12, 12, 1, gray(100 + i));
    }
    for (const side of ["A", "B"]) await writePng(join(root, `test${side}`, "x0.png"), 12, 12, 1, gray(side === "A" ? 5 : 50));
    const runDir = join(tmp.dir, "gray");
    await train(opts(runDir, { ir: r.ir, specText: GRAY, source: GRAY_FILE, data: root, maxIterations: 2 }));
    expect(existsSync(join(runDir, "samples/epoch_0000_A_G_AB.png"))).toBe(true);
    expect(existsSync(join(runDir, "samples/epoch_0000_B_G_BA.png"))).toBe(true);
    const evals = readMetrics(join(runDir, "metrics.jsonl")).filter((m) => m.losses["test_L1 G_AB(A)→B"] !== undefined);
    expect(evals.map((m) => [m.iteration, m.epoch])).toEqual([
      [0, 0],
      [2, 1],
    ]);
    for (const m of evals) expect(Number.isFinite(m.losses["test_L1 G_BA(B)→A"])).toBe(true);
    expect(readFileSync(join(runDir, "index.html"), "utf8")).toContain("G_BA(G_AB(A))");
  });
});
