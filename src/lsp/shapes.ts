// What the checker computed for a layer, a block call or a net: shapes and parameter counts
// at the training size, read from the IR nodes and block calls made from the layer's span.
import type * as A from "../dsl/ast.js";
import type { IrNet, IrNode } from "../ir/schema.js";
import { spanKey } from "./convert.js";
import type { Model } from "./model.js";

export interface LayerUse {
  net: string;
  /** the path of the node (op) or of the call's nodes (block), e.g. "G_AB/res3" */
  path: string;
  input: number[] | null;
  output: number[] | null;
  /** trainable parameters */
  params: number;
  /** the IR node, for an op */
  node?: IrNode;
}

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const NODE_INDEX = new WeakMap<IrNet, Map<string, IrNode>>();
function nodeById(net: IrNet, id: string): IrNode | undefined {
  let m = NODE_INDEX.get(net);
  if (!m) {
    m = new Map(net.nodes.map((n) => [n.id, n]));
    NODE_INDEX.set(net, m);
  }
  return m.get(id);
}

const PARAM_INDEX = new WeakMap<IrNet, Map<string, { size: number; trainable: boolean }>>();
function paramsOf(net: IrNet): Map<string, { size: number; trainable: boolean }> {
  let m = PARAM_INDEX.get(net);
  if (!m) {
    m = new Map(net.params.map((p) => [p.name, { size: prod(p.shape), trainable: p.trainable }]));
    PARAM_INDEX.set(net, m);
  }
  return m;
}

/** Trainable parameters of the nodes under `path/`. */
function paramsUnder(net: IrNet, path: string): number {
  const prefix = `${path}/`;
  let n = 0;
  for (const p of net.params) if (p.trainable && p.name.startsWith(prefix)) n += prod(p.shape);
  return n;
}

/** Every use of a layer in the nets: one per net instance, repeat iteration and block call. */
export function layerUses(m: Model, layer: A.Layer): LayerUse[] {
  const key = spanKey(layer.span);
  if (layer.kind === "LayerCall" && m.isBlock(layer.callee.name)) {
    return (m.callsBySpan.get(key) ?? []).flatMap((c) => {
      const netName = c.path.split("/")[0]!;
      const net = m.netsByName.get(netName);
      return net ? [{ net: netName, path: c.path, input: c.input, output: c.output, params: paramsUnder(net, c.path) }] : [];
    });
  }
  return (m.nodesBySpan.get(key) ?? []).map(({ net, node }) => {
    const ps = paramsOf(net);
    let params = 0;
    for (const p of node.params) {
      const q = ps.get(p);
      if (q?.trainable) params += q.size;
    }
    const input = node.inputs[0] ? (nodeById(net, node.inputs[0])?.shape ?? null) : null;
    return { net: net.name, path: node.id, input, output: node.shape.length ? node.shape : null, params, node };
  });
}

export interface UseGroup {
  paths: string[];
  input: number[] | null;
  output: number[] | null;
  params: number;
}

/** Uses with the same shapes and parameter count, together. */
export function groupUses(uses: LayerUse[]): UseGroup[] {
  const groups = new Map<string, UseGroup>();
  for (const u of uses) {
    const k = JSON.stringify([u.input, u.output, u.params]);
    const g = groups.get(k);
    if (g) g.paths.push(u.path);
    else groups.set(k, { paths: [u.path], input: u.input, output: u.output, params: u.params });
  }
  return [...groups.values()];
}
