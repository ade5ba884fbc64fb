/**
 * Parameter initialisation from the IR (`IrNet.init` + `IrParam.init`), reproducible:
 * a parameter's values depend only on the run's seed and its stable name (each draws from
 * `Rng.derive(seed, name)`), so editing one layer leaves every other layer's initial weights
 * unchanged.
 *
 * PyTorch conventions (what the official CycleGAN/pix2pix `init_weights` does):
 *   weights (conv, conv-transpose, linear kernels) by the net's initialiser;
 *   biases 0; norm scales γ ~ N(1, std) (std of `normal`, else 0.02); norm offsets 0;
 *   batch-norm running mean 0, running variance 1.
 * Fans follow torch.nn.init on the PyTorch layout: for a gancc kernel [kh, kw, a, b]
 * (HWIO or HWOI) fan_in = a·kh·kw and fan_out = b·kh·kw; for a linear kernel [in, out] fan_in = in.
 */
import type { IrInit, IrParam } from "../ir/schema.js";
import { Rng } from "./rng.js";

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 4) {
    const rf = shape[0]! * shape[1]!;
    return { fanIn: shape[2]! * rf, fanOut: shape[3]! * rf };
  }
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  return { fanIn: shape[0] ?? 1, fanOut: shape[0] ?? 1 };
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Orthogonal init like torch.nn.init.orthogonal_ on the torch layout (rows = output units). */
function orthogonal(shape: readonly number[], gain: number, rng: Rng): Float32Array {
  // torch layout rows: conv HWIO → O (= shape[3]); HWOI → I... torch's dim 0 is `b` for 4-D
  // gancc kernels (OIHW ← HWIO, IOHW ← HWOI) and `out` for linear ([in, out] ← [out, in]).
  const rows = shape.length === 4 ? shape[3]! : shape.length === 2 ? shape[1]! : shape[0]!;
  const cols = size(shape) / rows;
  const tall = rows < cols ? cols : rows;
  const wide = rows < cols ? rows : cols;
  // Gram–Schmidt on `wide` random vectors of length `tall` (float64)
  const q: Float64Array[] = [];
  for (let i = 0; i < wide; i++) {
    const v = new Float64Array(tall);
    for (let k = 0; k < tall; k++) v[k] = rng.normal();
    for (const u of q) {
      let d = 0;
      for (let k = 0; k < tall; k++) d += v[k]! * u[k]!;
      for (let k = 0; k < tall; k++) v[k]! -= d * u[k]!;
    }
    let n = 0;
    for (let k = 0; k < tall; k++) n += v[k]! * v[k]!;
    n = Math.sqrt(n) || 1;
    for (let k = 0; k < tall; k++) v[k]! /= n;
    q.push(v);
  }
  // torch matrix M[r][c] (rows × cols); q holds orthonormal rows (if rows <= cols) or columns
  const m = (r: number, c: number) => (rows < cols ? q[r]![c]! : q[c]![r]!);
  const out = new Float32Array(size(shape));
  if (shape.length === 4) {
    // gancc [kh, kw, a, b] ← torch [b, a, kh, kw]: row = b, col = (a·kh + h)·kw + w
    const [kh, kw, a, b] = shape as [number, number, number, number];
    for (let h = 0; h < kh; h++)
      for (let w = 0; w < kw; w++)
        for (let i = 0; i < a; i++)
          for (let o = 0; o < b; o++) out[((h * kw + w) * a + i) * b + o] = gain * m(o, (i * kh + h) * kw + w);
  } else if (shape.length === 2) {
    const [ni, no] = shape as [number, number];
    for (let i = 0; i < ni; i++) for (let o = 0; o < no; o++) out[i * no + o] = gain * m(o, i);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = gain * m(i, 0);
  }
  return out;
}

/** Initial values of one parameter. */
export function initialValue(p: IrParam, init: IrInit, seed: number): Float32Array {
  const n = size(p.shape);
  switch (p.init) {
    case "zeros":
      return new Float32Array(n);
    case "ones":
      return new Float32Array(n).fill(1);
    case "norm_weight": {
      const std = init.kind === "normal" ? (init.std ?? 0.02) : 0.02;
      return Rng.derive(seed, p.name).normalArray(n, 1, std);
    }
    case "weight":
      break;
  }
  const rng = Rng.derive(seed, p.name);
  const { fanIn, fanOut } = fans(p.shape);
  switch (init.kind) {
    case "normal":
      return rng.normalArray(n, init.mean ?? 0, init.std ?? 0.02);
    case "xavier":
      return rng.normalArray(n, 0, (init.gain ?? 0.02) * Math.sqrt(2 / (fanIn + fanOut)));
    case "kaiming":
      return rng.normalArray(n, 0, (init.gain ?? 1) * Math.sqrt(2 / fanIn));
    case "uniform": {
      const s = init.scale ?? 0.05;
      const out = rng.uniformArray(n);
      for (let i = 0; i < n; i++) out[i] = (2 * out[i]! - 1) * s;
      return out;
    }
    case "orthogonal":
      return orthogonal(p.shape, init.gain ?? 0.02, rng);
  }
}
