/**
 * Reverse-mode gradients that release memory as the backward pass goes.
 *
 * `tf.variableGrads` records the forward pass on tfjs's tape, then walks the tape backward inside
 * one `tf.tidy`: every tensor a kernel saved for its gradient and every intermediate gradient stays
 * alive until the whole backward pass has ended, so the peak is the forward's saved tensors *plus*
 * a gradient for nearly every one of them (measured: the peak of a CycleGAN generator step is
 * reached at the very end of the backward pass). This walks the same tape in the same order with
 * the same gradient functions — so the gradients are bit-identical — but frees each node's saved
 * tensors right after its gradient ran, and each intermediate gradient as soon as the node that
 * produced the tensor has consumed it (a tensor has one producer, and every consumer comes later
 * on the tape, so by then nothing else needs it). The peak becomes the forward's saved tensors plus
 * the gradients on the current frontier, as in PyTorch's autograd.
 *
 * It reads tfjs's engine internals (the tape, its nodes' `saved` lists, start/endTape), which are
 * not public API: the tfjs version is pinned (4.22.0) and test/runtime/backprop.test.ts compares
 * the result with `tf.variableGrads` on every backend, so a tfjs upgrade that changes them fails
 * there first.
 */
import * as tf from "@tensorflow/tfjs";

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

const engine = () => tf.engine() as unknown as EngineInternals;

/**
 * Gradients of `f()` (a scalar, or any tensor with its upstream gradient `dy`) with respect to `xs`
 * (variables or other tensors), or null for an x that `f` does not depend on. The caller owns
 * `value` and the gradients. Must not be called while a gradient is being recorded (it is not for
 * higher-order gradients); it may be called from a gradient function during a backward pass.
 */
export function gradsReleasing<T extends tf.Tensor>(f: () => T, xs: readonly tf.Tensor[], dy?: tf.Tensor): { value: T; grads: (tf.Tensor | null)[] } {
  const e = engine();
  if (e.state.gradientDepth !== 0) throw new Error("internal: gradsReleasing inside another gradient recording");
  // a gradient function may call this (a recomputed segment) while tfjs's own backward pass still
  // needs its tape at the end: record on a fresh tape and put the outer one back
  const outer = e.state.activeTape;
  e.state.activeTape = null;
  let y: T;
  let tape: TapeNode[];
  try {
    y = e.scopedRun(() => e.startTape(), () => e.endTape(), () => e.tidy("forward", f));
    tape = e.state.activeTape ?? [];
  } finally {
    e.state.activeTape = outer;
  }
  if (!(y instanceof tf.Tensor)) throw new Error("internal: gradsReleasing: f must return a tensor");
  const { nodes, inputsOf } = onPath(tape, xs, y);
  // saved tensors of nodes off the path are never needed
  const keep = new Set(nodes);
  for (const n of tape) if (!keep.has(n)) releaseSaved(n);

  /** tensor id → its accumulated gradient; a handle may sit under several ids (an identity gradient) */
  const grad = new Map<number, tf.Tensor>();
  const refs = new Map<tf.Tensor, number>();
  const hold = (id: number, t: tf.Tensor) => {
    grad.set(id, t);
    refs.set(t, (refs.get(t) ?? 0) + 1);
  };
  const drop = (id: number) => {
    const t = grad.get(id);
    if (!t) return;
    grad.delete(id);
    const r = refs.get(t)! - 1;
    if (r > 0) refs.set(t, r);
    else (refs.delete(t), t.dispose());
  };
  const isX = new Set(xs.map((x) => x.id));
  hold(y.id, dy ? dy.clone() : tf.onesLike(y));
  try {
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const names = inputsOf.get(node)!;
      const dys = node.outputs.map((o) => grad.get(o.id) ?? null);
      // one tidy per node: zeros for missing dys and the gradient functions' temporaries go with it
      const dxs = tf.tidy(() => {
        const fns = node.gradient!(dys);
        return names.map((name) => {
          if (!(name in fns)) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
          return fns[name]!();
        });
      });
      names.forEach((name, k) => {
        const x = node.inputs[name]!;
        const dx = dxs[k]!;
        if (dx.dtype !== "float32") throw new Error(`internal: the gradient of ${node.kernelName}'s input ${name} is ${dx.dtype}`);
        const cur = grad.get(x.id);
        if (!cur) return hold(x.id, dx);
        const sum = tf.add(cur, dx);
        drop(x.id);
        if (!refs.has(dx) && !dxs.slice(k + 1).includes(dx)) dx.dispose();
        hold(x.id, sum);
      });
      // this node produced its outputs: their gradients and its saved tensors are used up
      for (const o of node.outputs) if (!isX.has(o.id)) drop(o.id);
      releaseSaved(node);
    }
    const grads = xs.map((x) => {
      const g = grad.get(x.id);
      if (!g) return null;
      // hand the caller its own handle (the same buffer may also sit under another id)
      const out = refs.get(g)! > 1 ? g.clone() : g;
      if (out === g) (grad.delete(x.id), refs.delete(g));
      return out;
    });
    return { value: y, grads };
  } finally {
    for (const id of [...grad.keys()]) drop(id);
    for (const n of nodes) releaseSaved(n);
  }
}

function releaseSaved(node: TapeNode): void {
  for (const t of node.saved ?? []) t.dispose();
  if (node.saved) node.saved.length = 0;
}

/**
 * The tape's nodes on a path from some x to y (tape order), with each node's inputs that depend
 * on an x (only those get a gradient).
 */
function onPath(tape: TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): { nodes: TapeNode[]; inputsOf: Map<TapeNode, string[]> } {
  const fromX = new Set(xs.map((x) => x.id));
  const reached = new Set<TapeNode>();
  for (const n of tape) {
    if (Object.values(n.inputs).some((t) => fromX.has(t.id))) {
      reached.add(n);
      for (const o of n.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set([y.id]);
  const leads = new Set<TapeNode>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const n = tape[i]!;
    if (n.outputs.some((o) => toY.has(o.id))) {
      leads.add(n);
      for (const t of Object.values(n.inputs)) toY.add(t.id);
    }
  }
  const nodes = tape.filter((n) => reached.has(n) && leads.has(n));
  const inputsOf = new Map(nodes.map((n) => [n, Object.keys(n.inputs).filter((k) => fromX.has(n.inputs[k]!.id))]));
  return { nodes, inputsOf };
}
