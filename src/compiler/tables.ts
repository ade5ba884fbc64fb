// Tables of the things a spec names besides layers: optimizers, LR schedules,
// initialisers, and the settings of the `data` and `train` sections.
// Each entry is its whole definition; adding one = one entry (+ runtime + test).
import { DATA_LAYOUTS, DIRECTIONS, type InitKind, type OptimizerKind, PREPROCESS_MODES, type ScheduleKind } from "../ir/enums.js";
import type { ArgSpec } from "./values.js";

/** A table entry: what it does and the arguments it takes. */
type Entry = { doc: string; args: ArgSpec[] };

// keyed exactly by the IR's OPTIMIZER_KINDS (src/ir/schema.ts): `satisfies` rejects a missing or extra entry
export const OPTIMIZERS: Record<string, Entry> = {
  adam: {
    doc: "Adam with PyTorch semantics (bias correction, eps added to the bias-corrected sqrt(v))",
    args: [
      { name: "lr", type: "number", above: 0 },
      { name: "beta1", type: "number", min: 0, default: 0.9 },
      { name: "beta2", type: "number", min: 0, default: 0.999 },
      { name: "eps", type: "number", above: 0, default: 1e-8 },
      { name: "weight_decay", type: "number", min: 0, default: 0 },
    ],
  },
  rmsprop: {
    doc: "RMSProp with PyTorch semantics: v = decay·v + (1−decay)·g², p −= lr·g / (sqrt(v) + eps), v starts at 0",
    args: [
      { name: "lr", type: "number", above: 0 },
      { name: "decay", type: "number", min: 0, default: 0.99, doc: "PyTorch's alpha, TensorFlow's decay/rho" },
      { name: "eps", type: "number", above: 0, default: 1e-8 },
      { name: "momentum", type: "number", min: 0, default: 0 },
    ],
  },
  sgd: {
    doc: "SGD with optional momentum (PyTorch semantics)",
    args: [
      { name: "lr", type: "number", above: 0 },
      { name: "momentum", type: "number", min: 0, default: 0 },
      { name: "weight_decay", type: "number", min: 0, default: 0 },
    ],
  },
} satisfies Record<OptimizerKind, Entry>;

// keyed exactly by the IR's SCHEDULE_KINDS
export const SCHEDULES: Record<string, Entry> = {
  constant: { doc: "the initial learning rate throughout", args: [] },
  linear_decay: {
    doc: "constant for `after` epochs, then linear decay to 0 at the last epoch: lr·(1 − max(0, epoch + 1 − after) / (epochs − after + 1)) (the official CycleGAN formula, epoch counted from 0)",
    args: [{ name: "after", type: "int", min: 0 }],
  },
  step: {
    doc: "multiply the learning rate by `gamma` every `every` epochs",
    args: [
      { name: "every", type: "int", min: 1 },
      { name: "gamma", type: "number", above: 0, default: 0.1 },
    ],
  },
  cosine: { doc: "cosine annealing from lr to 0 over all epochs", args: [] },
} satisfies Record<ScheduleKind, Entry>;

// keyed exactly by the IR's INIT_KINDS
export const INITS: Record<string, Entry> = {
  normal: {
    doc: "weights ~ N(mean, std²), biases 0 (the official CycleGAN/pix2pix default is std 0.02); norm scales ~ N(1, std²)",
    args: [
      { name: "mean", type: "number", default: 0 },
      { name: "std", type: "number", min: 0, default: 0.02 },
    ],
  },
  xavier: { doc: "Glorot normal with the given gain", args: [{ name: "gain", type: "number", min: 0, default: 0.02 }] },
  kaiming: { doc: "He normal (fan in, a = 0)", args: [{ name: "gain", type: "number", min: 0, default: 1 }] },
  orthogonal: { doc: "orthogonal matrix scaled by gain", args: [{ name: "gain", type: "number", min: 0, default: 0.02 }] },
  uniform: { doc: "weights ~ U(−scale, scale)", args: [{ name: "scale", type: "number", min: 0, default: 0.05 }] },
} satisfies Record<InitKind, Entry>;

export const DATA_SETTINGS: Record<string, ArgSpec> = {
  layout: {
    name: "layout",
    type: { enum: DATA_LAYOUTS },
    default: { sym: "unpaired" },
    doc: "unpaired: trainA/ trainB/ folders; paired_ab: side-by-side AB images in train/; paired_folders: trainA/ trainB/ matched by file name",
  },
  preprocess: {
    name: "preprocess",
    type: { enum: PREPROCESS_MODES },
    default: { sym: "resize_and_crop" },
  },
  load: { name: "load", type: "int", min: 1, doc: "size images are resized to before cropping (default: crop)" },
  crop: { name: "crop", type: "int", min: 1, default: 256, doc: "training size (H = W)" },
  flip: { name: "flip", type: "bool", default: true, doc: "random horizontal flip" },
  direction: { name: "direction", type: { enum: DIRECTIONS }, default: { sym: "AtoB" }, doc: "which half of a paired image is the input" },
};

export const TRAIN_SETTINGS: Record<string, ArgSpec> = {
  epochs: { name: "epochs", type: "int", min: 1, default: 200 },
  batch: { name: "batch", type: "int", min: 1, default: 1 },
  seed: { name: "seed", type: "int", min: 0, default: 0 },
  schedule: { name: "schedule", type: "any", doc: "constant, linear_decay(after: N), step(every: N, gamma: g), cosine" },
  pool: { name: "pool", type: "any", doc: "image pool size (0 = off), or pool(size: N, swap: p)" },
  n_critic: { name: "n_critic", type: "int", min: 1, default: 1, doc: "critic steps per iteration (for steps that update only discriminators)" },
};

// looked up by user-written names: no Object.prototype members (`toString`, `__proto__`, …)
Object.setPrototypeOf(OPTIMIZERS, null);
Object.setPrototypeOf(SCHEDULES, null);
Object.setPrototypeOf(INITS, null);
Object.setPrototypeOf(DATA_SETTINGS, null);
Object.setPrototypeOf(TRAIN_SETTINGS, null);
