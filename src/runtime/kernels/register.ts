/**
 * Registration of our fixes for tfjs 4.22 kernel/gradient defects.
 *
 * Everything is idempotent and reversible (`unregisterKernelFixes` restores the
 * stock configs — used by the tests to show the stock defect and by
 * bench/kernels.ts to measure before/after).  State lives on `globalThis` so
 * that two copies of this module (e.g. bundler duplicates) never wrap each
 * other's replacements.
 */
import * as tf from "@tensorflow/tfjs";
import { KernelCtx } from "./kernel_ctx.js";
import {
  compositionSupports,
  conv2DBackpropFilterViaConv,
  conv2DBackpropInputViaConv,
  nhwcConvInfo,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
} from "./conv_backprop.js";
import { conv2DBackpropFilterJs } from "./cpu_conv_backprop_filter.js";
import { conv2DBackpropFilterGemm } from "./wasm_conv_backprop_filter.js";
import { conv2DBackpropInputGemm } from "./wasm_conv_backprop_input.js";
import { forwardViaGemm, inputGradViaGemm } from "../../compiler/wasm_kernel_routes.js";
import { conv2DForwardGemm, forwardGemmSupports, type ConvForwardAttrs } from "./wasm_conv_forward.js";
import { mirrorPadGradConfig } from "./mirror_pad_grad.js";
import { cpuMirrorPadGrad, MIRROR_PAD_GRAD, mirrorPadGradKernelGradConfig, wasmMirrorPadGrad } from "./mirror_pad_grad_kernel.js";
import { wasmIdentityShared } from "./wasm_identity.js";
import { NORM_BACKWARD, NORM_FORWARD } from "./norm_fused.js";
import { cpuNormBackward, cpuNormForward, wasmNormBackward, wasmNormForward } from "./norm_kernels.js";
import { padViaLowRank, webgpuPadSupports, type PadV2Attrs } from "./webgpu_pad.js";

/** Which wasm input gradient to use (the rule is shared with gancc summary's memory estimate). */
export { inputGradViaGemm };

/** Which fix replaced what; one entry per (kernel, backend) or gradient. */
export interface KernelFixInfo {
  id: string;
  kind: "gradient" | "kernel";
  kernelName: string;
  backendName?: string;
  description: string;
}

interface FixState {
  registered: boolean;
  /** Stock configs that we replaced (undefined = there was none). */
  originalKernels: Map<string, { kernelName: string; backendName: string; config: tf.KernelConfig | undefined }>;
  originalGradients: Map<string, tf.GradConfig | undefined>;
}

const STATE_KEY = Symbol.for("gancc.runtime.kernelFixes");
function state(): FixState {
  const g = globalThis as unknown as Record<symbol, FixState | undefined>;
  let s = g[STATE_KEY];
  if (s == null) {
    s = { registered: false, originalKernels: new Map(), originalGradients: new Map() };
    g[STATE_KEY] = s;
  }
  return s;
}

/** Marks our kernel configs (so re-registration can tell them from stock ones). */
const OURS = Symbol.for("gancc.runtime.kernelFix");

const key = (kernelName: string, backendName: string) => `${backendName}_${kernelName}`;

type KernelArgs = Parameters<tf.KernelFunc>[0];

function stockKernelFunc(kernelName: string, backendName: string): tf.KernelFunc | undefined {
  return state().originalKernels.get(key(kernelName, backendName))?.config?.kernelFunc;
}

/**
 * Which wasm filter gradient to use: the im2col GEMM where both channel counts are wide (the
 * GEMM's rows are Co, its im2col runs are Ci long), the "dilation = stride" conv for the RGB
 * input/output layers (measured side by side, process CPU time: there the GEMM is 2–10× slower).
 */
export function filterGradViaGemm(ci: number, co: number): boolean {
  return ci >= 16 && co >= 16;
}

/** Conv2DBackpropFilter on wasm: im2col GEMM or the backend's forward Conv2D (see above). */
function backpropFilterViaConv(backendName: string): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
    if (!compositionSupports(attrs)) {
      const stock = stockKernelFunc(tf.Conv2DBackpropFilter, backendName);
      if (stock) return stock(args);
      throw new Error(`gancc: Conv2DBackpropFilter on '${backendName}' supports only NHWC`);
    }
    const ctx = new KernelCtx(args.backend as tf.KernelBackend, backendName);
    try {
      const viaGemm = filterGradViaGemm(x.shape[3]!, attrs.filterShape[3]);
      return ctx.finish(viaGemm ? conv2DBackpropFilterGemm(ctx, x, dy, attrs) : conv2DBackpropFilterViaConv(ctx, x, dy, attrs));
    } catch (e) {
      ctx.disposeAll();
      throw e;
    }
  };
}

