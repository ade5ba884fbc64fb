/**
 * `gancc eval RUN`: the held-out measures of a finished or in-progress run, computed afresh from
 * its weights — the L1 to ground truth (evaluate.ts, where the test split has pairs) and the style
 * score with the classifier's accuracy (style.ts). The CLI only loads and prints.
 */
import type { Ir } from "../ir/schema.js";
import type { HostTensor } from "../io/tensor.js";
import { DataError, openDataset } from "../data/index.js";
import { Model } from "../runtime/model.js";
import { baselineName, evaluate, openEvaluationSet, translations, type Translation } from "./evaluate.js";
import { StyleError, StyleJudge, evaluateStyle, type StyleResult, type TrainedClassifier } from "./style.js";

export interface RunEvaluation {
  translations: (Translation & { l1?: number; l1Untranslated?: number })[];
  /** why there is no L1 (no ground-truth pairs in the test split) */
  l1Missing?: string;
  style: StyleResult;
}

export async function evaluateRun(o: { ir: Ir; weights: ReadonlyMap<string, HostTensor>; data: string; classifier: TrainedClassifier }): Promise<RunEvaluation> {
  const ts = translations(o.ir);
  if (!ts.length) throw new StyleError(`${o.ir.spec.name} translates between no data domains: there is nothing to evaluate`);
  let testSet;
  try {
    testSet = await openDataset(o.data, o.ir.data, { split: "test", verify: false });
  } catch (e) {
    if (e instanceof DataError) throw new StyleError(`cannot evaluate on the test split of ${o.data}: ${e.message}`);
    throw e;
  }
  const nets = [...new Set(ts.map((t) => t.net))];
  for (const n of o.ir.nets.filter((x) => nets.includes(x.name))) {
    const missing = n.params.filter((p) => !o.weights.has(p.name));
    if (missing.length) throw new StyleError(`the weights lack ${missing.length} parameter(s) of ${n.name} (e.g. ${missing[0]!.name}): an untrained net would be evaluated; use the run directory or a full weights file`);
  }
  const judge = new StyleJudge(o.classifier);
  const model = new Model(o.ir, { weights: o.weights, nets });
  try {
    judge.checkDomains(o.ir.data.domains.map((d) => d.name), `the run's spec ${o.ir.spec.name}`);
    const pairs = await openEvaluationSet(o.data, o.ir.data);
    const l1 = pairs.set ? await evaluate(model, ts, pairs.set) : {};
    const style = await evaluateStyle(model, ts, judge, testSet);
    return {
      translations: ts.map((t) => ({ ...t, l1: l1[t.name], l1Untranslated: l1[baselineName(t)] })),
      l1Missing: pairs.set ? undefined : pairs.why,
      style,
    };
  } finally {
    model.dispose();
    judge.dispose();
  }
}
