/**
 * The memory schedule of one training iteration as gancc's runtime runs it, and a prediction of
 * its high-water mark of tensor memory (`gancc summary`; compared with the measured peak by
 * test/runtime/memory.test.ts and bench/memory.ts).
 *
 * The schedule (src/runtime/program.ts, backprop.ts, net.ts): each step's loss is split into
 * independent parts (`lossParts`); each part's forward pass is recorded on its own tape, and its
 * backward pass frees each activation once the node that made it has been differentiated and each
 * gradient once it has been passed on; the parts' weight gradients are summed. So the peak is
 * reached inside one part's backward pass, holding: the weights, the rearranged copies of conv kernels
 * the gradient kernels cache for the step, the values of the iteration so far, the gradients summed over the step's earlier parts, the part's activations
 * not yet released, its weight gradients so far, and the gradients at the backward frontier.
 *
 * The prediction walks that schedule over the IR, node by node, with every tensor's size from its
 * shape: a node's output is kept from the forward pass until the node's own gradient has run
 * (every op here keeps its output or hands it to a consumer that keeps it as its input); a node's
 * backward holds the gradient of its output, the gradients of its inputs, the gradients of its
 * weights, and for a convolution one input-sized working copy (the gradient kernels transpose
 * their input). With `recompute: residual`, a residual block keeps only its input in the forward
 * pass and re-creates its activations when its backward starts.
 */
import type { Ir, IrNet, IrStep } from "../ir/schema.js";
import { residualBlocks } from "./residual.js";
import { inputGradViaGemm } from "./wasm_kernel_routes.js";

export type RecomputeMode = "none" | "residual";

export interface StepPeak {
  /** predicted peak bytes of live tensor buffers during one iteration (after the first) */
  bytes: number;
  /** of which weights (trainable and state): alive all the time */
  weights: number;
  /**
   * optimizer slots (Adam's m and v, …), not in `bytes`: on cpu and wasm the optimizer keeps them
   * in one host array outside the backend (optim.ts), on other backends they are tensors too
   */
  optimizerState: number;
  /** the step and the loss terms of the part where the peak is reached */
  step: string;
  part: string[];
}

/**
 * The loss's terms grouped into independent parts (term indices, in term order): two terms share a
 * part when they share a value that depends on a net the step updates (that value's tape links
 * them). The runtime differentiates each part on its own tape: CycleGAN's generator loss splits into
 * {gan_A, cycle_A}, {gan_B, cycle_B}, {idt_A}, {idt_B}.
 */
export function lossParts(ir: Ir, step: IrStep): number[][] {
  const loss = ir.losses.find((l) => l.name === step.loss)!;
  const values = new Map(ir.values.map((v) => [v.id, v]));
  const updates = new Set(step.updates);
  const taped = (id: string) => {
    const v = values.get(id)!;
    return v.op !== "pool" && v.op !== "domain" && v.grads.some((n) => updates.has(n));
  };
  const parent = loss.terms.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const owner = new Map<string, number>();
  loss.terms.forEach((t, i) => {
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id) || !taped(id)) return;
      seen.add(id);
      const o = owner.get(id);
      if (o == null) owner.set(id, i);
      else parent[find(i)] = find(o);
      values.get(id)!.inputs.forEach(visit);
    };
    visit(t.value);
  });
  const parts = new Map<number, number[]>();
  loss.terms.forEach((_, i) => {
    const r = find(i);
    if (!parts.has(r)) parts.set(r, []);
    parts.get(r)!.push(i);
  });
  return [...parts.values()].sort((a, b) => a[0]! - b[0]!);
}

const F32 = 4;
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** optimizer slots per trainable value (optim.ts): Adam m and v; RMSProp v (+ momentum); SGD momentum */
function slotsPer(step: IrStep): number {
  const o = step.optimizer as { kind: string; momentum?: number };
  if (o.kind === "adam") return 2;
  if (o.kind === "rmsprop") return 1 + ((o.momentum ?? 0) > 0 ? 1 : 0);
  return (o.momentum ?? 0) > 0 ? 1 : 0;
}

