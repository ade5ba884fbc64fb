/**
 * Which form the wasm runtime's convolution input gradient takes (src/runtime/kernels/register.ts).
 * It lives here, with no tensor code, because `gancc summary`'s memory estimate (memory_estimate.ts)
 * must agree with the runtime: only the conv route caches a rearranged copy of the kernel per weight
 * version.
 *
 * The GEMM + col2im route (src/runtime/kernels/wasm_conv_backprop_input.ts) is taken where dy has no
 * more pixels than channels: there the conv route's per-version cost (rearranging the filter and
 * XNNPACK re-packing it, ∝ the weight count) outweighs its convolution — e.g. 21 → 6 ms for the
 * 512-channel discriminator layer at 64² — and the conv route elsewhere (measured side by side on every
 * CycleGAN layer at 64² and 128², three calls per weight version as in training, process CPU time).
 *
 * `pixels`: N·H·W of dy (the conv's output, or a conv-transpose's input); `ci`: channels of dx;
 * `co`: channels of dy.
 */
export function inputGradViaGemm(pixels: number, ci: number, co: number): boolean {
  return pixels <= co && ci >= 16;
}

/**
 * Which form the wasm runtime's forward convolution takes (FusedConv2D / Conv2D; see
 * src/runtime/kernels/wasm_conv_forward.ts): im2col + XNNPACK's fully-connected GEMM where the output
 * has no more pixels than channels, XNNPACK's convolution elsewhere.  Both pack the weight once per
 * weight version, but tfjs transposes it first for the convolution operator (~2 ms for 2.4 MB on one
 * thread), which the GEMM's packing does not need; where the convolution itself is small (few pixels)
 * that difference decides: measured 12 → 6.7 ms per forward for the 512-channel discriminator layer at
 * 64², 3.3 → 2.0 ms for the 256-channel one, 7.8 → 7.4 ms for the residual convs at 64², and the
 * convolution faster (up to 7%) on the layers with more pixels than channels (three forwards per weight
 * version, as in training; process CPU time, one thread).
 */
export function forwardViaGemm(pixels: number, ci: number, co: number): boolean {
  return pixels <= co && ci >= 16;
}
