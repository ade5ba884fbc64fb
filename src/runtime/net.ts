/**
 * One instantiated network: its parameters as `tf.Variable`s keyed by the IR's stable names
 * (`G_AB/res3/conv1/kernel`), and a forward pass over the IR's node list.
 *
 * Layout at this boundary: input and output tensors are NHWC float32 ([N, H, W, C]) for images
 * and [N, F] for vectors, values as the spec's data section produces them ([-1, 1] images).
 *
 * Memory: the node list is in topological order and each node's last consumer is known, so an
 * intermediate is released as soon as its last consumer has run. Tensors the backward pass
 * needs are kept by tfjs's gradient tape itself (it holds its own reference), so releasing early
 * frees exactly the activations nothing needs any more.
 */
import type { HostTensor } from "../io/tensor.js";
import * as tf from "@tensorflow/tfjs";
import type { IrNet, IrNode } from "../ir/schema.js";
import { initialValue } from "./init.js";
import { FUSIBLE, LOWERINGS, type FusedActivation, type ForwardContext, type Lowering } from "./layers.js";
import { Rng } from "./rng.js";
import { gradsReleasing } from "./backprop.js";
import { residualBlocks } from "../compiler/residual.js";

interface PlanStep {
  node: IrNode;
  lower: Lowering;
  /** the id this step's output is stored under (the fused activation's id when fused) */
  outId: string;
  fuse?: FusedActivation;
  /** ids (other than the net input) whose last use is this step */
  release: string[];
}

/** "residual": gradient checkpointing of residual blocks (see `Net.forward`). */
export type RecomputeMode = "none" | "residual";

export interface ForwardOptions {
  training?: boolean;
  /** dropout masks (default: a fixed stream seeded from the net name) */
  rng?: Rng;
  /** in training, update state such as batch-norm running statistics (default true) */
  updateState?: boolean;
  /**
   * "residual": run each residual block as one tape node that keeps only the block's input; its
   * gradient recomputes the block (same dropout masks, no second running-statistics update) and
   * differentiates it there. Trades one more forward pass of the blocks for their activations.
   */
  recompute?: RecomputeMode;
}

export class Net {
  readonly name: string;
  readonly ir: IrNet;
  /** every parameter (trainable and state), by stable name */
  readonly variables = new Map<string, tf.Variable>();
  private readonly plan: PlanStep[];
  /** residual blocks as plan ranges: first body step → the add's step and the block's input id */
  private readonly segments: Map<number, Segment>;
  private readonly outputId: string;
  private readonly defaultRng: Rng;

  /**
   * @param seed the run's seed: initial values are drawn from it (see init.ts)
   * @param values optional initial values by parameter name (e.g. loaded weights); must cover
   *   every parameter when given
   */
  constructor(net: IrNet, seed: number, values?: ReadonlyMap<string, Float32Array>) {
    this.name = net.name;
    this.ir = net;
    this.defaultRng = Rng.derive(seed, `${net.name}/dropout`);
    for (const p of net.params) {
      let data = values?.get(p.name);
      if (values && !data) throw new Error(`internal: no value given for parameter ${p.name}`);
      data ??= initialValue(p, net.init, seed);
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (data.length !== size) throw new Error(`internal: ${p.name} has ${data.length} values, its shape [${p.shape}] needs ${size}`);
      // tfjs names variables globally: suffix an instance number so models can coexist
      // in tf.tidy: the initial tensor is released, so the first assign frees its buffer
      const v = tf.tidy(() => tf.variable(tf.tensor(data, p.shape, "float32"), p.trainable, `${p.name}#${instance}`));
      this.variables.set(p.name, v);
    }
    this.plan = buildPlan(net.nodes);
    this.segments = residualSegments(this.plan);
    instance += 1;
    this.outputId = this.plan[this.plan.length - 1]!.outId;
  }