interface NodeMem {
  out: number;
  inputs: number[];
  /** bytes of the node's trainable weights (= of their gradients) */
  weights: number;
  conv: boolean;
}

interface NetMem {
  nodes: NodeMem[];
  /** node index → end index of the residual block starting there */
  blocks: Map<number, number>;
  trainable: number;
  all: number;
  /** bytes of the kernels of its convs and conv-transposes whose input gradient caches a rearranged copy (wasm_kernel_routes.ts) */
  convKernels: number;
}

function netMem(net: IrNet, batch: number): NetMem {
  const params = new Map(net.params.map((p) => [p.name, p]));
  const index = new Map(net.nodes.map((n, i) => [n.id, i]));
  const nodes = net.nodes.map((n) => ({
    out: n.op === "input" ? 0 : prod(n.shape) * batch * F32,
    inputs: n.inputs.map((id) => index.get(id)!),
    weights: n.params.map((p) => params.get(p)!).filter((p) => p.trainable).reduce((a, p) => a + prod(p.shape) * F32, 0),
    conv: n.op === "conv" || n.op === "conv_transpose",
  }));
  const blocks = new Map(residualBlocks(net.nodes.map((n) => ({ id: n.id, op: n.op, inputs: n.inputs }))).map((b) => [b.start, b.end]));
  const trainable = net.params.filter((p) => p.trainable).reduce((a, p) => a + prod(p.shape) * F32, 0);
  const all = net.params.reduce((a, p) => a + prod(p.shape) * F32, 0);
  // a cached copy exists where the input gradient (a conv-transpose's forward) takes the conv route;
  // dy is a conv's output, a conv-transpose's input
  const cachesKernel = (n: IrNet["nodes"][number]): boolean => {
    const input = net.nodes[index.get(n.inputs[0]!)!]!.shape;
    const [dy, dx] = n.op === "conv" ? [n.shape, input] : [input, n.shape];
    return !inputGradViaGemm(batch * dy[0]! * dy[1]!, dx[2]!, dy[2]!);
  };
  const convKernels = net.nodes
    .filter((n) => (n.op === "conv" || n.op === "conv_transpose") && cachesKernel(n))
    .reduce((a, n) => a + prod(params.get(n.params[0]!)!.shape) * F32, 0);
  return { nodes, blocks, trainable, all, convKernels };
}

