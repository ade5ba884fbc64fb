/**
 * What to show in the sample grids, derived from the IR's loss graph (nothing recipe-specific):
 * for every generator (an image → image net that is not a critic, any channel count: see
 * generators.ts) applied directly to a domain (`G_AB(A)`), one grid whose columns are the
 * real images, the translation, and every generator applied to that translation
 * (`G_BA(G_AB(A))`, a reconstruction). With paired data the other domains of the same item are
 * added as columns (the ground truth a translation should match).
 */
import * as tf from "@tensorflow/tfjs";
import type { Ir, IrValue } from "../ir/schema.js";
import type { Model } from "../runtime/model.js";
import type { GridImage } from "../report/index.js";
import { imageGenerators } from "./generators.js";

export interface SampleColumn {
  label: string;
  /** net names applied in order to the domain's images ([] = the real images) */
  chain: string[];
  /** the domain read (for ground-truth columns, another domain of the same item) */
  domain: string;
}

export interface SampleGridSpec {
  name: string;
  columns: SampleColumn[];
}

export function sampleGrids(ir: Ir): SampleGridSpec[] {
  const byId = new Map(ir.values.map((v) => [v.id, v]));
  const gens = imageGenerators(ir);
  const isGen = (v: IrValue) => v.op === "apply" && gens.has(v.attrs.net as string);
  const paired = ir.data.layout !== "unpaired";
  const grids: SampleGridSpec[] = [];
  const seen = new Set<string>();
  for (const v of ir.values) {
    if (!isGen(v)) continue;
    const src = byId.get(v.inputs[0]!)!;
    if (src.op !== "domain") continue;
    const domain = src.attrs.domain as string;
    const net = v.attrs.net as string;
    const key = `${net}(${domain})`;
    if (seen.has(key)) continue;
    seen.add(key);
    const columns: SampleColumn[] = [
      { label: domain, chain: [], domain },
      { label: key, chain: [net], domain },
    ];
    for (const w of ir.values) {
      if (isGen(w) && w.inputs[0] === v.id) columns.push({ label: `${w.attrs.net}(${key})`, chain: [net, w.attrs.net as string], domain });
    }
    if (paired) {
      for (const d of ir.data.domains) if (d.name !== domain) columns.push({ label: `${d.name} (target)`, chain: [], domain: d.name });
    }
    grids.push({ name: `${domain}_${net}`, columns });
  }
  // a bare G(x) grid (an identity term, say) is dropped when the same net has a richer grid
  return grids.filter((g) => g.columns.length > 2 || !grids.some((h) => h !== g && h.columns.length > 2 && h.columns[1]!.chain[0] === g.columns[1]!.chain[0]));
}

/**
 * Runs the grids' chains on a batch (domain → NHWC tensor) in evaluation mode (running
 * batch-norm statistics, no dropout); returns per grid its rows (one per batch item).
 */
export async function renderSamples(model: Model, specs: SampleGridSpec[], batch: Record<string, tf.Tensor>): Promise<{ spec: SampleGridSpec; rows: (GridImage | null)[][] }[]> {
  const out: { spec: SampleGridSpec; rows: (GridImage | null)[][] }[] = [];
  for (const spec of specs) {
    const cols: (tf.Tensor | null)[] = spec.columns.map((c) => {
      const input = batch[c.domain];
      if (!input) return null;
      return tf.tidy(() => c.chain.reduce((x, net) => model.run(net, x), input).clone());
    });
    const n = cols.find((c) => c)?.shape[0] ?? 0;
    const rows: (GridImage | null)[][] = Array.from({ length: n }, () => []);
    for (const c of cols) {
      const data = c ? ((await c.data()) as Float32Array) : null;
      for (let i = 0; i < n; i++) {
        if (!c || !data) {
          rows[i]!.push(null);
          continue;
        }
        const [, h, w, ch] = c.shape as number[];
        const per = h! * w! * ch!;
        const img = data.slice(i * per, (i + 1) * per);
        // grids show 1 or 3 channels: an extra alpha-like channel is dropped, 2 channels shown as gray of the first
        rows[i]!.push(ch === 1 || ch === 3 ? { data: img, height: h!, width: w!, channels: ch } : toRgb(img, h!, w!, ch!));
      }
      c?.dispose();
    }
    out.push({ spec, rows });
  }
  return out;
}

function toRgb(img: Float32Array, h: number, w: number, ch: number): GridImage {
  const out = new Float32Array(h * w * 3);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < 3; k++) out[p * 3 + k] = img[p * ch + Math.min(k, ch - 1)]!;
  return { data: out, height: h, width: w, channels: 3 };
}