  /** Trainable variables in forward order (the optimizer's list). */
  trainableVariables(): tf.Variable[] {
    return this.trainableParams().map((p) => p.variable);
  }

  /** Trainable parameters in forward order with their stable names. */
  trainableParams(): { name: string; variable: tf.Variable }[] {
    return this.ir.params.filter((p) => p.trainable).map((p) => ({ name: p.name, variable: this.variables.get(p.name)! }));
  }

  /** Number of residual blocks that `recompute: "residual"` checkpoints. */
  residualBlocks(): number {
    return this.segments.size;
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    return this.trainableVariables().reduce((a, v) => a + v.size, 0);
  }

  /** Runs the net. The caller owns `x`; the result is a new tensor (release it or run inside tf.tidy). */
  forward(x: tf.Tensor, opts: ForwardOptions = {}): tf.Tensor {
    const inShape = this.ir.input.shape;
    if (x.rank !== inShape.length + 1 || x.shape[x.rank - 1] !== inShape[inShape.length - 1]) {
      throw new Error(
        `${this.name} takes [N, ${inShape.slice(0, -1).map(() => "·").join(", ")}${inShape.length > 1 ? ", " : ""}${inShape[inShape.length - 1]}] (NHWC), got [${x.shape.join(", ")}]`,
      );
    }
    const ctx: ForwardContext = {
      training: opts.training ?? false,
      rng: opts.rng ?? this.defaultRng,
      assignState: (name, value) => {
        if (opts.updateState === false) {
          value.dispose();
          return;
        }
        const v = this.variables.get(name)!;
        v.assign(value);
        value.dispose();
      },
    };
    const values = new Map<string, tf.Tensor>();
    // a lowering may hand back one of its inputs (dropout in evaluation, a zero pad): count the
    // ids that hold each tensor and free it only when the last one is released
    const holders = new Map<tf.Tensor, number>();
    const hold = (id: string, t: tf.Tensor) => {
      values.set(id, t);
      holders.set(t, (holders.get(t) ?? 0) + 1);
    };
    const inputId = this.ir.nodes[0]!.id;
    hold(inputId, x);
    holders.set(x, Infinity); // the caller's
    const checkpoint = opts.recompute === "residual";
    for (let i = 0; i < this.plan.length; i++) {
      const s = this.plan[i]!;
      if (s.node.op === "input") continue;
      const seg = checkpoint ? this.segments.get(i) : undefined;
      if (seg) {
        const end = seg.end;
        hold(this.plan[end]!.outId, this.recomputed(i, seg, values.get(seg.skip)!, ctx));
        // the block's releases: only ids from outside it (its input) are in `values`
        for (let k = i; k <= end; k++) for (const id of this.plan[k]!.release) if (values.has(id)) release(id);
        i = end;
        continue;
      }
      hold(s.outId, this.runStep(s, (id) => values.get(id)!, ctx));
      for (const id of s.release) release(id);
    }
    return values.get(this.outputId)!;

    function release(id: string) {
      const t = values.get(id)!;
      values.delete(id);
      const n = holders.get(t)! - 1;
      holders.set(t, n);
      if (n === 0) t.dispose();
    }
  }

  private runStep(s: PlanStep, read: (id: string) => tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const xs = s.node.inputs.map(read);
    const ps = s.node.params.map((n) => this.variables.get(n)!);
    return s.lower(xs, s.node, ps, ctx, s.fuse);
  }

  /** Plan steps start..end on `x` in a local scope; only their output survives. */
  private runSegment(start: number, { end, skip }: Segment, x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const local = new Map<string, tf.Tensor>([[skip, x]]);
    for (let k = start; k <= end; k++) {
      const s = this.plan[k]!;
      local.set(s.outId, this.runStep(s, (id) => local.get(id)!, ctx));
    }
    return local.get(this.plan[end]!.outId)!;
  }