/** Predicted peak tensor memory of one training iteration (see the file comment). */
export function stepPeak(ir: Ir, recompute: RecomputeMode): StepPeak {
  const batch = ir.train.batch;
  const nets = new Map(ir.nets.map((n) => [n.name, netMem(n, batch)]));
  const values = new Map(ir.values.map((v) => [v.id, v]));
  const weights = [...nets.values()].reduce((a, n) => a + n.all, 0);
  let optimizerState = 0;
  for (const step of ir.train.steps) optimizerState += slotsPer(step) * step.updates.reduce((a, n) => a + nets.get(n)!.trainable, 0);
  // the batch and every value of the iteration (kept until it ends; images, small next to activations)
  const kept = ir.values.filter((v) => v.shape.length > 0).reduce((a, v) => a + prod(v.shape) * batch * F32, 0);
  const base = weights + kept;

  let best: StepPeak = { bytes: base, weights, optimizerState, step: ir.train.steps[0]?.loss ?? "", part: [] };
  for (const step of ir.train.steps) {
    const loss = ir.losses.find((l) => l.name === step.loss)!;
    const updates = new Set(step.updates);
    const taped = (id: string) => {
      const v = values.get(id)!;
      return v.op !== "pool" && v.op !== "domain" && v.grads.some((n) => updates.has(n));
    };
    /** nets whose gradients the earlier parts of this step have summed */
    const summed = new Set<string>();
    // the input gradient of a conv (and a conv-transpose's forward pass) convolves with a rearranged
    // copy of its kernel, cached per weight version for the step (src/runtime/kernels/filter_cache.ts)
    const applied = new Set(ir.values.filter((v) => v.op === "apply" && taped(v.id)).map((v) => v.attrs.net as string));
    const filterCache = [...applied].reduce((a, n) => a + nets.get(n)!.convKernels, 0);
    for (const part of lossParts(ir, step)) {
      // the part's net applications in evaluation order (depth first, inputs before the value)
      const apps: string[] = [];
      const seen = new Set<string>();
      const visit = (id: string) => {
        if (seen.has(id) || !taped(id)) return;
        seen.add(id);
        const v = values.get(id)!;
        v.inputs.forEach(visit);
        if (v.op === "apply") apps.push(v.attrs.net as string);
      };
      part.forEach((i) => visit(loss.terms[i]!.value));
      let live = base + filterCache + [...summed].reduce((a, n) => a + nets.get(n)!.trainable, 0);
      // forward: every application keeps its activations (with recompute, not a block's insides)
      for (const a of apps) live += keptBytes(nets.get(a)!, recompute);
      let peak = live;
      const partGrads = new Set<string>();
      // backward, the last application first; the gradient of each application's output arrives from downstream
      for (const a of [...apps].reverse()) {
        const r = backward(nets.get(a)!, recompute, live, updates.has(a) && !partGrads.has(a));
        peak = Math.max(peak, r.peak);
        live = r.live;
        if (updates.has(a)) partGrads.add(a);
      }
      if (peak > best.bytes) best = { bytes: peak, weights, optimizerState, step: step.loss, part: part.map((i) => loss.terms[i]!.name) };
      partGrads.forEach((n) => summed.add(n));
    }
  }
  return best;
}

function keptBytes(net: NetMem, recompute: RecomputeMode): number {
  const inside = recompute === "residual" ? insideBlocks(net) : new Set<number>();
  return net.nodes.reduce((a, n, i) => a + (inside.has(i) ? 0 : n.out), 0);
}

function insideBlocks(net: NetMem): Set<number> {
  const inside = new Set<number>();
  for (const [start, end] of net.blocks) for (let i = start; i < end; i++) inside.add(i);
  return inside;
}

/**
 * One application's backward pass, starting with `live` bytes (its activations included). Weight
 * gradients are new when `newGrads` (the first application of this net in the part; later ones add
 * into them). Returns the peak and the live bytes after it (activations released, weight gradients held).
 */
function backward(net: NetMem, recompute: RecomputeMode, live: number, newGrads: boolean): { peak: number; live: number } {
  const n = net.nodes.length;
  const blockEnds = new Map([...net.blocks].map(([s, e]) => [e, s]));
  /** gradient bytes held per node output */
  const grad = new Array<number>(n).fill(0);
  grad[n - 1] = net.nodes[n - 1]!.out;
  live += grad[n - 1]!;
  let peak = live;
  for (let i = n - 1; i >= 0; i--) {
    const node = net.nodes[i]!;
    if (blockEnds.has(i) && recompute === "residual") {
      // the block's gradient re-creates its activations from its input
      for (let k = blockEnds.get(i)!; k < i; k++) live += net.nodes[k]!.out;
    }
    if (node.inputs.length === 0) {
      live -= grad[i]!;
      break;
    }
    const dxs = node.inputs.reduce((a, k) => a + net.nodes[k]!.out, 0);
    const dw = newGrads ? node.weights : 0;
    const work = node.conv ? net.nodes[node.inputs[0]!]!.out : 0;
    peak = Math.max(peak, live + dxs + dw + work);
    // inputs that already hold a gradient add into it (same size); others get a new one
    for (const k of node.inputs) {
      if (grad[k]! === 0) {
        grad[k] = net.nodes[k]!.out;
        live += grad[k]!;
      }
    }
    live += dw;
    live -= grad[i]! + node.out;
    grad[i] = 0;
  }
  return { peak, live };
}
