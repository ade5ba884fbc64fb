/**
 * One training iteration of the IR's training program: the steps in order, each repeated
 * `repeat` times, each differentiating its loss with respect to the variables of the nets it
 * updates and applying its optimizer, then its constraint (weight clipping).
 *
 * Values of the loss graph are shared within an iteration: a step reuses a value an earlier
 * step (or an earlier repeat) computed when the value does not depend on any net the step
 * updates — so the discriminator step judges the fakes the generator step made before its
 * update, as the official CycleGAN code does, and a critic repeated n_critic times sees the
 * same fakes. A value that does depend on the updated nets is recomputed with the nets'
 * current weights. `pool(x)` queries the image pool once per iteration and is detached.
 *
 * A value recomputed in a later step while none of the nets it depends on has been updated since
 * (pix2pix's G(A): computed for the discriminator step, needed with gradients by the generator
 * step) is a replay: it draws the same dropout masks (each net application's masks come from a
 * stream derived from the iteration and the value) and does not update batch-norm running
 * statistics a second time, so it equals the earlier value exactly, as the official code's single
 * forward pass does.
 *
 * Every value is released when the iteration ends; tensors inside each step live in tf.tidy
 * scopes, so `tf.memory().numTensors` is the same after every iteration.
 *
 * Memory (MemoryOptions): a step's loss is differentiated one independent part at a time
 * (`lossParts`), each on its own tape whose saved tensors and gradients are freed as its backward
 * pass goes (backprop.ts), and the parts' gradients are summed; `gancc summary` predicts the peak
 * of this schedule (src/compiler/memory_estimate.ts).
 */
import type { HostTensor } from "../io/tensor.js";
import * as tf from "@tensorflow/tfjs";
import type { Ir, IrStep, IrValue } from "../ir/schema.js";
import { VALUE_OPS } from "./criteria.js";
import type { Net, RecomputeMode } from "./net.js";
import { Optimizer } from "./optim.js";
import { ImagePool, type PoolState } from "./pool.js";
import { Rng, type RngState } from "./rng.js";
import { gradsReleasing } from "./backprop.js";
import { lossParts } from "../compiler/memory_estimate.js";

export type Batch = Record<string, tf.Tensor>;

export interface IterationResult {
  /** loss name → term name → value (the last repeat of the step that evaluates the loss) */
  losses: Record<string, Record<string, number>>;
}

export class NonFiniteLossError extends Error {
  constructor(readonly loss: string, readonly term: string, readonly value: number) {
    super(`loss term \`${term}\` of loss \`${loss}\` is ${value}`);
    this.name = "NonFiniteLossError";
  }
}

/** The wasm backend's heap (4 GiB at most) ran out: tfjs reports it as a memory-access fault. */
export class OutOfMemoryError extends Error {
  constructor(cause: Error) {
    super(
      `the ${tf.getBackend()} backend ran out of memory (the wasm heap is limited to 4 GiB; tfjs reports this as "${cause.message}"). ` +
        `Train at a smaller size or width (--set size=…, --set ngf=…), or install @tensorflow/tfjs-node, which has no such limit.`,
    );
    this.name = "OutOfMemoryError";
  }
}

const OOM = /memory access out of bounds|out of memory|Cannot enlarge memory|Aborted\(OOM\)/i;

/**
 * How a training step spends memory (the results are the same within float32 summation order).
 * - `backward`: "parts" (default) differentiates each independent part of the loss on its own tape
 *   and frees saved tensors and gradients as the backward pass goes (backprop.ts); "tape" records the
 *   whole loss on one tape and runs tf.variableGrads, which keeps everything until the end (the
 *   schedule before; kept for comparison in tests and bench/memory.ts).
 * - `recompute`: "residual" keeps only each residual block's input during the forward pass and
 *   recomputes the block in the backward pass (gradient checkpointing, net.ts); "none" (default).
 */
export interface MemoryOptions {
  backward?: "parts" | "tape";
  recompute?: RecomputeMode;
}

export interface ProgramState {
  rng: RngState;
  optimizers: { t: number; slots: Map<string, HostTensor> }[];
  pools: Record<string, PoolState>;
}

export class TrainingProgram {
  readonly optimizers: Optimizer[];
  readonly pools = new Map<string, ImagePool>();
  rng: Rng;
  private readonly values: Map<string, IrValue>;
  /** updates applied to each net (to tell a replayed value from a stale one) */
  private readonly updates = new Map<string, number>();

