// The IR: plain, versioned JSON. The runtime reads only this (never the AST).
// Layout convention: tensors are NHWC inside the runtime; shapes in the IR omit the batch
// dimension: images are [H, W, C], vectors are [F]. Conv kernels are HWIO ([kh, kw, in, out]),
// conv-transpose kernels are HWOI ([kh, kw, out, in]) as tfjs conv2dTranspose expects.
import type { Span } from "../dsl/ast.js";

export const IR_VERSION = 1;

export type Scalar = number | boolean | string;
export type Attrs = Record<string, Scalar | number[]>;

export interface IrSpan {
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

export interface IrParam {
  /** stable path name, e.g. "G_AB/res3/conv1/kernel" */
  name: string;
  shape: number[];
  /** how to initialise: "weight" draws from the net's initialiser; others are constants */
  init: "weight" | "zeros" | "ones" | "norm_weight";
  /** false for state like batch-norm running statistics (saved, not trained) */
  trainable: boolean;
}

export interface IrNode {
  /** stable path name of the node, e.g. "G_AB/res3/conv1" */
  id: string;
  op: string;
  attrs: Attrs;
  /** ids of the input nodes; the first node of a net is its `input` node */
  inputs: string[];
  /** output shape at the declared training size, without batch: [H, W, C] or [F] */
  shape: number[];
  /** names of this node's parameters (keys into IrNet.params) in the op's order */
  params: string[];
  span: IrSpan;
}

export interface IrInit {
  kind: "normal" | "xavier" | "kaiming" | "orthogonal" | "uniform";
  mean?: number;
  std?: number;
  gain?: number;
  scale?: number;
}

export interface SizeRule {
  /** accepted H (= W) sizes: s = min + k * step, k >= 0 (up to the checker's search limit) */
  min: number;
  step: number;
  /** a sentence for humans: "multiples of 4", "multiples of 256", "any size >= 4" */
  text: string;
  /** when the accepted sizes are not an arithmetic progression, the first few */
  irregular?: number[];
}

export interface IrNet {
  name: string;
  network: string;
  args: Record<string, Scalar>;
  input: { kind: "image" | "vector"; channels: number; shape: number[] };
  output: { kind: "image" | "vector"; channels: number; shape: number[] };
  init: IrInit;
  /** which role the checker inferred from the losses */
  role: "generator" | "discriminator" | "other";
  sizes: SizeRule;
  nodes: IrNode[];
  params: IrParam[];
  span: IrSpan;
}

/** A value in the loss graph. Values are shared (CSE) across terms, losses and steps. */
export interface IrValue {
  id: string; // "v0", "v1", ...
  op: string; // "domain" | "apply" | "l1" | "mse" | "bce" | "lsgan" | ... | "const" | "add" | "mul" | ...
  inputs: string[];
  attrs: Attrs;
  /** shape without batch; [] for scalars */
  shape: number[];
  /** the nets this value depends on through non-detached paths */
  grads: string[];
  span: IrSpan;
}

export interface IrLossTerm {
  name: string;
  value: string;
  span: IrSpan;
}

export interface IrLoss {
  name: string;
  terms: IrLossTerm[];
  span: IrSpan;
}

export interface IrOptimizer {
  kind: "adam" | "rmsprop" | "sgd";
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  decay?: number;
  momentum?: number;
  weight_decay?: number;
}

export interface IrStep {
  loss: string;
  updates: string[];
  optimizer: IrOptimizer;
  /** updates per training iteration: the step's own `repeat`, times `n_critic` for a step that updates only critics */
  repeat: number;
  /** after every one of those updates, every trainable parameter of the updated nets (kernels, biases, norm scales and offsets) is clamped to [min, max] */
  clip?: { min: number; max: number };
  span: IrSpan;
}

export interface IrSchedule {
  kind: "constant" | "linear_decay" | "step" | "cosine";
  after?: number;
  every?: number;
  gamma?: number;
}

export interface IrTrain {
  epochs: number;
  batch: number;
  seed: number;
  schedule: IrSchedule;
  pool: { size: number; swap: number };
  steps: IrStep[];
}

export interface IrData {
  layout: "unpaired" | "paired_ab" | "paired_folders";
  domains: { name: string; channels: number }[];
  preprocess: "resize_and_crop" | "crop" | "scale_width" | "scale_width_and_crop" | "resize" | "none";
  load: number;
  crop: number;
  flip: boolean;
  direction: "AtoB" | "BtoA";
}

export interface Ir {
  irVersion: typeof IR_VERSION;
  generator: string;
  spec: {
    name: string;
    file: string;
    sha256: string;
    /** every spec parameter's value after --set overrides */
    params: Record<string, Scalar>;
    overrides: Record<string, Scalar>;
  };
  nets: IrNet[];
  values: IrValue[];
  losses: IrLoss[];
  train: IrTrain;
  data: IrData;
}

export function irSpan(s: Span): IrSpan {
  return { file: s.file, line: s.line, col: s.col, endLine: s.endLine, endCol: s.endCol };
}
