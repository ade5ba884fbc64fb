// `gancc summary`: per-network layer tables (Keras-like), parameter totals,
// multiply-accumulates per forward pass and an activation-memory estimate.
import type { Ir, IrNet, IrNode } from "../ir/schema.js";
import { OPS, type Shape } from "./ops.js";
import { stepPeak, type StepPeak } from "./memory_estimate.js";

export type { StepPeak } from "./memory_estimate.js";

export interface LayerRow {
  path: string;
  op: string;
  shape: number[];
  params: number;
}

export interface NetSummary {
  name: string;
  network: string;
  role: string;
  rows: LayerRow[];
  trainable: number;
  nonTrainable: number;
  macs: number;
  /** bytes of all layer outputs of one forward pass, batch 1, float32 */
  activationBytes: number;
  sizes: string;
}

export interface SpecSummary {
  nets: NetSummary[];
  /** network applications in the losses (each keeps its activations for backward) */
  applications: Record<string, number>;
  /**
   * estimate for one training iteration at batch 1 if every network application's activations
   * were kept at once (one autograd graph for a whole step, as PyTorch's loss.backward() keeps it)
   */
  stepBytes: { activations: number; parameters: number; total: number };
  /**
   * the predicted high-water mark of tensor memory of one training iteration in gancc's own runtime
   * (memory_estimate.ts): plain, and with `recompute: residual` (gradient checkpointing)
   */
  peak: { plain: StepPeak; recompute: StepPeak };
}

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function toShape(s: number[]): Shape {
  return s.length === 3 ? { kind: "image", h: s[0]!, w: s[1]!, c: s[2]! } : { kind: "vector", f: s[0]! };
}

export function summarizeNet(net: IrNet): NetSummary {
  const byId = new Map<string, IrNode>(net.nodes.map((n) => [n.id, n]));
  const sizes = new Map(net.params.map((p) => [p.name, p]));
  const rows: LayerRow[] = [];
  let macs = 0;
  let act = 0;
  let trainable = 0;
  let nonTrainable = 0;
  for (const n of net.nodes) {
    let count = 0;
    for (const pn of n.params) {
      const p = sizes.get(pn)!;
      const k = prod(p.shape);
      if (p.trainable) {
        trainable += k;
        count += k;
      } else nonTrainable += k;
    }
    const input = byId.get(n.inputs[0] ?? "");
    const op = OPS[n.op];
    if (op?.macs && input) macs += op.macs(toShape(input.shape), toShape(n.shape), n.attrs);
    act += prod(n.shape) * 4;
    rows.push({ path: n.id.slice(net.name.length + 1), op: n.op, shape: n.shape, params: count });
  }
  return { name: net.name, network: net.network, role: net.role, rows, trainable, nonTrainable, macs, activationBytes: act, sizes: net.sizes.text };
}

export function summarize(ir: Ir): SpecSummary {
  const nets = ir.nets.map(summarizeNet);
  const applications: Record<string, number> = Object.create(null);
  for (const v of ir.values) if (v.op === "apply") applications[v.attrs.net as string] = (applications[v.attrs.net as string] ?? 0) + 1;
  let activations = 0;
  let parameters = 0;
  for (const n of nets) {
    activations += (applications[n.name] ?? 0) * n.activationBytes * ir.train.batch;
    // weights + gradients + two Adam slots
    parameters += (n.trainable * 4 + n.nonTrainable) * 4;
  }
  return {
    nets,
    applications,
    stepBytes: { activations, parameters, total: activations + parameters },
    peak: { plain: stepPeak(ir, "none"), recompute: stepPeak(ir, "residual") },
  };
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
export function formatBytes(b: number): string {
  if (b >= 1 << 30) return `${(b / (1 << 30)).toFixed(2)} GiB`;
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  return `${(b / 1024).toFixed(1)} KiB`;
}
function formatMacs(m: number): string {
  if (m >= 1e9) return `${(m / 1e9).toFixed(2)} G`;
  if (m >= 1e6) return `${(m / 1e6).toFixed(2)} M`;
  return `${m}`;
}

export function renderSummary(ir: Ir, s: SpecSummary): string {
  const out: string[] = [];
  const shape = (x: number[]) => (x.length === 3 ? `${x[0]}×${x[1]}×${x[2]}` : `[${x.join(", ")}]`);
  for (const n of s.nets) {
    out.push(`${n.name} = ${n.network}()   role: ${n.role}   input sizes: ${n.sizes}`);
    const w1 = Math.max(10, ...n.rows.map((r) => r.path.length));
    const w2 = Math.max(6, ...n.rows.map((r) => r.op.length));
    const w3 = Math.max(12, ...n.rows.map((r) => shape(r.shape).length));
    const line = "─".repeat(w1 + w2 + w3 + 18);
    out.push(line);
    out.push(`${"layer".padEnd(w1)}  ${"op".padEnd(w2)}  ${"output shape".padEnd(w3)}  ${"params".padStart(12)}`);
    out.push(line);
    for (const r of n.rows) out.push(`${r.path.padEnd(w1)}  ${r.op.padEnd(w2)}  ${shape(r.shape).padEnd(w3)}  ${formatCount(r.params).padStart(12)}`);
    out.push(line);
    out.push(`trainable params: ${formatCount(n.trainable)}${n.nonTrainable ? `   non-trainable: ${formatCount(n.nonTrainable)}` : ""}`);
    out.push(`multiply-accumulates per forward pass: ${formatMacs(n.macs)}   activations per forward pass: ${formatBytes(n.activationBytes)}`);
    out.push("");
  }
  const apps = Object.entries(s.applications).map(([k, v]) => `${k}×${v}`).join(", ");
  const sz = ir.nets[0]?.input.shape[0] ?? ir.data.crop;
  out.push(`one training iteration (batch ${ir.train.batch}, ${sz}×${sz}): ${apps || "no network applications"} in the losses`);
  out.push(`  activations kept for backward ≈ ${formatBytes(s.stepBytes.activations)}, parameters + gradients + Adam state ≈ ${formatBytes(s.stepBytes.parameters)}, total ≈ ${formatBytes(s.stepBytes.total)}`);
  const where = (p: StepPeak) => `in step ${p.step}, part ${p.part.join(" + ")}`;
  out.push(
    `  gancc's runtime: peak tensor memory ≈ ${formatBytes(s.peak.plain.bytes)} (${where(s.peak.plain)}; weights ${formatBytes(s.peak.plain.weights)}), ` +
      `with --recompute residual ≈ ${formatBytes(s.peak.recompute.bytes)}; optimizer state ${formatBytes(s.peak.plain.optimizerState)} (on cpu and wasm kept outside the backend)`,
  );
  return out.join("\n");
}