  constructor(
    readonly ir: Ir,
    readonly nets: ReadonlyMap<string, Net>,
    seed = ir.train.seed,
    readonly options: MemoryOptions = {},
  ) {
    this.values = new Map(ir.values.map((v) => [v.id, v]));
    this.rng = Rng.derive(seed, "train");
    this.optimizers = ir.train.steps.map((s) => new Optimizer(s.optimizer, s.updates.flatMap((n) => this.net(n).trainableParams())));
    for (const v of ir.values) if (v.op === "pool") this.pools.set(v.id, new ImagePool(ir.train.pool.size, ir.train.pool.swap));
  }

  private net(name: string): Net {
    const n = this.nets.get(name);
    if (!n) throw new Error(`internal: net ${name} is not instantiated`);
    return n;
  }

  /**
   * Runs one iteration on a batch (domain name → NHWC tensor; the caller keeps ownership).
   * `lrScale` multiplies every optimizer's learning rate (the schedule's factor).
   * Throws NonFiniteLossError (after the iteration's updates) if a loss term is NaN or ±∞.
   */
  async runIteration(batch: Batch, lrScale = 1): Promise<IterationResult> {
    for (const d of this.ir.data.domains) {
      if (!batch[d.name]) throw new Error(`runIteration: the batch has no tensor for domain ${d.name}`);
    }
    const cache = new Map<string, tf.Tensor>();
    /** per computed value: the update count of every net when it was computed */
    const computedAt = new Map<string, string>();
    const iterSeed = this.rng.u32();
    const ctx: IterationContext = { cache, computedAt, iterSeed };
    const termTensors: { loss: string; term: string; t: tf.Tensor }[] = [];
    try {
      for (const [si, step] of this.ir.train.steps.entries()) {
        for (let r = 0; r < step.repeat; r++) {
          const last = r === step.repeat - 1;
          const kept = await this.runStep(step, this.optimizers[si]!, batch, ctx, lrScale);
          if (last) termTensors.push(...kept);
          else kept.forEach((k) => k.t.dispose());
        }
      }
      const losses: Record<string, Record<string, number>> = {};
      const stacked = termTensors.length ? tf.stack(termTensors.map((k) => k.t)) : undefined;
      const data = stacked ? await stacked.data() : [];
      stacked?.dispose();
      let bad: NonFiniteLossError | undefined;
      termTensors.forEach((k, i) => {
        (losses[k.loss] ??= {})[k.term] = data[i]!;
        if (!Number.isFinite(data[i]!) && !bad) bad = new NonFiniteLossError(k.loss, k.term, data[i]!);
      });
      if (bad) throw bad;
      return { losses };
    } catch (e) {
      if (e instanceof Error && tf.getBackend() === "wasm" && OOM.test(e.message)) throw new OutOfMemoryError(e);
      throw e;
    } finally {
      termTensors.forEach((k) => k.t.dispose());
      for (const t of cache.values()) t.dispose();
    }
  }

  /** the nets' update counts, as a key: values computed under the same key saw the same weights */
  private versions(nets: readonly string[]): string {
    return nets.map((n) => `${n}:${this.updates.get(n) ?? 0}`).join(",");
  }