  /**
   * A residual block as one custom-gradient node: the forward pass runs without a tape and keeps
   * only `x`; the gradient recomputes the block from `x` with the dropout stream as it was and
   * without state updates, and differentiates it (backprop.ts, releasing as it goes).
   */
  private recomputed(start: number, seg: Segment, x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    const names = [...new Set(this.plan.slice(start, seg.end + 1).flatMap((p) => p.node.params))];
    const vars = names.map((n) => this.variables.get(n)!).filter((v) => v.trainable);
    const rngAt = ctx.rng.state();
    const replay: ForwardContext = { training: ctx.training, rng: ctx.rng, assignState: (_n, v) => v.dispose() };
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const xx = args[0] as tf.Tensor;
      save([xx]);
      return {
        value: this.runSegment(start, seg, xx, ctx),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const x0 = saved[0]!;
          replay.rng = Rng.fromState(rngAt);
          const { value, grads } = gradsReleasing(() => this.runSegment(start, seg, x0, replay), [x0, ...vars], dy as tf.Tensor);
          value.dispose();
          return grads.map((g, k) => g ?? tf.zerosLike(k === 0 ? x0 : vars[k - 1]!));
        },
      };
    });
    return op(x, ...vars);
  }

  /** Current values of every parameter (copies), by name. */
  async read(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for (const [name, v] of this.variables) out.set(name, { shape: [...v.shape], data: (await v.data()) as Float32Array });
    return out;
  }

  /** Sets parameters from values by name (shapes must match). */
  load(values: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): void {
    for (const [name, val] of values) {
      const v = this.variables.get(name);
      if (!v) throw new Error(`${this.name} has no parameter ${name}`);
      if (v.shape.join() !== val.shape.join()) throw new Error(`${name}: expected shape [${v.shape}], got [${val.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(val.data, v.shape, "float32")));
    }
  }

  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
  }
}

let instance = 0;

/** A residual block in the plan (src/compiler/residual.ts): first step → this. */
interface Segment {
  end: number;
  /** the block's input id */
  skip: string;
}

function residualSegments(plan: PlanStep[]): Map<number, Segment> {
  const steps = plan.map((p) => ({ id: p.outId, op: p.node.op, inputs: p.node.inputs }));
  return new Map(residualBlocks(steps).map((b) => [b.start, { end: b.end, skip: b.input }]));
}

function buildPlan(nodes: IrNode[]): PlanStep[] {
  const consumers = new Map<string, number[]>();
  nodes.forEach((n, i) => n.inputs.forEach((id) => consumers.set(id, [...(consumers.get(id) ?? []), i])));
  const plan: PlanStep[] = [];
  const skip = new Set<number>();
  const alias = new Map<string, string>(); // fused activation id → conv step's out id (same)
  nodes.forEach((node, i) => {
    if (skip.has(i)) return;
    const lower = LOWERINGS[node.op];
    if (!lower) throw new Error(`internal: no runtime lowering for op '${node.op}' (node ${node.id})`);
    let outId = node.id;
    let fuse: FusedActivation | undefined;
    const cons = consumers.get(node.id) ?? [];
    if (FUSIBLE.has(node.op) && cons.length === 1) {
      const next = nodes[cons[0]!]!;
      if (next.op === "relu" && next.inputs.length === 1) {
        fuse = "relu";
        outId = next.id;
        skip.add(cons[0]!);
        alias.set(node.id, next.id);
      }
    }
    plan.push({ node, lower, outId, fuse, release: [] });
  });
  // last use of each stored id, in plan positions
  const last = new Map<string, number>();
  plan.forEach((s, i) => s.node.inputs.forEach((id) => last.set(alias.get(id) ?? id, i)));
  const outId = plan[plan.length - 1]!.outId;
  for (const [id, i] of last) if (id !== outId) plan[i]!.release.push(id);
  // inputs of a fused conv read the conv's own inputs; nothing reads the conv id itself
  return plan;
}
