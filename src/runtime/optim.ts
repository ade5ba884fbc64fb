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
 *
 * Two implementations of each rule, same formulas:
 *   - flat (cpu and wasm, the default there; the loops are in ./optim_flat.ts): all slots of all
 *     parameters live in ONE Float32Array outside the backend (on wasm: outside the 4 GiB heap),
 *     and each parameter is updated by one fused loop that reads its value and gradient in place
 *     (the wasm heap itself, no copy), updates its slots in place and writes the new value
 *     straight into a fresh backend buffer — one pass over memory instead of ~12 tensor ops,
 *     allocations and kernel dispatches per variable.  Arithmetic in float64, stored as float32.
 *     On the threaded wasm build (shared heap, threads > 1) the step's loops are spread over
 *     every thread XNNPACK was given (./optim_threads.ts; the slot buffer is then a
 *     SharedArrayBuffer): same loops on element ranges, same bits.
 *   - tensor ops (every other backend, e.g. webgpu, whose data cannot be read synchronously).
 */
import * as tf from "@tensorflow/tfjs";
import type { IrOptimizer } from "../ir/schema.js";
import { heapThreads } from "./heap_pool.js";
import { requireWasmHeap, wasmHeap } from "./kernels/heap_backend.js";
import { FLAT_RULES, type FlatJob, type FlatRule } from "./optim_flat.js";
import { runFlatJobs } from "./optim_threads.js";

export interface SlotValue {
  shape: number[];
  data: Float32Array;
}

interface Rule extends FlatRule {
  /** returns the new parameter value and new slot values (same order as slots) */
  update(p: tf.Tensor, g: tf.Tensor, s: tf.Tensor[], o: IrOptimizer, lr: number, t: number): [tf.Tensor, tf.Tensor[]];
}

/** The tensor-op rules, next to the flat ones of ./optim_flat.ts (shared with the optimizer's worker threads). */
export const OPTIMIZER_RULES: Record<IrOptimizer["kind"], Rule> = {
  adam: {
    ...FLAT_RULES.adam,
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
    ...FLAT_RULES.rmsprop,
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
    ...FLAT_RULES.sgd,
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

/**
 * The heap and thread count when the flat update can run on several threads: the wasm backend
 * is active, its heap is shared (the threaded build of ./wasm_threads.ts) and it has > 1 thread.
 * Asked per update (cheap), so that an optimizer outlives a change of backend.
 */
function threadedHeap(): { memory: WebAssembly.Memory; threads: number } | undefined {
  return tf.getBackend() === "wasm" ? heapThreads(tf.backend()) : undefined;
}

/** Elements per batch of the threaded update (16 MB of new values): see Optimizer.applyThreaded. */
const THREADED_BATCH = 1 << 22;

const tensorInfo = (t: tf.Tensor): tf.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });

/** Backends whose tensors the flat path can read synchronously. */
const FLAT_BACKENDS = new Set(["cpu", "wasm"]);

export interface OptimizerOptions {
  /** flat-buffer updates (default: when the active backend is cpu or wasm); false forces the tensor-op path */
  flat?: boolean;
  /** threaded flat update: parameters are updated in batches of about this many elements (default 4M; see applyThreaded) */
  batchElements?: number;
}

export class Optimizer {
  readonly config: IrOptimizer;
  /** number of updates applied so far (PyTorch's per-parameter `step`; equal for all here) */
  t = 0;
  /** tensor-op path: slot variables by parameter name */
  private readonly slots = new Map<string, tf.Variable[]>();
  private readonly rule: Rule;
  private readonly slotNames: string[];
  /** flat path: every slot of every parameter, parameter k's slot j at offsets[k] + j·size_k */
  private flatSlots?: Float32Array;
  private readonly offsets: number[] = [];
  /** flat path: parameters whose slots exist (updated at least once or loaded) */
  private readonly touched = new Set<string>();
  /** flat-buffer path (decided once, at construction, from the active backend) */
  readonly flat: boolean;
  private readonly batchElements: number;

  /** the parameters it updates: stable name (used for the state's slot names) + variable */
  constructor(config: IrOptimizer, readonly params: { name: string; variable: tf.Variable }[], options: OptimizerOptions = {}) {
    this.config = config;
    const rule = OPTIMIZER_RULES[config.kind];
    if (!rule) throw new Error(`internal: no optimizer rule for '${config.kind}'`);
    this.rule = rule;
    this.slotNames = rule.slots(config);
    this.flat = options.flat ?? FLAT_BACKENDS.has(tf.getBackend());
    this.batchElements = options.batchElements ?? THREADED_BATCH;
    let off = 0;
    for (const { variable } of params) {
      this.offsets.push(off);
      off += variable.size * this.slotNames.length;
    }
  }

