/**
 * The names a run's metrics use, shared by both engines (the tfjs trainer and the torch
 * launcher write the same metrics.jsonl): flat loss-term names and each step's learning rate.
 */
import type { Ir } from "../ir/schema.js";

/** Loss terms as flat names: the term's name, or `loss.term` where two losses share a term name. */
export function flatTermNames(ir: Ir): Map<string, string> {
  const count = new Map<string, number>();
  for (const l of ir.losses) for (const t of l.terms) count.set(t.name, (count.get(t.name) ?? 0) + 1);
  const out = new Map<string, string>();
  for (const l of ir.losses) for (const t of l.terms) out.set(`${l.name}\u0000${t.name}`, count.get(t.name)! > 1 ? `${l.name}.${t.name}` : t.name);
  return out;
}

/** `{loss: {term: v}}` as the flat names of `flatTermNames`. */
export function flattenLosses(names: Map<string, string>, losses: Record<string, Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [loss, terms] of Object.entries(losses)) for (const [t, v] of Object.entries(terms)) out[names.get(`${loss}\u0000${t}`) ?? `${loss}.${t}`] = v;
  return out;
}

/**
 * The learning rate each training step uses this iteration (its optimizer's `lr` times the
 * schedule's factor), keyed by the step's loss name (`{generator: 2e-4, discriminator: 1e-4}`,
 * the `lr` of metrics.jsonl); `loss#k` (k = 1, 2, …) where several steps train one loss.
 */
export function stepLearningRates(ir: Ir, lrScale: number): Record<string, number> {
  const count = new Map<string, number>();
  for (const s of ir.train.steps) count.set(s.loss, (count.get(s.loss) ?? 0) + 1);
  const seen = new Map<string, number>();
  const out: Record<string, number> = {};
  for (const s of ir.train.steps) {
    const k = (seen.get(s.loss) ?? 0) + 1;
    seen.set(s.loss, k);
    out[count.get(s.loss)! > 1 ? `${s.loss}#${k}` : s.loss] = s.optimizer.lr * lrScale;
  }
  return out;
}
