// `gancc eval` and `gancc train --style-classifier` end to end through the CLI (tiny spec,
// synthetic data where brightness tells the domains apart, cpu).
import { copyFileSync, cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../data/fixtures.js";
import { styleDataset } from "../train/style_data.js";
import { gancc } from "./gancc.js";
import { PYTHON, noTorch } from "../torch/helpers.js";

let tmp: ReturnType<typeof tempDir>;
let data: string, cls: string, run: string;
const CPU = ["--backend", "cpu"];
beforeAll(async () => {
  tmp = tempDir("gancc-cli-eval-");
  data = join(tmp.dir, "data");
  cls = join(tmp.dir, "classifier");
  run = join(tmp.dir, "run");
  process.env.GANCC_CACHE = join(tmp.dir, "cache"); // the children inherit it
  await styleDataset(data, true);
  const c = gancc("train", "specs/domain_classifier.gan", "--data", data, "--set", "size=16", "--set", "nf=4", "--set", "epochs=15", "--out", cls, ...CPU);
  expect(c.code, c.err).toBe(0);
  const r = gancc("train", "specs/tiny.gan", "--data", data, "--out", run, "--max-iters", "3", ...CPU);
  expect(r.code, r.err).toBe(0);
});
afterAll(() => {
  delete process.env.GANCC_CACHE;
  tmp.cleanup();
});

interface EvalJson {
  translations: { net: string; from: string; to: string; l1: number; l1Untranslated: number }[];
  style: { classifier: { accuracy: { n: number; balanced: number; meaningful: boolean } }; scores: { net: string; n: number; translated: number; untranslated: number }[] };
}

describe("gancc eval", () => {
  it("prints L1 and style per translation, and the classifier's accuracy", () => {
    const t = gancc("eval", run, "--classifier", cls, ...CPU);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/^G_AB: A→B +\d\.\d{4} +\d\.\d{4} +\d\.\d{3} +\d\.\d{3} +20$/m);
    expect(t.out).toMatch(/^G_BA: B→A /m);
    expect(t.out).toMatch(/classifier accuracy on real test images \d\.\d{3} balanced \(A \d+\/20, B \d+\/20; p = .*\), clearly above chance/);
    const j = JSON.parse(gancc("eval", run, "--classifier", join(cls, "weights.safetensors"), "--json", ...CPU).out) as EvalJson;
    expect(j.translations.map((x) => `${x.net}:${x.from}→${x.to}`)).toEqual(["G_AB:A→B", "G_BA:B→A"]);
    for (const x of j.translations) expect(x.l1).toBeGreaterThan(0);
    expect(j.style.classifier.accuracy).toMatchObject({ n: 40, meaningful: true });
    for (const s of j.style.scores) {
      expect(s.n).toBe(20);
      expect(s.translated).toBeGreaterThanOrEqual(0);
      expect(s.translated).toBeLessThanOrEqual(1);
    }
  });
  it("without --classifier, trains one on the run's data into the cache, then reuses it", () => {
    const a = gancc("eval", run, ...CPU);
    expect(a.code, a.err).toBe(0);
    expect(a.err).toContain("gancc: style classifier trained: " + join(tmp.dir, "cache", "classifiers"));
    const b = gancc("eval", run, ...CPU);
    expect(b.err).toContain("gancc: style classifier from the cache");
    expect(b.out).toBe(a.out);
  });
  it("evaluates an in-progress run at its newest checkpoint, not an older stop's weights", () => {
    // a run stopped at 3 (weights.safetensors), resumed and still training (checkpoint at 5)
    const busy = join(tmp.dir, "busy");
    cpSync(run, busy, { recursive: true });
    copyFileSync(join(run, "weights.safetensors"), join(tmp.dir, "weights-3.safetensors"));
    const r = gancc("train", "--resume", busy, "--max-iters", "5", ...CPU);
    expect(r.code, r.err).toBe(0);
    copyFileSync(join(tmp.dir, "weights-3.safetensors"), join(busy, "weights.safetensors"));
    const j = JSON.parse(gancc("eval", busy, "--classifier", cls, "--json", ...CPU).out) as { run: string };
    expect(j.run).toBe(`${busy} checkpoint at iteration 5 (newer than its weights.safetensors, iteration 3)`);
    expect(JSON.parse(gancc("eval", run, "--classifier", cls, "--json", ...CPU).out).run).toBe(join(run, "weights.safetensors"));
  });
  it("says what is wrong with a classifier that is not one, and with a missing run", () => {
    const a = gancc("eval", run, "--classifier", run, ...CPU);
    expect(a.code).toBe(2);
    expect(a.err).toContain(`gancc: ${run} is not a domain classifier`);
    const b = gancc("eval", join(tmp.dir, "nope"), "--classifier", cls, ...CPU);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/^gancc: .*nope/m);
  });
});

describe("gancc train --style-classifier", () => {
  it("adds the style score to every epoch's held-out evaluation", () => {
    const out = join(tmp.dir, "styled");
    const r = gancc("train", "specs/tiny.gan", "--data", data, "--out", out, "--max-iters", "3", "--style-classifier", cls, ...CPU);
    expect(r.code, r.err).toBe(0);
    const evals = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((x) => x.lr === undefined);
    expect(evals.map((e) => e.epoch)).toEqual([0, 1]); // the untrained nets, and where the short run stopped
    for (const e of evals) {
      expect(Object.keys(e.losses)).toEqual(expect.arrayContaining(["test_L1 G_AB(A)→B", "style G_AB(A)→B", "style A→B untranslated", "style G_BA(B)→A", "classifier accuracy (balanced)"]));
    }
    expect(readFileSync(join(out, "index.html"), "utf8")).toContain("style G_AB(A)→B");
    expect(existsSync(join(out, "weights.safetensors"))).toBe(true);
    // resumed without the flag: run.json names the classifier, so the score goes on
    expect(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).config.style_classifier).toBe(join(cls, "weights.safetensors"));
    const again = gancc("train", "--resume", out, "--max-iters", "5", ...CPU);
    expect(again.code, again.err).toBe(0);
    const last = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((x) => x.lr === undefined).at(-1);
    expect([last.iteration, typeof last.losses["style G_AB(A)→B"]]).toEqual([5, "number"]);
  });
});

describe.skipIf(noTorch())("gancc train --engine torch --style-classifier", () => {
  it("records the classifier in run.json, so that a resumed torch run keeps its style score", () => {
    const out = join(tmp.dir, "styled-torch");
    const TORCH = ["--engine", "torch", "--python", PYTHON, "--device", "cpu"];
    const r = gancc("train", "specs/tiny.gan", "--data", data, "--out", out, "--max-iters", "3", "--style-classifier", cls, ...TORCH, ...CPU);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).config.style_classifier).toBe(join(cls, "weights.safetensors"));
    // (the interpreter is not taken from run.json: a resumed run may be on another machine)
    const again = gancc("train", "--resume", out, "--max-iters", "5", "--python", PYTHON, ...CPU);
    expect(again.code, again.err).toBe(0);
    const last = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((x) => x.lr === undefined).at(-1);
    expect([last.iteration, typeof last.losses["style G_AB(A)→B"]]).toEqual([5, "number"]);
  });
});