  private slotsFor(name: string, v: tf.Variable): tf.Variable[] {
    let s = this.slots.get(name);
    if (!s) {
      // unnamed (tfjs names variables globally; two optimizers may hold slots for one parameter)
      s = this.slotNames.map(() => tf.tidy(() => tf.variable(tf.zeros(v.shape), false)));
      this.slots.set(name, s);
    }
    return s;
  }

  /** The flat slot buffer (allocated on first use; `shared`: in a SharedArrayBuffer, moved there if it was not). */
  private slotBuffer(shared = false): Float32Array {
    if (this.flatSlots == null) {
      const last = this.params.length - 1;
      const total = last < 0 ? 0 : this.offsets[last]! + this.params[last]!.variable.size * this.slotNames.length;
      this.flatSlots = shared ? new Float32Array(new SharedArrayBuffer(4 * total)) : new Float32Array(total);
    } else if (shared && !(this.flatSlots.buffer instanceof SharedArrayBuffer)) {
      const moved = new Float32Array(new SharedArrayBuffer(this.flatSlots.byteLength));
      moved.set(this.flatSlots);
      this.flatSlots = moved;
    }
    return this.flatSlots;
  }

  /** Parameter k's slot arrays (views into the one flat buffer, allocated on first use). */
  private flatSlotsFor(k: number): Float32Array[] {
    this.slotBuffer();
    const size = this.params[k]!.variable.size;
    return this.slotNames.map((_, j) => this.flatSlots!.subarray(this.offsets[k]! + j * size, this.offsets[k]! + (j + 1) * size));
  }

  /**
   * Applies one update. `grads` by variable name (a variable without a gradient is skipped, as
   * PyTorch skips parameters whose .grad is None); each gradient is disposed once used.
   * `lrScale` multiplies the configured learning rate (the schedule).
   */
  apply(grads: tf.NamedTensorMap, lrScale = 1): void {
    this.t += 1;
    const lr = this.config.lr * lrScale;
    const flat = this.flat;
    const heap = flat ? threadedHeap() : undefined;
    if (heap) return this.applyThreaded(grads, lr, heap);
    this.params.forEach(({ name, variable: v }, k) => {
      const g = grads[v.name];
      if (!g) return;
      if (flat) {
        this.applyFlat(k, v, g, lr);
        this.touched.add(name);
      } else {
        const s = this.slotsFor(name, v);
        tf.tidy(() => {
          const [p1, s1] = this.rule.update(v, g, s, this.config, lr, this.t);
          v.assign(p1);
          s1.forEach((x, i) => s[i]!.assign(x));
        });
      }
      g.dispose();
    });
  }

  /**
   * The flat path on several threads, in batches of parameters of about `batchElements` elements:
   * a batch's new-value buffers are allocated first (so the heap does not grow while workers hold
   * views of it), then all its elements are updated at once by ./optim_threads.ts, then the new
   * values are assigned and the gradients disposed. Batches bound the extra heap to one batch's
   * new values (one by one it was one parameter's) at ~40 µs of thread hand-off per batch.
   */
  private applyThreaded(grads: tf.NamedTensorMap, lr: number, heap: { memory: WebAssembly.Memory; threads: number }): void {
    const todo: { k: number; name: string; v: tf.Variable; g: tf.Tensor }[] = [];
    this.params.forEach(({ name, variable: v }, k) => {
      const g = grads[v.name];
      if (!g) return;
      if (g.dtype !== "float32" || v.size === 0) {
        this.applyFlat(k, v, g, lr);
        this.touched.add(name);
        g.dispose();
      } else todo.push({ k, name, v, g });
    });
    const slots = this.slotBuffer(true).buffer as SharedArrayBuffer;
    for (let i = 0; i < todo.length; ) {
      let j = i;
      for (let n = 0; j < todo.length && (j === i || n + todo[j]!.v.size <= this.batchElements); j++) n += todo[j]!.v.size;
      this.applyBatch(todo.slice(i, j), lr, heap, slots);
      i = j;
    }
  }