/**
 * Conv2D / FusedConv2D on wasm: im2col + XNNPACK GEMM where the output has no more pixels than
 * channels (compiler/wasm_kernel_routes.ts `forwardViaGemm`), the stock XNNPACK convolution elsewhere
 * and for anything but a dilation-1, NHWC, linear-activation conv.
 */
function convForward(kernelName: string): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvForwardAttrs & { dataFormat?: "NHWC" | "NCHW"; activation?: string };
    const stock = stockKernelFunc(kernelName, "wasm");
    if (stock == null) throw new Error(`gancc: wasm ${kernelName} fallback missing`);
    if (!forwardGemmSupports(attrs) || preluActivationWeights != null || x.dtype !== "float32") return stock(args);
    const co = filter.shape[3]!;
    const { outHeight, outWidth } = nhwcConvInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs);
    if (!forwardViaGemm(x.shape[0]! * outHeight * outWidth, x.shape[3]!, co)) return stock(args);
    const ctx = new KernelCtx(args.backend as tf.KernelBackend, "wasm");
    try {
      return ctx.finish(conv2DForwardGemm(ctx, x, filter, bias, attrs));
    } catch (e) {
      ctx.disposeAll();
      throw e;
    }
  };
}

/** Conv2DBackpropInput through the backend's forward Conv2D, or as a GEMM + col2im (wasm). */
function backpropInputViaConv(backendName: string): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as Conv2DBackpropInputAttrs;
    if (!compositionSupports(attrs)) {
      const stock = stockKernelFunc(tf.Conv2DBackpropInput, backendName);
      if (stock) return stock(args);
      throw new Error(`gancc: Conv2DBackpropInput on '${backendName}' supports only NHWC`);
    }
    const ctx = new KernelCtx(args.backend as tf.KernelBackend, backendName);
    try {
      const [, ho, wo, co] = dy.shape as [number, number, number, number];
      const viaGemm = backendName === "wasm" && inputGradViaGemm(dy.shape[0]! * ho * wo, filter.shape[2]!, co);
      return ctx.finish(viaGemm ? conv2DBackpropInputGemm(ctx, dy, filter, attrs) : conv2DBackpropInputViaConv(ctx, dy, filter, attrs));
    } catch (e) {
      ctx.disposeAll();
      throw e;
    }
  };
}

/** Blocked im2col·dyᵀ Conv2DBackpropFilter in plain JS (cpu). */
const cpuBackpropFilter: tf.KernelFunc = (args: KernelArgs) => {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const backend = args.backend as tf.KernelBackend;
  if (!compositionSupports(attrs) || x.dtype !== "float32" || dy.dtype !== "float32") {
    const stock = stockKernelFunc(tf.Conv2DBackpropFilter, "cpu");
    if (stock) return stock(args);
    throw new Error("gancc: cpu Conv2DBackpropFilter fallback missing");
  }
  const info = nhwcConvInfo(x.shape as [number, number, number, number], attrs.filterShape, attrs);
  const xv = backend.readSync(x.dataId) as Float32Array;
  const dyv = backend.readSync(dy.dataId) as Float32Array;
  const out = conv2DBackpropFilterJs(xv, dyv, info);
  const dataId = backend.write(out, info.filterShape, "float32");
  return { dataId, shape: info.filterShape, dtype: "float32" };
};

/** webgpu PadV2: the stock kernel for ranks ≤ 4, reshapes to ranks ≤ 4 above (see webgpu_pad.ts). */
const webgpuPadV2: tf.KernelFunc = (args: KernelArgs) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const stock = stockKernelFunc(tf.PadV2, "webgpu");
  if (stock == null) throw new Error("gancc: webgpu PadV2 fallback missing");
  if (webgpuPadSupports(x)) return stock(args);
  const { paddings, constantValue } = args.attrs as unknown as PadV2Attrs;
  const ctx = new KernelCtx(args.backend as tf.KernelBackend, "webgpu");
  const pad = (t: tf.TensorInfo, p: Array<[number, number]>) =>
    ctx.track(stock({ inputs: { x: t }, backend: args.backend, attrs: { paddings: p, constantValue } as unknown as tf.NamedAttrMap }) as tf.TensorInfo);
  try {
    return ctx.finish(padViaLowRank(ctx, x, paddings, pad));
  } catch (e) {
    ctx.disposeAll();
    throw e;
  }
};

