/**
 * Optimizers from the IR (`IrOptimizer`), PyTorch semantics, one table entry each.
 *
 * Each parameter is updated in its own tf.tidy, one after another, so the extra memory of an
 * update is a few times ONE parameter's size (tfjs's `train.adam` updates all variables in one
 * go and briefly needs ~12× the bytes of all parameters).
 *
 *   adam:    m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
 *            p −= lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + eps)        (torch.optim.Adam)
 *            weight_decay adds wd·p to g first (L2, as torch.optim.Adam, not AdamW)
 *   rmsprop: v = α·v + (1−α)·g²;  p −= lr · g / (sqrt(v) + eps), v starts at 0   (torch.optim.RMSprop;
 *            TensorFlow's RMSPropOptimizer instead puts eps inside the sqrt and starts v at 1)
 *            momentum μ > 0: b = μ·b + g/(sqrt(v)+eps); p −= lr·b
 *   sgd:     g += wd·p; momentum μ > 0: b = μ·b + g (b = g on the first step); p −= lr·b
 *
 * State ("slots") is named `<variable>/<slot>` and round-trips through `state()`/`loadState()`
 * for checkpoints, together with the step count.
 */
import * as tf from "@tensorflow/tfjs";
import type { IrOptimizer } from "../ir/schema.js";

export interface SlotValue {
  shape: number[];
  data: Float32Array;
}

interface Rule {
  slots: (o: IrOptimizer) => string[];
  /** returns the new parameter value and new slot values (same order as slots) */
  update(p: tf.Tensor, g: tf.Tensor, s: tf.Tensor[], o: IrOptimizer, lr: number, t: number): [tf.Tensor, tf.Tensor[]];
}

export const OPTIMIZER_RULES: Record<IrOptimizer["kind"], Rule> = {
  adam: {
    slots: () => ["m", "v"],
    update(p, g, [m, v], o, lr, t) {
      const [b1, b2, eps, wd] = [o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.eps ?? 1e-8, o.weight_decay ?? 0];
      if (wd) g = tf.add(g, tf.mul(p, wd));
      const m1 = tf.add(tf.mul(m!, b1), tf.mul(g, 1 - b1));
      const v1 = tf.add(tf.mul(v!, b2), tf.mul(tf.square(g), 1 - b2));
      const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(1 - b2 ** t)), eps);
      const p1 = tf.sub(p, tf.mul(tf.div(m1, denom), lr / (1 - b1 ** t)));
      return [p1, [m1, v1]];
    },
  },
  rmsprop: {
    slots: (o) => ((o.momentum ?? 0) > 0 ? ["v", "b"] : ["v"]),
    update(p, g, [v, b], o, lr) {
      const [a, eps, mu] = [o.decay ?? 0.99, o.eps ?? 1e-8, o.momentum ?? 0];
      const v1 = tf.add(tf.mul(v!, a), tf.mul(tf.square(g), 1 - a));
      const step = tf.div(g, tf.add(tf.sqrt(v1), eps));
      if (mu > 0) {
        const b1 = tf.add(tf.mul(b!, mu), step);
        return [tf.sub(p, tf.mul(b1, lr)), [v1, b1]];
      }
      return [tf.sub(p, tf.mul(step, lr)), [v1]];
    },
  },
  sgd: {
    slots: (o) => ((o.momentum ?? 0) > 0 ? ["b"] : []),
    update(p, g, [b], o, lr, t) {
      const [mu, wd] = [o.momentum ?? 0, o.weight_decay ?? 0];
      if (wd) g = tf.add(g, tf.mul(p, wd));
      if (mu > 0) {
        const b1 = t === 1 ? g.clone() : tf.add(tf.mul(b!, mu), g);
        return [tf.sub(p, tf.mul(b1, lr)), [b1]];
      }
      return [tf.sub(p, tf.mul(g, lr)), []];
    },
  },
};