  private applyBatch(batch: { k: number; name: string; v: tf.Variable; g: tf.Tensor }[], lr: number, heap: { memory: WebAssembly.Memory; threads: number }, slots: SharedArrayBuffer): void {
    const backend = requireWasmHeap(tf.backend(), "threaded optimizer update");
    const outs = batch.map(({ v }) => backend.makeOutput([...v.shape], "float32"));
    // offsets only now: after the last allocation of the batch
    const at = (t: tf.TensorInfo): number => backend.typedArrayFromHeap(t).byteOffset / 4;
    const jobs: FlatJob[] = batch.map(({ k, v, g }, i) => ({ p: at(tensorInfo(v)), g: at(tensorInfo(g)), out: at(outs[i]!), slot: this.offsets[k]!, size: v.size }));
    try {
      runFlatJobs(jobs, heap.threads, { config: this.config, lr, t: this.t, memory: heap.memory, slots });
    } catch (e) {
      for (const out of outs) tf.engine().makeTensorFromTensorInfo(out).dispose();
      throw e;
    }
    batch.forEach(({ name, v, g }, i) => {
      const p1 = tf.engine().makeTensorFromTensorInfo(outs[i]!);
      v.assign(p1);
      p1.dispose();
      this.touched.add(name);
      g.dispose();
    });
  }

  /** One parameter, flat path: one fused loop; the new value goes into a new buffer (a new weight version). */
  private applyFlat(k: number, v: tf.Variable, g: tf.Tensor, lr: number): void {
    const slots = this.flatSlotsFor(k);
    const backend = wasmHeap(tf.backend());
    if (backend != null && g.dtype === "float32") {
      const outInfo = backend.makeOutput([...v.shape], "float32");
      // views after the allocation (growing the heap detaches earlier views)
      const pv = backend.typedArrayFromHeap(tensorInfo(v));
      const gv = backend.typedArrayFromHeap(tensorInfo(g));
      this.rule.flat(pv, gv, slots, backend.typedArrayFromHeap(outInfo), this.config, lr, this.t);
      const p1 = tf.engine().makeTensorFromTensorInfo(outInfo);
      v.assign(p1);
      p1.dispose();
      return;
    }
    const out = new Float32Array(v.size);
    this.rule.flat(v.dataSync() as Float32Array, g.dataSync() as Float32Array, slots, out, this.config, lr, this.t);
    const p1 = tf.tensor(out, v.shape, "float32");
    v.assign(p1);
    p1.dispose();
  }

  /** Bytes of the flat slot buffer, which lives outside the backend (0 until the first flat update). */
  get hostSlotBytes(): number {
    return this.flatSlots?.byteLength ?? 0;
  }

  /** Slot values by `<variable>/<slot>` and the step count (for checkpoints). */
  async state(): Promise<{ t: number; slots: Map<string, SlotValue> }> {
    const slots = new Map<string, SlotValue>();
    const names = this.slotNames;
    for (const [k, { name, variable }] of this.params.entries()) {
      if (!this.touched.has(name)) continue;
      const flat = this.flatSlotsFor(k);
      flat.forEach((s, i) => slots.set(`${name}/${names[i]}`, { shape: [...variable.shape], data: s.slice() }));
    }
    for (const [param, vs] of this.slots) {
      for (const [i, s] of vs.entries()) slots.set(`${param}/${names[i]}`, { shape: [...s.shape], data: (await s.data()) as Float32Array });
    }
    return { t: this.t, slots };
  }

  /** Restores `state()`; the slots go where the current backend's updates will read them. */
  loadState(state: { t: number; slots: ReadonlyMap<string, SlotValue> }): void {
    this.t = state.t;
    const names = this.slotNames;
    const flat = this.flat;
    for (const [k, { name, variable: v }] of this.params.entries()) {
      const vals = names.map((n) => state.slots.get(`${name}/${n}`));
      if (vals.every((x) => x === undefined)) continue; // never updated (no gradient yet)
      vals.forEach((x, i) => {
        if (!x) throw new Error(`optimizer state has no slot ${name}/${names[i]}`);
        if (x.shape.join() !== v.shape.join()) throw new Error(`optimizer slot ${name}/${names[i]}: shape [${x.shape}] ≠ [${v.shape}]`);
      });
      if (flat) {
        this.flatSlotsFor(k).forEach((s, i) => s.set(vals[i]!.data));
        this.touched.add(name);
      } else {
        const s = this.slotsFor(name, v);
        vals.forEach((x, i) => tf.tidy(() => s[i]!.assign(tf.tensor(x!.data, x!.shape, "float32"))));
      }
    }
  }

  dispose(): void {
    for (const vs of this.slots.values()) for (const s of vs) s.dispose();
    this.slots.clear();
    this.flatSlots = undefined;
    this.touched.clear();
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
