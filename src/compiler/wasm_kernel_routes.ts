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
