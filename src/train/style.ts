/**
 * The style score: does a translation look like its target domain? L1 to the true target
 * cannot say so (it also favours the untranslated input, which shares layout and background),
 * so a separate domain classifier judges it. The classifier is itself a trained spec
 * (specs/domain_classifier.gan): a net scoring an image with one logit, trained with `bce`
 * against constant labels on two data domains, `bce(C(A), 0)` and `bce(C(B), 1)`. Which domain is
 * which comes from its IR, so any such spec works.
 *
 * For a translation X → Y on the test split:
 *   - style       the share of translated test images of X the classifier assigns to Y;
 *   - untranslated the same share for the untranslated test images of X (what style must beat);
 * and the classifier's balanced accuracy on the real test images of both domains. Its scores mean
 * nothing unless that accuracy is clearly above chance (`clearlyAboveChance`).
 *
 * Images are judged at the classifier's training size (bilinear resize of the run's [-1, 1]
 * images); a logit > 0 assigns the image to the label-1 domain.
 */
import * as tf from "@tensorflow/tfjs";
import type { Ir, IrValue } from "../ir/schema.js";
import type { HostTensor } from "../io/tensor.js";
import { DataLoader, type Dataset } from "../data/index.js";
import { Model } from "../runtime/model.js";
import type { Translation } from "./evaluate.js";

export class StyleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StyleError";
  }
}

/** A trained classifier as gancc stores it: its IR and weights, and where they came from. */
export interface TrainedClassifier {
  ir: Ir;
  weights: ReadonlyMap<string, HostTensor>;
  from: string;
}

/** What the IR says the classifier is: which net, which domain is label 1 and which label 0. */
export interface ClassifierRoles {
  net: string;
  /** the domain trained towards label 1 */
  positive: string;
  /** the domain trained towards label 0 */
  negative: string;
  /** the input size it was trained at (the data section's crop size) */
  size: number;
}

/** The label a `bce` value trains towards, when it is a constant (0 … 1), else undefined. */
function constantLabel(v: IrValue, byId: Map<string, IrValue>): number | undefined {
  if (v.op !== "bce") return undefined;
  if (v.inputs.length === 1) return v.attrs.target === "real" ? 1 : v.attrs.target === "fake" ? 0 : undefined;
  const t = byId.get(v.inputs[1]!);
  return t?.op === "const" ? (t.attrs.value as number) : undefined;
}

/**
 * Finds the domain classifier in an IR: the one net whose single-channel output is trained with
 * `bce` towards 1 on one data domain and towards 0 on another. Throws StyleError, naming the
 * source, when the IR is not such a spec.
 */
export function classifierRoles(ir: Ir, from: string): ClassifierRoles {
  const byId = new Map(ir.values.map((v) => [v.id, v]));
  const labels = new Map<string, Map<string, number>>(); // net → domain → label
  for (const v of ir.values) {
    const label = constantLabel(v, byId);
    if (label === undefined) continue;
    const x = byId.get(v.inputs[0]!);
    const d = x?.op === "apply" ? byId.get(x.inputs[0]!) : undefined;
    if (!x || d?.op !== "domain") continue;
    const net = x.attrs.net as string;
    (labels.get(net) ?? labels.set(net, new Map()).get(net)!).set(d.attrs.domain as string, label);
  }
  const found: ClassifierRoles[] = [];
  for (const [net, byDomain] of labels) {
    const irNet = ir.nets.find((n) => n.name === net)!;
    if (irNet.output.channels !== 1) continue;
    const pos = [...byDomain].filter(([, l]) => l === 1).map(([d]) => d);
    const neg = [...byDomain].filter(([, l]) => l === 0).map(([d]) => d);
    if (pos.length === 1 && neg.length === 1) found.push({ net, positive: pos[0]!, negative: neg[0]!, size: ir.data.crop });
  }
  if (found.length !== 1) {
    throw new StyleError(
      `${from} is not a domain classifier: ${found.length === 0 ? "no net" : `${found.length} nets (${found.map((f) => f.net).join(", ")})`} ` +
        "with a one-channel output trained with bce towards 1 on one domain and 0 on another (as specs/domain_classifier.gan: bce(C(A), 0), bce(C(B), 1)); " +
        "pass a classifier run or weights file to --classifier, or leave it out to train one",
    );
  }
  return found[0]!;
}

