/**
 * The flat-buffer optimizer rules (cpu and wasm; formulas in ./optim.ts's header) as plain
 * functions over Float32Arrays, and the one routine that applies a rule to element ranges of
 * parameters.
 *
 * Why a module of its own, without tfjs: the heap worker threads (./heap_worker.ts) run
 * these same functions — one copy of each formula — and a worker that imported tfjs would load
 * all of it (hundreds of milliseconds and tens of MB per thread) to use none of it.
 *
 * Every rule is element-wise (no reductions), so a parameter cut into ranges and updated range by
 * range, on any threads, gives the same bits as one loop over it.
 */
import type { IrOptimizer } from "../ir/schema.js";

export interface FlatRule {
  slots: (o: IrOptimizer) => string[];
  /** slots `s` in place, the new parameter value into `out`; arithmetic in float64, stored as float32 */
  flat(p: Float32Array, g: Float32Array, s: Float32Array[], out: Float32Array, o: IrOptimizer, lr: number, t: number): void;
}

export const FLAT_RULES: Record<IrOptimizer["kind"], FlatRule> = {
  adam: {
    slots: () => ["m", "v"],
    flat(p, g, [m, v], out, o, lr, t) {
      const [b1, b2, eps, wd] = [o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.eps ?? 1e-8, o.weight_decay ?? 0];
      const step = lr / (1 - b1 ** t);
      const bc2 = Math.sqrt(1 - b2 ** t);
      for (let i = 0; i < p.length; i++) {
        const gi = wd ? g[i]! + wd * p[i]! : g[i]!;
        const mi = b1 * m![i]! + (1 - b1) * gi;
        const vi = b2 * v![i]! + (1 - b2) * gi * gi;
        m![i] = mi;
        v![i] = vi;
        out[i] = p[i]! - (mi / (Math.sqrt(vi) / bc2 + eps)) * step;
      }
    },
  },
  rmsprop: {
    slots: (o) => ((o.momentum ?? 0) > 0 ? ["v", "b"] : ["v"]),
    flat(p, g, [v, b], out, o, lr) {
      const [a, eps, mu] = [o.decay ?? 0.99, o.eps ?? 1e-8, o.momentum ?? 0];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        const vi = a * v![i]! + (1 - a) * gi * gi;
        v![i] = vi;
        const step = gi / (Math.sqrt(vi) + eps);
        if (mu > 0) {
          const bi = mu * b![i]! + step;
          b![i] = bi;
          out[i] = p[i]! - bi * lr;
        } else out[i] = p[i]! - step * lr;
      }
    },
  },
  sgd: {
    slots: (o) => ((o.momentum ?? 0) > 0 ? ["b"] : []),
    flat(p, g, [b], out, o, lr, t) {
      const [mu, wd] = [o.momentum ?? 0, o.weight_decay ?? 0];
      for (let i = 0; i < p.length; i++) {
        const gi = wd ? g[i]! + wd * p[i]! : g[i]!;
        if (mu > 0) {
          const bi = t === 1 ? gi : mu * b![i]! + gi;
          b![i] = bi;
          out[i] = p[i]! - bi * lr;
        } else out[i] = p[i]! - gi * lr;
      }
    },
  },
};

/**
 * One parameter's update as offsets (in float32 elements): value `p`, gradient `g` and new value
 * `out` in the wasm heap, its first slot at `slot` in the slot buffer (slot j at slot + j·size).
 */
export interface FlatJob {
  p: number;
  g: number;
  out: number;
  slot: number;
  size: number;
}

/** Numbers per range in a packed range list: a FlatJob's five fields, then the range [from, to). */
export const RANGE_FIELDS = 7;

/** What one thread is given: the rule, its arguments, and its ranges packed RANGE_FIELDS numbers each. */
export interface FlatPart {
  config: IrOptimizer;
  lr: number;
  t: number;
  ranges: Float64Array;
}

/**
 * Runs `part` on the heap and slot buffers (views taken by the caller on the current buffers: a
 * grown heap is a new buffer). Returns the number of elements updated. A range outside a buffer
 * is an internal error: a view would silently come out short and leave the rest stale.
 */
export function runFlatPart(part: FlatPart, heap: Float32Array, slots: Float32Array): number {
  const rule = FLAT_RULES[part.config.kind];
  if (!rule) throw new Error(`internal: no flat optimizer rule for '${part.config.kind}'`);
  const nSlots = rule.slots(part.config).length;
  const r = part.ranges;
  let done = 0;
  for (let i = 0; i + RANGE_FIELDS <= r.length; i += RANGE_FIELDS) {
    const [p, g, out, slot, size, from, to] = [r[i]!, r[i + 1]!, r[i + 2]!, r[i + 3]!, r[i + 4]!, r[i + 5]!, r[i + 6]!];
    if (Math.max(p, g, out) + to > heap.length || slot + nSlots * size > slots.length || from < 0 || to > size || from > to) {
      throw new Error(`internal: optimizer range [${from}, ${to}) of a ${size}-element parameter lies outside the heap (${heap.length}) or slot buffer (${slots.length})`);
    }
    const s: Float32Array[] = [];
    for (let j = 0; j < nSlots; j++) s.push(slots.subarray(slot + j * size + from, slot + j * size + to));
    rule.flat(heap.subarray(p + from, p + to), heap.subarray(g + from, g + to), s, heap.subarray(out + from, out + to), part.config, part.lr, part.t);
    done += to - from;
  }
  return done;
}

/**
 * Cuts the jobs' elements, in order, into `parts` contiguous shares of (nearly) equal element
 * count — by elements, not by parameter: one parameter may be 590k elements and the next 64.
 * Share i covers elements [⌊i·E/parts⌋, ⌊(i+1)·E/parts⌋) of the concatenation.
 */
export function splitRanges(jobs: readonly FlatJob[], parts: number): Float64Array[] {
  const total = jobs.reduce((a, j) => a + j.size, 0);
  const out: number[][] = Array.from({ length: parts }, () => []);
  let start = 0; // first element of the current job in the concatenation
  let share = 0;
  for (const j of jobs) {
    let from = 0;
    while (from < j.size) {
      const shareEnd = Math.floor(((share + 1) * total) / parts);
      const to = Math.min(j.size, shareEnd - start);
      if (to > from) out[share]!.push(j.p, j.g, j.out, j.slot, j.size, from, to);
      from = Math.max(from, to);
      if (start + from >= shareEnd && share < parts - 1) share++;
    }
    start += j.size;
  }
  return out.map((r) => Float64Array.from(r));
}
