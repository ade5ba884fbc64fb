/**
 * The PyTorch lowering of every layer op in the compiler's ops table (src/compiler/ops.ts OPS):
 * one entry per op, each giving the nn.Module constructor that nets.py writes for a node. The
 * modules compute what src/runtime/layers.ts computes on NCHW tensors (torch's own layout); the
 * parameters are converted at the boundary (see ./params.ts), so an entry is the plain
 * torch.nn layer a PyTorch user would write. test/torch/tables.test.ts fails when this table and
 * OPS have different keys.
 *
 * `nn.` is torch.nn; `L.` is python/gancc_torch/layers.py (the few layers torch.nn lacks in the
 * needed form: batch norm without the `num_batches_tracked` counter, which gancc's weights files
 * do not carry; global average pooling kept 4-D; concat / add nodes).
 */
import type { IrNode } from "../ir/schema.js";

export interface LayerContext {
  /** channels (or features) of the node's first input */
  inChannels: number;
  /** the activation may overwrite its input (nets_py.ts decides: nothing else reads it) */
  inplace?: boolean;
}

export type TorchLayer = (node: IrNode, ctx: LayerContext) => string;

const n = (node: IrNode, k: string): number => {
  const v = node.attrs[k];
  if (typeof v !== "number") throw new Error(`internal: node ${node.id} (${node.op}) has no numeric attribute ${k}`);
  return v;
};
const py = (v: number | boolean): string => (typeof v === "boolean" ? (v ? "True" : "False") : pyNumber(v));

/** A number as a Python literal (JS `1e-8` is valid Python; `Infinity` is not). */
export function pyNumber(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? "float('inf')" : v < 0 ? "float('-inf')" : "float('nan')";
  return String(v);
}

/** keyword arguments that differ from the PyTorch default, in order */
function kw(pairs: [string, number | boolean | string, number | boolean | string][]): string {
  return pairs
    .filter(([, v, d]) => v !== d)
    .map(([k, v]) => `, ${k}=${typeof v === "string" ? JSON.stringify(v) : py(v)}`)
    .join("");
}

const pad = (cls: string): TorchLayer => (node) => `nn.${cls}(${n(node, "pad")})`;
const pool = (cls: string): TorchLayer => (node) => {
  const k = n(node, "kernel");
  return `nn.${cls}(${k}${kw([
    ["stride", n(node, "stride") || k, k],
    ["padding", n(node, "pad"), 0],
  ])})`;
};

export const TORCH_LAYERS: Record<string, TorchLayer> = {
  conv: (node, { inChannels }) =>
    `nn.Conv2d(${inChannels}, ${n(node, "filters")}, ${n(node, "kernel")}${kw([
      ["stride", n(node, "stride"), 1],
      ["padding", n(node, "pad"), 0],
      ["dilation", n(node, "dilation"), 1],
      ["bias", node.attrs.bias === true, true],
      ["padding_mode", String(node.attrs.pad_mode ?? "zeros"), "zeros"],
    ])})`,
  conv_transpose: (node, { inChannels }) =>
    `nn.ConvTranspose2d(${inChannels}, ${n(node, "filters")}, ${n(node, "kernel")}${kw([
      ["stride", n(node, "stride"), 1],
      ["padding", n(node, "pad"), 0],
      ["output_padding", n(node, "output_pad"), 0],
      ["bias", node.attrs.bias === true, true],
      ["dilation", n(node, "dilation"), 1],
    ])})`,
  reflect_pad: pad("ReflectionPad2d"),
  replicate_pad: pad("ReplicationPad2d"),
  zero_pad: pad("ZeroPad2d"),
  instance_norm: (node, { inChannels }) =>
    `nn.InstanceNorm2d(${inChannels}${kw([
      ["eps", n(node, "eps"), 1e-5],
      ["affine", node.attrs.affine === true, false],
    ])})`,
  batch_norm: (node, { inChannels }) =>
    `L.BatchNorm2d(${inChannels}${kw([
      ["eps", n(node, "eps"), 1e-5],
      ["momentum", n(node, "momentum"), 0.1],
      ["affine", node.attrs.affine === true, true],
    ])})`,
  relu: (_node, { inplace }) => (inplace ? "nn.ReLU(inplace=True)" : "nn.ReLU()"),
  leaky_relu: (node, { inplace }) => `nn.LeakyReLU(${py(n(node, "slope"))}${inplace ? ", inplace=True" : ""})`,
  tanh: () => "nn.Tanh()",
  sigmoid: () => "nn.Sigmoid()",
  dropout: (node) => `nn.Dropout(${py(n(node, "p"))})`,
  upsample: (node) =>
    node.attrs.mode === "bilinear"
      ? `nn.Upsample(scale_factor=${n(node, "scale")}, mode="bilinear", align_corners=False)`
      : `nn.Upsample(scale_factor=${n(node, "scale")}, mode="nearest")`,
  avg_pool: pool("AvgPool2d"),
  max_pool: pool("MaxPool2d"),
  global_avg_pool: () => "L.GlobalAvgPool()",
  flatten: () => "nn.Flatten()",
  linear: (node, { inChannels }) => `nn.Linear(${inChannels}, ${n(node, "features")}${kw([["bias", node.attrs.bias === true, true]])})`,
  concat: () => "L.Concat()",
  add: () => "L.Add()",
};

Object.setPrototypeOf(TORCH_LAYERS, null);