/** Judges images with a trained domain classifier. Call dispose() when done. */
export class StyleJudge {
  readonly roles: ClassifierRoles;
  readonly from: string;
  private readonly model: Model;

  constructor(c: TrainedClassifier) {
    this.roles = classifierRoles(c.ir, c.from);
    this.from = c.from;
    this.model = new Model(c.ir, { nets: [this.roles.net] });
    const mine = new Map([...c.weights].filter(([k]) => k.startsWith(`${this.roles.net}/`)));
    try {
      this.model.load(mine);
    } catch (e) {
      this.model.dispose();
      throw new StyleError(`${c.from}: the classifier's weights do not fit its IR (${(e as Error).message})`);
    }
  }

  /** Checks that the classifier knows the domains a run translates between. */
  checkDomains(domains: readonly string[], what: string): void {
    const { positive, negative } = this.roles;
    const missing = [positive, negative].filter((d) => !domains.includes(d));
    if (missing.length) {
      throw new StyleError(
        `the classifier ${this.from} tells domain ${negative} from ${positive}, but ${what} has no domain ${missing.join(", ")} (its domains: ${domains.join(", ")}); use a classifier trained on the same domains`,
      );
    }
  }

  /** For NHWC images in [-1, 1]: 1 where the classifier assigns the image to `domain`, else 0. */
  assigns(x: tf.Tensor4D, domain: string): tf.Tensor1D {
    return tf.tidy(() => {
      const s = this.roles.size;
      const input = x.shape[1] === s && x.shape[2] === s ? x : tf.image.resizeBilinear(x, [s, s], true);
      const logits = this.model.run(this.roles.net, input);
      const score = tf.mean(tf.reshape(logits, [x.shape[0], -1]), 1);
      const positive = tf.cast(tf.greater(score, 0), "float32");
      return (domain === this.roles.positive ? positive : tf.sub(1, positive)) as tf.Tensor1D;
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Chance level is 0.5 (two domains); "clearly above" is both of these: */
export const MIN_ACCURACY = 0.75;
/** …and a one-sided binomial test against a coin flip: P(≥ correct of n | p = 0.5) below this. */
export const MAX_P_VALUE = 1e-3;

/** P(X ≥ k) for X ~ Binomial(n, 1/2), exact (summed in log space, so n may be large). */
export function binomialTail(k: number, n: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  // log C(n, i) built up from log C(n, 0) = 0
  let logC = 0;
  let sum = 0;
  const log2n = n * Math.log(2);
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    if (i >= k) sum += Math.exp(logC - log2n);
  }
  return Math.min(1, sum);
}

export interface ClassifierAccuracy {
  /** per domain: test images, and how many the classifier assigned to their own domain */
  perDomain: Record<string, { n: number; correct: number }>;
  n: number;
  correct: number;
  /** the mean of the per-domain accuracies (not swayed by unequal test sets) */
  balanced: number;
  /** one-sided binomial p-value of `correct` of `n` against chance (0.5) */
  pValue: number;
  /** balanced ≥ MIN_ACCURACY and pValue < MAX_P_VALUE */
  meaningful: boolean;
}

export function clearlyAboveChance(perDomain: Record<string, { n: number; correct: number }>): ClassifierAccuracy {
  const ds = Object.values(perDomain).filter((d) => d.n > 0);
  const n = ds.reduce((s, d) => s + d.n, 0);
  const correct = ds.reduce((s, d) => s + d.correct, 0);
  const balanced = ds.length ? ds.reduce((s, d) => s + d.correct / d.n, 0) / ds.length : NaN;
  const pValue = binomialTail(correct, n);
  return { perDomain, n, correct, balanced, pValue, meaningful: ds.length === 2 && balanced >= MIN_ACCURACY && pValue < MAX_P_VALUE };
}

export interface StyleScore {
  net: string;
  from: string;
  to: string;
  /** test images of `from` */
  n: number;
  /** share of translated images assigned to `to` */
  translated: number;
  /** share of untranslated images assigned to `to` */
  untranslated: number;
}

export interface StyleResult {
  classifier: { from: string; roles: ClassifierRoles; accuracy: ClassifierAccuracy };
  scores: StyleScore[];
}

/** The metric names the trainer logs (metrics.jsonl, index.html). */
export const styleName = (t: { net: string; from: string; to: string }) => `style ${t.net}(${t.from})→${t.to}`;
export const styleBaselineName = (t: { from: string; to: string }) => `style ${t.from}→${t.to} untranslated`;
export const CLASSIFIER_ACCURACY = "classifier accuracy (balanced)";

/** The test images of one domain alone, each once, in file order. */
function domainOnly(set: Dataset, domain: string): Dataset | undefined {
  const d = set.domains.find((x) => x.name === domain);
  if (!d || d.images.length === 0) return undefined;
  return { ...set, paired: false, domains: [d], length: d.images.length, data: { ...set.data, domains: set.data.domains.filter((x) => x.name === domain) } };
}

/**
 * Style scores for every translation, and the classifier's accuracy, over the test split `set`
 * (opened with the run's data section). `model` must hold the translations' nets.
 */
export async function evaluateStyle(model: Model | undefined, ts: readonly Translation[], judge: StyleJudge, set: Dataset, batch = 16): Promise<StyleResult> {
  const { positive, negative } = judge.roles;
  const perDomain: Record<string, { n: number; correct: number }> = {};
  const counts = new Map<string, { n: number; translated: number; untranslated: number }>();
  for (const domain of [negative, positive]) {
    const only = domainOnly(set, domain);
    if (!only) continue;
    // translations between the classifier's two domains (a spec may have more domains)
    const mine = model ? ts.filter((t) => t.from === domain && (t.to === positive || t.to === negative) && model.nets.has(t.net)) : [];
    const loader = new DataLoader(only, { batch: Math.min(batch, only.length), seed: 0, mode: "eval", prefetch: false });
    try {
      for (let i = 0; i < loader.batchesPerEpoch; i++) {
        const b = await loader.next();
        const x = tf.tensor4d(b.data[domain]!, b.shape[domain]!);
        try {
          const own = judge.assigns(x, domain);
          const pd = (perDomain[domain] ??= { n: 0, correct: 0 });
          pd.n += b.size;
          pd.correct += (await tf.sum(own).data())[0]!;
          own.dispose();
          for (const t of mine) {
            const r = tf.tidy(() => tf.stack([tf.sum(judge.assigns(model!.run(t.net, x) as tf.Tensor4D, t.to)), tf.sum(judge.assigns(x, t.to))]));
            const [tr, un] = await r.data();
            r.dispose();
            const c = counts.get(t.name) ?? { n: 0, translated: 0, untranslated: 0 };
            counts.set(t.name, { n: c.n + b.size, translated: c.translated + tr!, untranslated: c.untranslated + un! });
          }
        } finally {
          x.dispose();
        }
      }
    } finally {
      await loader.close();
    }
  }
  const scores: StyleScore[] = [];
  for (const t of ts) {
    const c = counts.get(t.name);
    if (c && c.n > 0) scores.push({ net: t.net, from: t.from, to: t.to, n: c.n, translated: c.translated / c.n, untranslated: c.untranslated / c.n });
  }
  return { classifier: { from: judge.from, roles: judge.roles, accuracy: clearlyAboveChance(perDomain) }, scores };
}

/** The style result as flat metrics (metrics.jsonl): per translation its share and the untranslated share, and the classifier's accuracy. */
export function styleMetrics(r: StyleResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of r.scores) {
    out[styleName(s)] = s.translated;
    out[styleBaselineName(s)] = s.untranslated;
  }
  out[CLASSIFIER_ACCURACY] = r.classifier.accuracy.balanced;
  return out;
}

/** One line on the classifier's accuracy, saying whether its scores mean anything. */
export function accuracyText(a: ClassifierAccuracy): string {
  const per = Object.entries(a.perDomain).map(([d, x]) => `${d} ${x.correct}/${x.n}`).join(", ");
  const verdict = a.meaningful
    ? "clearly above chance"
    : `NOT clearly above chance (needs ≥ ${MIN_ACCURACY} and binomial p < ${MAX_P_VALUE}): the style scores are meaningless`;
  return `classifier accuracy on real test images ${a.balanced.toFixed(3)} balanced (${per}; p = ${a.pValue.toExponential(1)}), ${verdict}`;
}
