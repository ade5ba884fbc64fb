/**
 * A model = the IR plus its instantiated nets (and, for training, the training program).
 * This is the runtime's entry point; it reads only the IR.
 */
import * as tf from "@tensorflow/tfjs";
import type { Ir } from "../ir/schema.js";
import { Net } from "./net.js";
import { TrainingProgram, type Batch, type IterationResult, type MemoryOptions } from "./program.js";
import type { HostTensor } from "../io/tensor.js";

export interface ModelOptions {
  /** seed for initial weights (default: the spec's train.seed) */
  seed?: number;
  /** initial values by parameter name (IR names, gancc layout); others are initialised */
  weights?: ReadonlyMap<string, HostTensor>;
  /** instantiate only these nets (default: all) */
  nets?: string[];
  /** how a training step spends memory (program.ts): the backward schedule, gradient checkpointing */
  memory?: MemoryOptions;
}

export class Model {
  readonly nets = new Map<string, Net>();
  private program?: TrainingProgram;
  private readonly memory: MemoryOptions;

  constructor(readonly ir: Ir, opts: ModelOptions = {}) {
    this.memory = opts.memory ?? {};
    const seed = opts.seed ?? ir.train.seed;
    const wanted = opts.nets ?? ir.nets.map((n) => n.name);
    for (const name of wanted) {
      const irNet = ir.nets.find((n) => n.name === name);
      if (!irNet) throw new Error(`the spec has no net \`${name}\` (nets: ${ir.nets.map((n) => n.name).join(", ")})`);
      this.nets.set(name, new Net(irNet, seed));
    }
    if (opts.weights) this.load(opts.weights, { partial: true });
  }

  net(name: string): Net {
    const n = this.nets.get(name);
    if (!n) throw new Error(`no net \`${name}\` in this model (nets: ${[...this.nets.keys()].join(", ")})`);
    return n;
  }

  /** Runs a net in evaluation mode (running batch-norm statistics, no dropout) on NHWC input. */
  run(name: string, x: tf.Tensor, opts: { training?: boolean } = {}): tf.Tensor {
    return tf.tidy(() => this.net(name).forward(x, { training: opts.training ?? false }));
  }

  /** The training program (created on first use: optimizer state, image pools, RNG). */
  trainer(): TrainingProgram {
    this.program ??= new TrainingProgram(this.ir, this.nets, this.ir.train.seed, this.memory);
    return this.program;
  }

  /** One training iteration on a batch (domain → NHWC tensor): returns the loss terms. */
  trainIteration(batch: Batch, lrScale = 1): Promise<IterationResult> {
    return this.trainer().runIteration(batch, lrScale);
  }

  /** One training iteration; returns loss name → term name → value (what typed bindings' `trainStep` expects). */
  async trainStep(batch: Batch, lrScale = 1): Promise<Record<string, Record<string, number>>> {
    return (await this.trainIteration(batch, lrScale)).losses;
  }

  /** Every parameter's current value (gancc names and layout). */
  async read(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for (const n of this.nets.values()) for (const [k, v] of await n.read()) out.set(k, v);
    return out;
  }

  /** Sets parameters by name. Unless `partial`, every parameter of every net must be given. */
  load(values: ReadonlyMap<string, HostTensor>, opts: { partial?: boolean } = {}): void {
    const byNet = new Map<string, Map<string, HostTensor>>();
    for (const [name, v] of values) {
      const net = name.split("/")[0]!;
      if (!this.nets.has(net)) {
        if (opts.partial) continue;
        throw new Error(`weights hold ${name}, but this model has no net \`${net}\``);
      }
      if (!byNet.has(net)) byNet.set(net, new Map());
      byNet.get(net)!.set(name, v);
    }
    if (!opts.partial) {
      for (const n of this.nets.values()) {
        const missing = n.ir.params.filter((p) => !values.has(p.name)).map((p) => p.name);
        if (missing.length) throw new Error(`weights lack ${missing.length} parameter(s) of ${n.name}, e.g. ${missing.slice(0, 3).join(", ")}`);
      }
    }
    for (const [net, vals] of byNet) this.nets.get(net)!.load(vals);
  }

  dispose(): void {
    this.program?.dispose();
    for (const n of this.nets.values()) n.dispose();
    this.nets.clear();
  }
}
