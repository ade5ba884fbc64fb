/**
 * The exported net's graph and weights: `model.json` (the net's nodes as the IR has them, and a
 * manifest of the weights: name, shape, byte offset) and `weights.bin` (every parameter the net
 * uses, little-endian float16 or float32, in the IR's order, fetched once by the runtime).
 */
import type { IrNet } from "../ir/schema.js";
import type { HostTensor } from "../io/tensor.js";
import { toHalfBytes } from "./half.js";

export type WeightsDtype = "float16" | "float32";

/** What model.json holds; the exported runtime (runtime_js.ts) reads it. */
export interface WebManifest {
  format: "gancc-web-1";
  net: string;
  dtype: WeightsDtype;
  weightsFile: string;
  nodes: { id: string; op: string; attrs: IrNet["nodes"][number]["attrs"]; inputs: string[]; params: string[] }[];
  weights: { name: string; shape: number[]; offset: number }[];
}

/** A net's parameters cannot be found in the weights; the message names them. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

export function packWeights(net: IrNet, weights: ReadonlyMap<string, HostTensor>, dtype: WeightsDtype): { manifest: WebManifest; bin: Uint8Array } {
  const missing = net.params.filter((p) => !weights.has(p.name)).map((p) => p.name);
  if (missing.length) throw new ExportError(`the weights lack ${missing.length} parameter(s) of ${net.name}, e.g. ${missing.slice(0, 3).join(", ")}`);
  const parts: Uint8Array[] = [];
  const entries: WebManifest["weights"] = [];
  let offset = 0;
  for (const p of net.params) {
    const t = weights.get(p.name)!;
    if (t.shape.join() !== p.shape.join()) throw new ExportError(`${p.name} has shape [${t.shape}] in the weights, the IR says [${p.shape}]`);
    const bytes = dtype === "float16" ? toHalfBytes(t.data) : new Uint8Array(Float32Array.from(t.data).buffer);
    entries.push({ name: p.name, shape: [...p.shape], offset });
    parts.push(bytes);
    offset += bytes.length;
    // keep every tensor 4-byte aligned (float32 views in other readers)
    const padding = (4 - (offset % 4)) % 4;
    if (padding) {
      parts.push(new Uint8Array(padding));
      offset += padding;
    }
  }
  const bin = new Uint8Array(offset);
  let at = 0;
  for (const b of parts) {
    bin.set(b, at);
    at += b.length;
  }
  const nodes = net.nodes.map((n) => ({ id: n.id, op: n.op, attrs: n.attrs, inputs: n.inputs, params: n.params }));
  return { manifest: { format: "gancc-web-1", net: net.name, dtype, weightsFile: "weights.bin", nodes, weights: entries }, bin };
}