interface KernelFix {
  info: KernelFixInfo;
  config: tf.KernelConfig;
}

/** `kernelFunc` as `kernelName` on `backendName` (the fix's info and config name the same kernel). */
function kernelFix(id: string, kernelName: string, backendName: string, kernelFunc: tf.KernelFunc, description: string): KernelFix {
  return { info: { id, kind: "kernel", kernelName, backendName, description }, config: { kernelName, backendName, kernelFunc } };
}

function kernelFixes(): KernelFix[] {
  return [
    kernelFix(
      "wasm-conv2d-backprop-filter",
      tf.Conv2DBackpropFilter,
      "wasm",
      backpropFilterViaConv("wasm"),
      "wasm has no Conv2DBackpropFilter: im2col x XNNPACK GEMM (wide layers) or XNNPACK Conv2D with dilation = stride (RGB layers)",
    ),
    kernelFix(
      "wasm-conv2d-backprop-input",
      tf.Conv2DBackpropInput,
      "wasm",
      backpropInputViaConv("wasm"),
      "wasm Conv2DBackpropInput is a naive loop: one XNNPACK Conv2D per output phase (or one sub-pixel Conv2D), rearranged filters cached per weight version; layers with few pixels: XNNPACK GEMM + col2im",
    ),
    ...[tf.Conv2D, tf.FusedConv2D].map((kernelName) =>
      kernelFix(
        `wasm-${kernelName === tf.Conv2D ? "conv2d" : "fused-conv2d"}-gemm`,
        kernelName,
        "wasm",
        convForward(kernelName),
        "layers with few pixels: im2col x XNNPACK GEMM (the weight packed once per version without tfjs's filter transpose); XNNPACK's convolution elsewhere",
      ),
    ),
    kernelFix(
      "wasm-identity-shared",
      tf.Identity,
      "wasm",
      wasmIdentityShared,
      "wasm Identity copies the buffer, so every tensor the gradient tape saves (as a clone) existed twice: shares it, as cpu does (wasm_identity.ts)",
    ),
    kernelFix("cpu-conv2d-backprop-filter", tf.Conv2DBackpropFilter, "cpu", cpuBackpropFilter, "cpu Conv2DBackpropFilter (~0.01 GFLOP/s): blocked im2col x dy^T in JS"),
    kernelFix(
      "webgpu-padv2-rank5-6",
      tf.PadV2,
      "webgpu",
      webgpuPadV2,
      "webgpu PadV2 emits invalid WGSL for rank 5/6 (dilated kernels, slice gradients): padded through rank <= 4 reshapes",
    ),
    ...(["wasm", "cpu"] as const).map((backendName) =>
      kernelFix(
        `${backendName}-mirrorpad-grad-kernel`,
        MIRROR_PAD_GRAD,
        backendName,
        backendName === "wasm" ? wasmMirrorPadGrad : cpuMirrorPadGrad,
        "the MirrorPad gradient as slice/reverse/pad/add per axis cost ~50x the forward pad: one pass over dy (mirror_pad_grad_kernel.ts)",
      ),
    ),
    ...(["wasm", "cpu"] as const).flatMap((backendName) => [
      kernelFix(
        `${backendName}-norm-forward`,
        NORM_FORWARD,
        backendName,
        backendName === "wasm" ? wasmNormForward : cpuNormForward,
        "instance/batch norm forward as one kernel (three passes) instead of ~9 small tfjs kernels (norm_fused.ts)",
      ),
      kernelFix(
        `${backendName}-norm-backward`,
        NORM_BACKWARD,
        backendName,
        backendName === "wasm" ? wasmNormBackward : cpuNormBackward,
        "instance/batch norm gradient as one kernel (two passes) instead of ~8 small tfjs kernels (norm_fused.ts)",
      ),
    ]),
  ];
}

