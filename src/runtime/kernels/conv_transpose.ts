/**
 * PyTorch-semantics transposed convolution on top of tfjs `conv2dTranspose`.
 *
 * PyTorch `ConvTranspose2d(k, stride=s, padding=p, output_padding=op)`:
 *   y[o] = Σ_i x[i] · W[o + p - i·s],   out = (H-1)·s - 2p + k + op
 * tfjs `conv2dTranspose` with explicit pads (top=p, bottom=pb):
 *   y[h] = Σ_i x[i] · W[h + top - i·s]
 * so top = p, and any bottom pad with ⌊(out + p + pb - k)/s⌋ + 1 = H is a
 * consistent shape declaration; pb = max(0, p - op) always is (op < s).
 *
 * Note tfjs `pad: 'same'` is NOT equivalent for CycleGAN's k3 s2 p1 op1: it
 * puts the odd padding at the bottom (top = 0), shifting the output by one
 * pixel relative to PyTorch.
 */
import * as tf from "@tensorflow/tfjs";

export interface ConvTransposeOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  outputPadding?: number | [number, number];
}

const pair = (v: number | [number, number] | undefined, d: number): [number, number] =>
  v == null ? [d, d] : typeof v === "number" ? [v, v] : v;

/** Output spatial size and tfjs explicit padding for a PyTorch-style transposed conv. */
export function torchConvTransposeGeometry(
  inHW: [number, number],
  kHW: [number, number],
  opts: ConvTransposeOptions,
): { outHW: [number, number]; pad: tf.backend_util.ExplicitPadding } {
  const s = pair(opts.stride, 1);
  const p = pair(opts.padding, 0);
  const op = pair(opts.outputPadding, 0);
  const out: [number, number] = [0, 0];
  const pads: Array<[number, number]> = [];
  for (let d = 0; d < 2; d++) {
    if (op[d]! >= s[d]! && op[d]! > 0) {
      throw new Error(`convTranspose2d: output_padding (${op[d]}) must be smaller than stride (${s[d]})`);
    }
    out[d] = (inHW[d]! - 1) * s[d]! - 2 * p[d]! + kHW[d]! + op[d]!;
    if (out[d]! <= 0) throw new Error(`convTranspose2d: non-positive output size ${out[d]}`);
    pads.push([p[d]!, Math.max(0, p[d]! - op[d]!)]);
  }
  return { outHW: out, pad: [[0, 0], pads[0]!, pads[1]!, [0, 0]] };
}

/**
 * Transposed convolution with PyTorch semantics.  `filter` is in tfjs layout
 * [kh, kw, outChannels, inChannels] (PyTorch weight [in, out, kh, kw] →
 * transpose [2, 3, 1, 0]).
 */
export function convTranspose2d(x: tf.Tensor4D, filter: tf.Tensor4D, opts: ConvTransposeOptions = {}): tf.Tensor4D {
  const [n, h, w] = x.shape;
  const [kh, kw, outC] = filter.shape;
  const { outHW, pad } = torchConvTransposeGeometry([h, w], [kh, kw], opts);
  return tf.conv2dTranspose(x, filter, [n, outHW[0], outHW[1], outC], pair(opts.stride, 1), pad);
}
