// The style score (src/train/style.ts) and its classifier (specs/domain_classifier.gan, trained by
// the ordinary runner through src/train/style_classifier.ts), on synthetic data where the answer
// is known: brightness separates the domains (the classifier must learn it), or nothing does (it
// must stay near chance and be flagged).
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { openDataset } from "../../src/data/index.js";
import type { Ir } from "../../src/ir/schema.js";
import type { Model } from "../../src/runtime/model.js";
import { translations } from "../../src/train/evaluate.js";
import { StyleJudge, binomialTail, classifierRoles, clearlyAboveChance, evaluateStyle, MIN_ACCURACY } from "../../src/train/style.js";
import { classifierFor } from "../../src/train/style_classifier.js";
import { tempDir } from "../data/fixtures.js";
import { styleDataset } from "./style_data.js";

const compile = (f: string, set: Record<string, string> = {}): Ir => {
  const r = compileSource(readFileSync(f, "utf8"), f, { set });
  if (!r.ir) throw new Error(`${f} does not compile`);
  return r.ir;
};

const run = compile("specs/tiny.gan"); // 16×16, A ↔ B
const backend = { name: "cpu", reason: "test" };
const quiet = { isTTY: false, write: () => true } as never;
const FAST = { epochs: "15", nf: "4" };

describe("the domain classifier spec", () => {
  it("is one net, no generator, trained with bce against constant labels", () => {
    const ir = compile("specs/domain_classifier.gan");
    expect(ir.nets.map((n) => [n.name, n.role, n.output.kind, n.output.channels])).toEqual([["C", "other", "vector", 1]]);
    expect(classifierRoles(ir, "spec")).toEqual({ net: "C", negative: "A", positive: "B", size: 32 });
    expect(translations(ir)).toEqual([]);
  });
  it("a GAN is not a classifier", () => {
    expect(() => classifierRoles(run, "tiny")).toThrow(/tiny is not a domain classifier/);
  });
});

describe("clearly above chance", () => {
  it("binomial tail is exact", () => {
    expect(binomialTail(0, 10)).toBe(1);
    expect(binomialTail(2, 2)).toBeCloseTo(0.25, 12);
    expect(binomialTail(8, 10)).toBeCloseTo(56 / 1024, 12);
    expect(binomialTail(11, 10)).toBe(0);
  });
  it("needs both the accuracy and the significance", () => {
    expect(clearlyAboveChance({ A: { n: 50, correct: 45 }, B: { n: 50, correct: 40 } }).meaningful).toBe(true);
    // 0.7 balanced: significant with n = 1000, still not clearly enough
    expect(clearlyAboveChance({ A: { n: 500, correct: 350 }, B: { n: 500, correct: 350 } }).meaningful).toBe(false);
    // 4 of 4: accurate, but 4 images prove nothing (p = 1/16)
    expect(clearlyAboveChance({ A: { n: 2, correct: 2 }, B: { n: 2, correct: 2 } }).meaningful).toBe(false);
    // always "B": half right
    const all = clearlyAboveChance({ A: { n: 50, correct: 0 }, B: { n: 50, correct: 50 } });
    expect([all.balanced, all.meaningful]).toEqual([0.5, false]);
  });
});

describe("the classifier trained by the runner on synthetic data", () => {
  const sep = tempDir("gancc-style-sep-");
  const same = tempDir("gancc-style-same-");
  const cache = tempDir("gancc-style-cache-");
  beforeAll(async () => {
    await styleDataset(sep.dir, true);
    await styleDataset(same.dir, false);
  });
  afterAll(() => {
    sep.cleanup();
    same.cleanup();
    cache.cleanup();
  });

  const judgeOn = async (dir: string) => {
    const c = await classifierFor({ data: dir, runIr: run, cacheDir: cache.dir, backend, set: FAST, stream: quiet });
    const judge = new StyleJudge(c);
    try {
      const test = await openDataset(dir, run.data, { split: "test", verify: false });
      return { c, r: await evaluateStyle(undefined, [], judge, test), judge: undefined };
    } finally {
      judge.dispose();
    }
  };

  it("tells separable domains apart, and is cached by data", async () => {
    const { c, r } = await judgeOn(sep.dir);
    expect(c.cached).toBe(false);
    expect(r.classifier.accuracy.n).toBe(40);
    expect(r.classifier.accuracy.balanced).toBeGreaterThanOrEqual(0.9);
    expect(r.classifier.accuracy.meaningful).toBe(true);
    const again = await classifierFor({ data: sep.dir, runIr: run, cacheDir: cache.dir, backend, set: FAST, stream: quiet });
    expect([again.cached, again.runDir]).toEqual([true, c.runDir]);
  });

  it("stays near chance, flagged as meaningless, where the labels carry no signal", async () => {
    const { c, r } = await judgeOn(same.dir);
    expect(c.cached).toBe(false); // other data, another classifier
    expect(r.classifier.accuracy.balanced).toBeLessThan(MIN_ACCURACY);
    expect(r.classifier.accuracy.balanced).toBeGreaterThan(0.25);
    expect(r.classifier.accuracy.meaningful).toBe(false);
  });

  it("an identity translation scores exactly the untranslated share", async () => {
    const c = await classifierFor({ data: sep.dir, runIr: run, cacheDir: cache.dir, backend, set: FAST, stream: quiet });
    const judge = new StyleJudge(c);
    // a stand-in model whose generators return their input
    const identity = { nets: new Map([["G_AB", {}], ["G_BA", {}]]), run: (_n: string, x: tf.Tensor) => x.clone() } as unknown as Model;
    try {
      const test = await openDataset(sep.dir, run.data, { split: "test", verify: false });
      const r = await evaluateStyle(identity, translations(run), judge, test);
      expect(r.scores.map((s) => `${s.net}:${s.from}→${s.to}`)).toEqual(["G_AB:A→B", "G_BA:B→A"]);
      for (const s of r.scores) {
        expect(s.n).toBe(20);
        expect(s.translated).toBe(s.untranslated);
      }
      // and the untranslated share is the classifier's error on that domain
      const a = r.classifier.accuracy.perDomain.A!;
      expect(r.scores[0]!.untranslated).toBeCloseTo(1 - a.correct / a.n, 12);
    } finally {
      judge.dispose();
    }
  });
});
