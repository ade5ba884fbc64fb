/**
 * A run's report, shared by both engines (the tfjs trainer and the torch launcher): the
 * RunReporter with the IR's loss groups, the fixed sample images (the first items of the test
 * split, else of the training set, eval mode) and the held-out L1 where the test split has
 * ground-truth pairs. Samples and evaluation are rendered with the tfjs runtime from whatever
 * `Model` the engine hands in (the torch engine: one built from its epoch snapshot).
 */
import * as tf from "@tensorflow/tfjs";
import type { Ir } from "../ir/schema.js";
import { DataLoader, type Batch as DataBatch, type Dataset } from "../data/index.js";
import type { Model } from "../runtime/model.js";
import { RunReporter } from "../report/index.js";
import { renderSamples, sampleGrids } from "./samples.js";
import { baselineName, evaluate, openEvaluationSet, translations } from "./evaluate.js";
import { flatTermNames } from "./terms.js";
import { CLASSIFIER_ACCURACY, StyleJudge, accuracyText, evaluateStyle, styleBaselineName, styleMetrics, styleName, type TrainedClassifier } from "./style.js";

export interface RunReportOptions {
  ir: Ir;
  runDir: string;
  /** dataset root, and its opened train (and test) splits */
  data: string;
  dataset: Dataset;
  testSet?: Dataset;
  /** the report header's "trained from" and "backend" lines */
  source: string;
  backendLabel: string;
  config?: Record<string, unknown>;
  command?: readonly string[];
  epochs: number;
  itersPerEpoch: number;
  /** resuming after this global iteration (keeps the metrics and samples up to it) */
  resume?: { iteration: number };
  /** images per sample grid (default 4; 0 = none) */
  samples?: number;
  /** a domain classifier: the evaluation adds the style score on the test split (style.ts) */
  styleClassifier?: TrainedClassifier;
  warn: (m: string) => void;
}

export interface RunReport {
  reporter: RunReporter;
  /** the held-out L1 (and style score) of `model`, logged for the 1-based epoch `ep` (0: the untrained nets); undefined when there is none */
  evaluate(model: Model, ep: number, iteration: number): Promise<Record<string, number> | undefined>;
  /** the sample grids of `model` for the 1-based epoch `ep` */
  writeSamples(model: Model, ep: number, iteration: number, caption?: string): Promise<void>;
  dispose(): void;
}

/** A loader batch as tensors, per domain. */
export function batchTensors(b: DataBatch): Record<string, tf.Tensor4D> {
  return Object.fromEntries(Object.entries(b.data).map(([d, x]) => [d, tf.tensor4d(x, b.shape[d]!)]));
}

export async function openRunReport(o: RunReportOptions): Promise<RunReport> {
  const { ir } = o;
  const names = flatTermNames(ir);
  // held-out L1 against ground truth, where the test split has pairs (see evaluate.ts)
  let evalTs = translations(ir);
  const evalSet = evalTs.length ? await openEvaluationSet(o.data, ir.data) : {};
  if (evalTs.length && !evalSet.set) {
    o.warn(`no held-out L1: the test split has no ground-truth pairs (${evalSet.why})`);
    evalTs = [];
  }
  // the style score (style.ts): every translation, paired test images or not
  const styleTs = o.styleClassifier ? translations(ir) : [];
  let judge: StyleJudge | undefined;
  if (o.styleClassifier && !o.testSet) o.warn("no style score: the dataset has no test split");
  else if (o.styleClassifier && !styleTs.length) o.warn(`no style score: ${ir.spec.name} translates between no data domains`);
  else if (o.styleClassifier) {
    judge = new StyleJudge(o.styleClassifier);
    try {
      judge.checkDomains(ir.data.domains.map((d) => d.name), `the spec ${ir.spec.name}`);
    } catch (e) {
      judge.dispose();
      throw e;
    }
  }
  let styleWarned = false;
  const reporter = new RunReporter(o.runDir, {
    header: { specName: ir.spec.name, specHash: ir.spec.sha256, backend: o.backendLabel, startTime: new Date(), irPath: o.source, command: [...(o.command ?? [])] },
    lossGroups: [
      ...ir.losses.map((l) => ({ group: l.name, terms: l.terms.map((t) => names.get(`${l.name}\u0000${t.name}`)!) })),
      ...(evalTs.length ? [{ group: "test split (L1 to ground truth)", terms: evalTs.flatMap((t) => [t.name, baselineName(t)]) }] : []),
      ...(judge ? [{ group: "test split (style: share judged as the target domain)", terms: [...styleTs.flatMap((t) => [styleName(t), styleBaselineName(t)]), CLASSIFIER_ACCURACY] }] : []),
    ],
    config: o.config,
    epochs: o.epochs,
    itersPerEpoch: o.itersPerEpoch,
    resume: o.resume,
  });

  const grids = sampleGrids(ir);
  const nSamples = o.samples ?? 4;
  let sampleBatch: Record<string, tf.Tensor4D> | undefined;
  if (grids.length && nSamples > 0) {
    const src = o.testSet ?? o.dataset;
    const sl = new DataLoader(src, { batch: Math.min(nSamples, src.length), seed: ir.train.seed, mode: "eval", prefetch: false, onWarning: o.warn });
    sampleBatch = batchTensors(await sl.next());
    await sl.close();
  }

  return {
    reporter,
    async evaluate(model, ep, iteration) {
      const m = evalTs.length && evalSet.set ? await evaluate(model, evalTs, evalSet.set) : {};
      if (judge && o.testSet) {
        const r = await evaluateStyle(model, styleTs, judge, o.testSet);
        Object.assign(m, styleMetrics(r));
        if (!r.classifier.accuracy.meaningful && !styleWarned) o.warn(`style score by ${judge.from}: ${accuracyText(r.classifier.accuracy)}`);
        styleWarned = true;
      }
      if (!Object.keys(m).length) return undefined;
      reporter.log({ iteration, epoch: ep, losses: m });
      return m;
    },
    async writeSamples(model, ep, iteration, caption) {
      if (!sampleBatch) return;
      const rendered = await renderSamples(model, grids, sampleBatch);
      await reporter.addSamples(
        ep,
        iteration,
        rendered.map((r) => ({ name: r.spec.name, caption, labels: r.spec.columns.map((c) => c.label), rows: r.rows })),
      );
    },
    dispose() {
      if (sampleBatch) tf.dispose(Object.values(sampleBatch));
      judge?.dispose();
    },
  };
}
