/**
 * Held-out evaluation: mean L1 between a generator's translation and the ground truth on the
 * test split, for every translation the IR implies (nothing recipe-specific), by every
 * generator (an image → image net that is not a critic, any channel count: see generators.ts):
 *   - supervised: a loss compares `G(X)` with domain `Y` (pix2pix's l1(G(A), B)), or
 *   - adversarial: a discriminator judges `G(X)` (directly, through pool/detach/concat) and also
 *     judges real images of domain `Y` (CycleGAN's D_B(G_AB(A)) and D_B(B)).
 * Ground truth needs pairs: paired layouts have them; for unpaired data the test folders are
 * paired by file name when their names match (the embedded emoji set: the same emoji in both
 * styles), otherwise there is nothing to measure against and no metric is reported.
 *
 * The value is the mean absolute difference in the network's [-1, 1] units over all pixels of
 * the test split (half of it in [0, 1] pixel units), in evaluation mode (running batch-norm
 * statistics, no dropout).
 */
import * as tf from "@tensorflow/tfjs";
import type { Ir, IrData, IrValue } from "../ir/schema.js";
import { DataLoader, openDataset, type Dataset } from "../data/index.js";
import type { Model } from "../runtime/model.js";
import { imageGenerators } from "./generators.js";

export interface Translation {
  net: string;
  from: string;
  to: string;
  /** metric name, e.g. "test_L1 G_AB(A)→B" */
  name: string;
}

export function translations(ir: Ir): Translation[] {
  const byId = new Map(ir.values.map((v) => [v.id, v]));
  const role = new Map(ir.nets.map((n) => [n.name, n.role]));
  const domainOf = (v: IrValue | undefined) => (v?.op === "domain" ? (v.attrs.domain as string) : undefined);
  const out = new Map<string, Translation>();
  const add = (g: IrValue, to: string) => {
    const from = domainOf(byId.get(g.inputs[0]!));
    const net = g.attrs.net as string;
    if (!from || from === to) return;
    const name = `test_L1 ${net}(${from})→${to}`;
    out.set(name, { net, from, to, name });
  };
  const gens = imageGenerators(ir);
  const isGenOfDomain = (v: IrValue | undefined): v is IrValue =>
    v?.op === "apply" && gens.has(v.attrs.net as string) && domainOf(byId.get(v.inputs[0]!)) !== undefined;
  // supervised targets
  for (const v of ir.values) {
    if (v.op !== "l1" && v.op !== "mse") continue;
    const [a, b] = v.inputs.map((i) => byId.get(i));
    if (isGenOfDomain(a) && domainOf(b)) add(a, domainOf(b)!);
    if (isGenOfDomain(b) && domainOf(a)) add(b, domainOf(a)!);
  }
  // adversarial targets: what each discriminator sees as real, and which generator outputs it judges
  const realOf = new Map<string, Set<string>>();
  const judged = new Map<string, IrValue[]>();
  const strip = (v: IrValue | undefined): IrValue[] => {
    if (!v) return [];
    if (v.op === "pool" || v.op === "detach") return strip(byId.get(v.inputs[0]!));
    if (v.op === "concat") return v.inputs.flatMap((i) => strip(byId.get(i)));
    return [v];
  };
  for (const v of ir.values) {
    if (v.op !== "apply" || role.get(v.attrs.net as string) !== "discriminator") continue;
    const d = v.attrs.net as string;
    for (const x of strip(byId.get(v.inputs[0]!))) {
      if (domainOf(x)) (realOf.get(d) ?? realOf.set(d, new Set()).get(d)!).add(domainOf(x)!);
      else if (isGenOfDomain(x)) (judged.get(d) ?? judged.set(d, []).get(d)!).push(x);
    }
  }
  for (const [d, gs] of judged) {
    const reals = realOf.get(d);
    // a conditional discriminator sees the source domain too (concat(A, B)): the target is the
    // real domain that is not the generator's input
    for (const g of gs) for (const y of reals ?? []) add(g, y);
  }
  return [...out.values()];
}

/** The metric for the untranslated input against the same target (what the translation should beat). */
export function baselineName(t: Translation): string {
  return `test_L1 ${t.from}→${t.to} untranslated`;
}

/** The test split with ground-truth pairs, or undefined (with the reason) when there are none. */
export async function openEvaluationSet(root: string, data: IrData): Promise<{ set?: Dataset; why?: string }> {
  const layout: IrData["layout"] = data.layout === "unpaired" ? "paired_folders" : data.layout;
  try {
    const set = await openDataset(root, { ...data, layout }, { split: "test", verify: false, onWarning: () => {} });
    return { set };
  } catch (e) {
    let why = (e as Error).message.split("\n")[0]!;
    // an unpaired spec is matched by name here, as paired_folders would: say so in its own terms
    if (data.layout === "unpaired") {
      why = why
        .replace(/layout: paired_folders needs/g, "held-out L1 on an unpaired dataset needs")
        .replace(/; layout: paired_folders matches files/g, "; held-out L1 matches test files")
        .replace(/,? or use layout: unpaired\.?/g, ".")
        .replace(/layout: paired_folders/g, "pairing test images by name");
    }
    return { why };
  }
}

/** Mean L1 per translation over the whole evaluation set. */
export async function evaluate(model: Model, ts: Translation[], set: Dataset, batch = 8): Promise<Record<string, number>> {
  const loader = new DataLoader(set, { batch: Math.min(batch, set.length), seed: 0, mode: "eval", prefetch: false });
  const sum = new Map<string, number>();
  const count = new Map<string, number>();
  try {
    for (let i = 0; i < loader.batchesPerEpoch; i++) {
      const b = await loader.next();
      for (const t of ts) {
        const x = b.data[t.from];
        const y = b.data[t.to];
        if (!x || !y) continue;
        const v = tf.tidy(() => {
          const out = model.run(t.net, tf.tensor4d(x, b.shape[t.from]!));
          const target = tf.tensor4d(y, b.shape[t.to]!);
          const l1 = tf.sum(tf.abs(tf.sub(out, target)));
          // the baseline: how far the untranslated input is from the target
          const base = out.shape.join() === target.shape.join() ? tf.sum(tf.abs(tf.sub(tf.tensor4d(x, b.shape[t.from]!), target))) : tf.scalar(NaN);
          return tf.stack([l1, base]);
        });
        const [l1, base] = await v.data();
        v.dispose();
        for (const [k, s] of [[t.name, l1!], [baselineName(t), base!]] as const) {
          if (!Number.isFinite(s)) continue;
          sum.set(k, (sum.get(k) ?? 0) + s);
          count.set(k, (count.get(k) ?? 0) + y.length);
        }
      }
    }
  } finally {
    await loader.close();
  }
  return Object.fromEntries([...sum].map(([k, s]) => [k, s / count.get(k)!]));
}
