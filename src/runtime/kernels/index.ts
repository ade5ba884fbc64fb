/**
 * gancc runtime kernels: fixes for tfjs 4.22 defects and the extra ops GANs
 * need.  Call `registerKernelFixes()` once after the backend is ready
 * (`selectBackend` in ../backend.ts does this); it is idempotent.
 */
export {
  registerKernelFixes,
  unregisterKernelFixes,
  kernelFixesRegistered,
  isKernelFixActive,
  listKernelFixes,
  filterGradViaGemm,
  inputGradViaGemm,
  type KernelFixInfo,
} from "./register.js";
export { mirrorPadBackward, mirrorPadGradConfig, type MirrorPadMode } from "./mirror_pad_grad.js";
export { reflectPad, replicatePad, type SpatialPads } from "./pad.js";
export { instanceNorm, batchNormTrain, type NormOptions, type BatchNormTrainResult } from "./norm.js";
export {
  conv2DBackpropFilterViaConv,
  conv2DBackpropInputViaConv,
  subPixelFilter,
  phaseFilter,
  usePhases,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
} from "./conv_backprop.js";
export { conv2DBackpropFilterJs } from "./cpu_conv_backprop_filter.js";
export { conv2DBackpropFilterGemm, type GemmOptions } from "./wasm_conv_backprop_filter.js";
export { conv2DBackpropInputGemm } from "./wasm_conv_backprop_input.js";
export { FilterCache } from "./filter_cache.js";
export { convTranspose2d, torchConvTransposeGeometry, type ConvTransposeOptions } from "./conv_transpose.js";
export { foldPaddings, padViaLowRank } from "./webgpu_pad.js";
export { KernelCtx } from "./kernel_ctx.js";