  private async runStep(step: IrStep, opt: Optimizer, batch: Batch, ictx: IterationContext, lrScale: number) {
    const { cache, computedAt } = ictx;
    const updates = new Set(step.updates);
    const loss = this.ir.losses.find((l) => l.name === step.loss)!;
    const reusable = (v: IrValue) => cache.has(v.id) && !v.grads.some((n) => updates.has(n));
    // values this step evaluates afresh (cached ones that depend on an updated net are stale)
    const fresh = new Set<string>();
    const visit = (id: string) => {
      const v = this.values.get(id)!;
      if (fresh.has(id) || reusable(v) || v.op === "domain") return;
      fresh.add(id);
      if (v.op !== "pool") v.inputs.forEach(visit);
    };
    loss.terms.forEach((t) => visit(t.value));
    for (const id of fresh) {
      const old = cache.get(id);
      if (old) (old.dispose(), cache.delete(id));
    }
    const get = (id: string): tf.Tensor => {
      const v = this.values.get(id)!;
      if (v.op === "domain") return batch[v.attrs.domain as string]!;
      const c = cache.get(id);
      if (c) return c;
      const xs = v.inputs.map(get);
      let y: tf.Tensor;
      const version = this.versions(v.grads);
      const replay = computedAt.get(id) === version;
      computedAt.set(id, version);
      if (v.op === "apply") {
        const rng = Rng.derive(ictx.iterSeed, id);
        y = this.net(v.attrs.net as string).forward(xs[0]!, { training: true, rng, updateState: !replay, recompute: this.options.recompute });
      }
      else {
        const f = VALUE_OPS[v.op];
        if (!f) throw new Error(`internal: no runtime lowering for loss op '${v.op}' (${v.id})`);
        y = f(xs, v);
      }
      cache.set(id, tf.keep(y));
      return y;
    };
    // pools first (they read tensor data, which a gradient function cannot wait for): their
    // inputs are evaluated without a tape since pool() detaches anyway
    for (const id of [...fresh].filter((i) => this.values.get(i)!.op === "pool").sort(byNumber)) {
      const v = this.values.get(id)!;
      const x = tf.tidy(() => get(v.inputs[0]!));
      cache.set(id, tf.keep(await this.pools.get(id)!.query(x, this.rng)));
    }
    const vars = opt.params.map((p) => p.variable);
    const kept: { loss: string; term: string; t: tf.Tensor }[] = [];
    /** the sum of some of the loss's terms (by index), keeping each term's value for the report */
    const sumOf = (idx: number[]) => () => {
      const terms = idx.map((i) => get(loss.terms[i]!.value));
      terms.forEach((t, k) => kept.push({ loss: loss.name, term: loss.terms[idx[k]!]!.name, t: tf.keep(t.clone()) }));
      return (terms.length === 1 ? terms[0]!.clone() : tf.addN(terms)) as tf.Scalar;
    };
    let grads: tf.NamedTensorMap;
    if (this.options.backward === "tape") {
      const r = tf.variableGrads(sumOf(loss.terms.map((_, i) => i)), vars);
      r.value.dispose();
      grads = r.grads;
    } else {
      grads = {};
      try {
        for (const part of lossParts(this.ir, step)) {
          const r = gradsReleasing(sumOf(part), vars);
          r.value.dispose();
          r.grads.forEach((g, i) => {
            if (!g) return;
            const name = vars[i]!.name;
            const cur = grads[name];
            grads[name] = cur ? tf.tidy(() => tf.add(cur, g)) : g;
            if (cur) (cur.dispose(), g.dispose());
          });
        }
      } catch (e) {
        tf.dispose(Object.values(grads));
        throw e;
      }
      if (vars.every((v) => !grads[v.name])) throw new Error(`internal: loss ${loss.name} does not depend on the variables of ${step.updates.join(", ")}`);
    }
    opt.apply(grads, lrScale);
    for (const n of step.updates) this.updates.set(n, (this.updates.get(n) ?? 0) + 1);
    if (step.clip) {
      const { min, max } = step.clip;
      for (const v of vars) tf.tidy(() => v.assign(tf.clipByValue(v, min, max)));
    }
    // in the loss's term order (the parts evaluate them grouped), as reports list them
    const order = new Map(loss.terms.map((t, i) => [t.name, i]));
    return kept.sort((a, b) => order.get(a.term)! - order.get(b.term)!);
  }

  async state(): Promise<ProgramState> {
    const pools: Record<string, PoolState> = {};
    for (const [id, p] of this.pools) pools[id] = p.state();
    return { rng: this.rng.state(), optimizers: await Promise.all(this.optimizers.map((o) => o.state())), pools };
  }

  loadState(s: ProgramState): void {
    this.rng = Rng.fromState(s.rng);
    if (s.optimizers.length !== this.optimizers.length) {
      throw new Error(`the saved state has ${s.optimizers.length} optimizers, this program has ${this.optimizers.length}`);
    }
    s.optimizers.forEach((o, i) => this.optimizers[i]!.loadState(o));
    for (const [id, p] of this.pools) if (s.pools[id]) p.load(s.pools[id]!);
  }

  dispose(): void {
    this.optimizers.forEach((o) => o.dispose());
  }
}

interface IterationContext {
  cache: Map<string, tf.Tensor>;
  computedAt: Map<string, string>;
  iterSeed: number;
}

const byNumber = (a: string, b: string) => Number(a.slice(1)) - Number(b.slice(1));
