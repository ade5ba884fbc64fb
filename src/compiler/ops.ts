// The ops table: one entry per layer op. An entry gives the op's arguments (with
// defaults), its shape rule, its spatial-size rule, its parameters and its cost.
// The runtime lowering of each op lives in src/runtime/layers.ts (LOWERINGS) under the same
// name. Adding an op = one entry here + one lowering there + its case in the PyTorch fixture
// (test/parity/make_fixtures.py); test/runtime/layers.test.ts checks the two tables agree.
import type { Attrs, ParamInit, TensorKind } from "../ir/schema.js";
import type { ArgSpec } from "./values.js";

export type Shape = { kind: "image"; h: number; w: number; c: number } | { kind: "vector"; f: number };

export function showShape(s: Shape): string {
  return s.kind === "image" ? `${s.h}×${s.w}×${s.c}` : `[${s.f}]`;
}
export function shapeArray(s: Shape): number[] {
  return s.kind === "image" ? [s.h, s.w, s.c] : [s.f];
}
export function channels(s: Shape): number {
  return s.kind === "image" ? s.c : s.f;
}

export interface ShapeError {
  error: string;
  code: "GAN3001" | "GAN3003" | "GAN3004" | "GAN3006" | "GAN3007" | "GAN3009";
  hint?: string;
}
export function isShapeError(x: unknown): x is ShapeError {
  return typeof x === "object" && x !== null && "error" in x;
}

export interface ParamSpec {
  /** last path component: kernel, bias, gamma, beta, moving_mean, moving_variance */
  name: string;
  shape: number[];
  init: ParamInit;
  trainable: boolean;
}

export interface OpDef {
  doc: string;
  args: readonly ArgSpec[];
  /** the last argument takes any number of positional values (concat) */
  variadic?: boolean;
  /** what the op takes as its main input */
  input: TensorKind;
  /** output shape; `extra` are the shapes of tensor arguments (concat/add) */
  infer(x: Shape, a: Attrs, extra: Shape[]): Shape | ShapeError;
  /** output H (= W) for input H, or null if that size is not accepted; default: unchanged */
  spatial?(s: number, a: Attrs): number | null;
  params?(x: Shape, a: Attrs): ParamSpec[];
  /** multiply-accumulates for one sample */
  macs?(x: Shape, out: Shape, a: Attrs): number;
}

const num = (a: Attrs, k: string) => a[k] as number;