/** Gradients we register (global, every backend): replacements or, for our own kernels, new ones. */
const gradientFixes: Array<{ info: KernelFixInfo; config: tf.GradConfig }> = [
  {
    info: {
      id: "mirrorpad-gradient",
      kind: "gradient",
      kernelName: tf.MirrorPad,
      description: "tfjs MirrorPad gradient drops the border contributions: fold mirrored borders back",
    },
    config: mirrorPadGradConfig,
  },
  {
    info: {
      id: "mirrorpad-grad-kernel-gradient",
      kind: "gradient",
      kernelName: MIRROR_PAD_GRAD,
      description: "gradient of the one-pass MirrorPad gradient kernel (double backward): the forward MirrorPad",
    },
    config: mirrorPadGradKernelGradConfig,
  },
];

/** Descriptions of all fixes (registered or not). */
export function listKernelFixes(): KernelFixInfo[] {
  return [...gradientFixes.map((f) => f.info), ...kernelFixes().map((f) => f.info)];
}

/** True when every applicable fix is currently installed. */
export function kernelFixesRegistered(): boolean {
  const s = state();
  if (!s.registered) return false;
  if (gradientFixes.some((f) => tf.getGradient(f.config.kernelName) !== f.config)) return false;
  return kernelFixes().every((f) => !backendLoaded(f.config.backendName) || isKernelFixActive(f.config.kernelName, f.config.backendName));
}

/** True when our replacement for (kernelName, backendName) is the registered kernel. */
export function isKernelFixActive(kernelName: string, backendName: string): boolean {
  const cur = tf.getKernel(kernelName, backendName) as (tf.KernelConfig & { [OURS]?: true }) | undefined;
  return cur?.[OURS] === true;
}

/** A backend package is loaded when its kernels are in the registry. */
function backendLoaded(backendName: string): boolean {
  return tf.getKernel(tf.Conv2D, backendName) != null;
}

/**
 * Registers all fixes.  Idempotent and cheap, so call it freely — and call it
 * again after loading a backend package (selectBackend does): fixes for a
 * backend whose package is not loaded yet are deferred (registering them first
 * would make the package's own registration override them with a warning).
 * The stock kernel's setupFunc is kept so the stock kernel stays usable as a
 * fallback.
 */
export function registerKernelFixes(): void {
  const s = state();

  // 1. Gradients (global; used by every backend incl. tfjs-node).
  for (const { config } of gradientFixes) {
    const name = config.kernelName;
    const curGrad = tf.getGradient(name);
    if (curGrad === config) continue;
    if (!s.originalGradients.has(name)) s.originalGradients.set(name, curGrad);
    if (curGrad != null) tf.unregisterGradient(name); // avoid the DEBUG-mode override warning
    tf.registerGradient(config);
  }

  // 2./3. Conv backprop kernels for wasm and cpu; webgpu's PadV2 above rank 4.
  for (const fix of kernelFixes()) {
    const { kernelName, backendName } = fix.config;
    if (!backendLoaded(backendName) || isKernelFixActive(kernelName, backendName)) continue;
    const original = tf.getKernel(kernelName, backendName);
    s.originalKernels.set(key(kernelName, backendName), { kernelName, backendName, config: original });
    if (original != null) tf.unregisterKernel(kernelName, backendName); // registerKernel would warn otherwise
    const config = { ...fix.config, setupFunc: original?.setupFunc, disposeFunc: original?.disposeFunc, [OURS]: true };
    tf.registerKernel(config);
  }
  s.registered = true;
}

/** Restores the stock tfjs kernels/gradients (tests and benchmarks only). */
export function unregisterKernelFixes(): void {
  const s = state();
  if (!s.registered) return;
  for (const { config } of gradientFixes) {
    const name = config.kernelName;
    if (tf.getGradient(name) !== config) continue;
    tf.unregisterGradient(name);
    const g = s.originalGradients.get(name);
    if (g != null) tf.registerGradient(g);
  }
  for (const { kernelName, backendName, config: original } of s.originalKernels.values()) {
    if (!isKernelFixActive(kernelName, backendName)) continue;
    tf.unregisterKernel(kernelName, backendName);
    if (original != null) tf.registerKernel(original);
  }
  s.originalKernels.clear();
  s.originalGradients.clear();
  s.registered = false;
}