export class Optimizer {
  readonly config: IrOptimizer;
  /** number of updates applied so far (PyTorch's per-parameter `step`; equal for all here) */
  t = 0;
  private readonly slots = new Map<string, tf.Variable[]>();
  private readonly rule: Rule;

  /** the parameters it updates: stable name (used for the state's slot names) + variable */
  constructor(config: IrOptimizer, readonly params: { name: string; variable: tf.Variable }[]) {
    this.config = config;
    const rule = OPTIMIZER_RULES[config.kind];
    if (!rule) throw new Error(`internal: no optimizer rule for '${config.kind}'`);
    this.rule = rule;
  }

  private slotsFor(name: string, v: tf.Variable): tf.Variable[] {
    let s = this.slots.get(name);
    if (!s) {
      // unnamed (tfjs names variables globally; two optimizers may hold slots for one parameter)
      s = this.rule.slots(this.config).map(() => tf.tidy(() => tf.variable(tf.zeros(v.shape), false)));
      this.slots.set(name, s);
    }
    return s;
  }

  /**
   * Applies one update. `grads` by variable name (a variable without a gradient is skipped, as
   * PyTorch skips parameters whose .grad is None); each gradient is disposed once used.
   * `lrScale` multiplies the configured learning rate (the schedule).
   */
  apply(grads: tf.NamedTensorMap, lrScale = 1): void {
    this.t += 1;
    const lr = this.config.lr * lrScale;
    for (const { name, variable: v } of this.params) {
      const g = grads[v.name];
      if (!g) continue;
      const s = this.slotsFor(name, v);
      tf.tidy(() => {
        const [p1, s1] = this.rule.update(v, g, s, this.config, lr, this.t);
        v.assign(p1);
        s1.forEach((x, i) => s[i]!.assign(x));
      });
      g.dispose();
    }
  }

  /** Slot values by `<variable>/<slot>` and the step count (for checkpoints). */
  async state(): Promise<{ t: number; slots: Map<string, SlotValue> }> {
    const slots = new Map<string, SlotValue>();
    const names = this.rule.slots(this.config);
    for (const [param, vs] of this.slots) {
      for (const [i, s] of vs.entries()) slots.set(`${param}/${names[i]}`, { shape: [...s.shape], data: (await s.data()) as Float32Array });
    }
    return { t: this.t, slots };
  }

  loadState(state: { t: number; slots: ReadonlyMap<string, SlotValue> }): void {
    this.t = state.t;
    const names = this.rule.slots(this.config);
    for (const { name, variable: v } of this.params) {
      const vals = names.map((n) => state.slots.get(`${name}/${n}`));
      if (vals.every((x) => x === undefined)) continue; // never updated (no gradient yet)
      const s = this.slotsFor(name, v);
      vals.forEach((x, i) => {
        if (!x) throw new Error(`optimizer state has no slot ${name}/${names[i]}`);
        if (x.shape.join() !== v.shape.join()) throw new Error(`optimizer slot ${name}/${names[i]}: shape [${x.shape}] ≠ [${v.shape}]`);
        tf.tidy(() => s[i]!.assign(tf.tensor(x.data, x.shape, "float32")));
      });
    }
  }

  dispose(): void {
    for (const vs of this.slots.values()) for (const s of vs) s.dispose();
    this.slots.clear();
  }
}

/** Learning-rate multiplier for an epoch (0-based) — see src/compiler/tables.ts SCHEDULES for the formulas. */
export function lrMultiplier(schedule: { kind: string; after?: number; every?: number; gamma?: number }, epoch: number, epochs: number): number {
  switch (schedule.kind) {
    case "constant":
      return 1;
    case "linear_decay": {
      const after = schedule.after ?? 0;
      return 1 - Math.max(0, epoch + 1 - after) / (epochs - after + 1);
    }
    case "step":
      return (schedule.gamma ?? 0.1) ** Math.floor(epoch / (schedule.every ?? 1));
    case "cosine":
      return 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs));
    default:
      throw new Error(`internal: unknown schedule '${schedule.kind}'`);
  }
}