function img(x: Shape, c: number, h: number, w: number): Shape {
  return { kind: "image", c, h, w };
}
function convOut(s: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((s + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}
function tconvOut(s: number, k: number, stride: number, pad: number, outPad: number, dil: number): number {
  return (s - 1) * stride - 2 * pad + dil * (k - 1) + outPad + 1;
}
function tooSmall(what: string, s: number): ShapeError {
  return { code: "GAN3006", error: `${what} would make the feature map ${s}×${s}`, hint: "use a larger input size or fewer downsampling layers" };
}

const elementwise: Pick<OpDef, "input" | "infer"> = { input: "image", infer: (x) => x };
const activation = (doc: string, args: ArgSpec[] = []): OpDef => ({
  doc,
  args,
  input: "image",
  infer: (x) => x,
});

const padOp = (doc: string, reflect: boolean): OpDef => ({
  doc,
  args: [{ name: "pad", type: "int", min: 0, doc: "pixels added on every side" }],
  input: "image",
  infer(x, a) {
    if (x.kind !== "image") return { code: "GAN3007", error: "padding needs an image" };
    const p = num(a, "pad");
    if (reflect && (p >= x.h || p >= x.w)) {
      return {
        code: "GAN3009",
        error: `reflection padding of ${p} needs a feature map larger than ${p}×${p}, found ${x.h}×${x.w}`,
        hint: "reflection can't mirror more pixels than the map has; use zero_pad, or a larger input",
      };
    }
    return img(x, x.c, x.h + 2 * p, x.w + 2 * p);
  },
  spatial: (s, a) => (reflect && num(a, "pad") >= s ? null : s + 2 * num(a, "pad")),
});

const poolArgs: ArgSpec[] = [
  { name: "kernel", type: "int", min: 1 },
  { name: "stride", type: "int", min: 0, default: 0, doc: "0 means the kernel size" },
  { name: "pad", type: "int", min: 0, default: 0 },
];
const poolOp = (doc: string): OpDef => ({
  doc,
  args: poolArgs,
  input: "image",
  infer(x, a) {
    if (x.kind !== "image") return { code: "GAN3007", error: "pooling needs an image" };
    const k = num(a, "kernel");
    const st = num(a, "stride") || k;
    const h = convOut(x.h, k, st, num(a, "pad"), 1);
    const w = convOut(x.w, k, st, num(a, "pad"), 1);
    if (h < 1 || w < 1) return tooSmall("this pooling", Math.min(h, w));
    return img(x, x.c, h, w);
  },
  spatial(s, a) {
    const k = num(a, "kernel");
    const o = convOut(s, k, num(a, "stride") || k, num(a, "pad"), 1);
    return o >= 1 ? o : null;
  },
});

export const OPS: Record<string, OpDef> = {
  conv: {
    doc: "2-D convolution (PyTorch Conv2d). Kernel HWIO.",
    args: [
      { name: "filters", type: "int", min: 1, doc: "output channels" },
      { name: "kernel", type: "int", min: 1, doc: "kernel size (square)" },
      { name: "stride", type: "int", min: 1, default: 1 },
      { name: "pad", type: "int", min: 0, default: 0, doc: "padding on every side" },
      { name: "pad_mode", type: { enum: ["zeros", "reflect", "replicate"] }, default: { sym: "zeros" } },
      { name: "dilation", type: "int", min: 1, default: 1 },
      { name: "bias", type: "bool", default: true },
    ],
    input: "image",
    infer(x, a) {
      if (x.kind !== "image") return { code: "GAN3007", error: "conv needs an image, found a vector" };
      const [k, st, p, d] = [num(a, "kernel"), num(a, "stride"), num(a, "pad"), num(a, "dilation")];
      const h = convOut(x.h, k, st, p, d);
      const w = convOut(x.w, k, st, p, d);
      if (h < 1 || w < 1) return tooSmall(`a ${k}×${k} conv with stride ${st} and pad ${p} on ${x.h}×${x.w}`, Math.min(h, w));
      return img(x, num(a, "filters"), h, w);
    },
    spatial(s, a) {
      const o = convOut(s, num(a, "kernel"), num(a, "stride"), num(a, "pad"), num(a, "dilation"));
      if (a.pad_mode === "reflect" && num(a, "pad") >= s) return null;
      return o >= 1 ? o : null;
    },
    params(x, a) {
      const k = num(a, "kernel");
      const ps: ParamSpec[] = [{ name: "kernel", shape: [k, k, channels(x), num(a, "filters")], init: "weight", trainable: true }];
      if (a.bias) ps.push({ name: "bias", shape: [num(a, "filters")], init: "zeros", trainable: true });
      return ps;
    },
    macs: (x, out, a) => num(a, "kernel") ** 2 * channels(x) * channels(out) * (out.kind === "image" ? out.h * out.w : 1),
  },
  conv_transpose: {
    doc: "2-D transposed convolution (PyTorch ConvTranspose2d). Kernel HWOI.",
    args: [
      { name: "filters", type: "int", min: 1, doc: "output channels" },
      { name: "kernel", type: "int", min: 1 },
      { name: "stride", type: "int", min: 1, default: 1 },
      { name: "pad", type: "int", min: 0, default: 0 },
      { name: "output_pad", type: "int", min: 0, default: 0, doc: "extra rows/cols on one side (PyTorch output_padding)" },
      { name: "dilation", type: "int", min: 1, default: 1 },
      { name: "bias", type: "bool", default: true },
    ],
    input: "image",
    infer(x, a) {
      if (x.kind !== "image") return { code: "GAN3007", error: "conv_transpose needs an image, found a vector" };
      const [k, st, p, op, d] = [num(a, "kernel"), num(a, "stride"), num(a, "pad"), num(a, "output_pad"), num(a, "dilation")];
      if (op >= st && op >= d) {
        return { code: "GAN3006", error: `output_pad ${op} must be smaller than the stride ${st}`, hint: "PyTorch requires output_padding < stride" };
      }
      const h = tconvOut(x.h, k, st, p, op, d);
      const w = tconvOut(x.w, k, st, p, op, d);
      if (h < 1 || w < 1) return tooSmall("this conv_transpose", Math.min(h, w));
      return img(x, num(a, "filters"), h, w);
    },
    spatial(s, a) {
      const o = tconvOut(s, num(a, "kernel"), num(a, "stride"), num(a, "pad"), num(a, "output_pad"), num(a, "dilation"));
      return o >= 1 ? o : null;
    },
    params(x, a) {
      const k = num(a, "kernel");
      const ps: ParamSpec[] = [{ name: "kernel", shape: [k, k, num(a, "filters"), channels(x)], init: "weight", trainable: true }];
      if (a.bias) ps.push({ name: "bias", shape: [num(a, "filters")], init: "zeros", trainable: true });
      return ps;
    },
    macs: (x, _out, a) => num(a, "kernel") ** 2 * channels(x) * num(a, "filters") * (x.kind === "image" ? x.h * x.w : 1),
  },
  reflect_pad: padOp("Reflection padding (PyTorch ReflectionPad2d).", true),
  replicate_pad: padOp("Edge padding (PyTorch ReplicationPad2d).", false),
  zero_pad: padOp("Zero padding (PyTorch ZeroPad2d).", false),
  instance_norm: {
    doc: "Instance normalisation over H×W per sample and channel (PyTorch InstanceNorm2d, no running stats).",
    args: [
      { name: "affine", type: "bool", default: false, doc: "learn a per-channel scale and offset" },
      { name: "eps", type: "number", above: 0, default: 1e-5 },
    ],
    ...elementwise,
    params: (x, a) =>
      a.affine
        ? [
            { name: "gamma", shape: [channels(x)], init: "norm_weight", trainable: true },
            { name: "beta", shape: [channels(x)], init: "zeros", trainable: true },
          ]
        : [],
  },
  batch_norm: {
    doc: "Batch normalisation (PyTorch BatchNorm2d): batch statistics in training, running statistics in evaluation.",
    args: [
      { name: "affine", type: "bool", default: true },
      { name: "eps", type: "number", above: 0, default: 1e-5 },
      { name: "momentum", type: "number", min: 0, default: 0.1, doc: "running-statistics update factor (PyTorch convention)" },
    ],
    ...elementwise,
    params(x, a) {
      const c = channels(x);
      const ps: ParamSpec[] = [];
      if (a.affine) {
        ps.push({ name: "gamma", shape: [c], init: "norm_weight", trainable: true });
        ps.push({ name: "beta", shape: [c], init: "zeros", trainable: true });
      }
      ps.push({ name: "moving_mean", shape: [c], init: "zeros", trainable: false });
      ps.push({ name: "moving_variance", shape: [c], init: "ones", trainable: false });
      return ps;
    },
  },
  relu: activation("ReLU."),
  leaky_relu: activation("Leaky ReLU.", [{ name: "slope", type: "number", min: 0, default: 0.2 }]),
  tanh: activation("tanh."),
  sigmoid: activation("Logistic sigmoid."),
  dropout: activation("Dropout (active in training, identity in evaluation).", [
    { name: "p", type: "number", min: 0, max: 1, default: 0.5, doc: "probability of zeroing an element (kept ones are scaled by 1/(1 − p))" },
  ]),
  upsample: {
    doc: "Upsampling by an integer factor.",
    args: [
      { name: "scale", type: "int", min: 1, default: 2 },
      { name: "mode", type: { enum: ["nearest", "bilinear"] }, default: { sym: "nearest" } },
    ],
    input: "image",
    infer: (x, a) => (x.kind === "image" ? img(x, x.c, x.h * num(a, "scale"), x.w * num(a, "scale")) : { code: "GAN3007", error: "upsample needs an image" }),
    spatial: (s, a) => s * num(a, "scale"),
  },
  avg_pool: poolOp("Average pooling."),
  max_pool: poolOp("Max pooling."),
  global_avg_pool: {
    doc: "Average over H×W: H×W×C → 1×1×C (one score per image for a 1-channel patch map, as the seed CycleGAN's discriminator does).",
    args: [],
    input: "image",
    infer: (x) => (x.kind === "image" ? img(x, x.c, 1, 1) : { code: "GAN3007", error: "global_avg_pool needs an image" }),
    spatial: () => 1,
  },
  flatten: {
    doc: "Flattens an image to a vector (H·W·C features, NHWC order).",
    args: [],
    input: "image",
    infer: (x) => (x.kind === "image" ? { kind: "vector", f: x.h * x.w * x.c } : x),
    spatial: () => 1,
  },
  linear: {
    doc: "Fully connected layer (PyTorch Linear). Kernel [in, out].",
    args: [
      { name: "features", type: "int", min: 1 },
      { name: "bias", type: "bool", default: true },
    ],
    input: "vector",
    infer: (x, a) => (x.kind === "vector" ? { kind: "vector", f: num(a, "features") } : { code: "GAN3007", error: "linear needs a vector; add `flatten` or `global_avg_pool` first" }),
    params(x, a) {
      const ps: ParamSpec[] = [{ name: "kernel", shape: [channels(x), num(a, "features")], init: "weight", trainable: true }];
      if (a.bias) ps.push({ name: "bias", shape: [num(a, "features")], init: "zeros", trainable: true });
      return ps;
    },
    macs: (x, _o, a) => channels(x) * num(a, "features"),
  },
  concat: {
    doc: "Concatenates the current tensor with labelled tensors along channels.",
    args: [{ name: "tensors", type: "tensor", doc: "labels of the tensors to append" }],
    variadic: true,
    input: "image",
    infer(x, _a, extra) {
      if (x.kind !== "image") return { code: "GAN3007", error: "concat needs images" };
      let c = x.c;
      for (const e of extra) {
        if (e.kind !== "image" || e.h !== x.h || e.w !== x.w) {
          return { code: "GAN3004", error: `cannot concatenate ${showShape(x)} with ${showShape(e)}: spatial sizes differ`, hint: "both tensors must have the same H and W" };
        }
        c += e.c;
      }
      return img(x, c, x.h, x.w);
    },
  },
  add: {
    doc: "Adds labelled tensors to the current tensor (shapes must match).",
    args: [{ name: "tensors", type: "tensor" }],
    variadic: true,
    input: "image",
    infer(x, _a, extra) {
      for (const e of extra) {
        if (showShape(e) !== showShape(x)) return { code: "GAN3003", error: `cannot add ${showShape(e)} to ${showShape(x)}` };
      }
      return x;
    },
  },
};

// looked up by user-written names: no Object.prototype members (`toString`, `__proto__`, …)
Object.setPrototypeOf(OPS, null);
