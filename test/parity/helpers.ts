/** Shared helpers for the PyTorch parity tests (fixtures from test/parity/make_fixtures.py). */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../src/compiler/compile.js";
import type { Ir, IrNet } from "../../src/ir/schema.js";
import { readSafetensorsFileSync, tensorAsFloat32, type SafetensorsContents } from "../../src/io/safetensors.js";
import { importTorch, type GanccParamSpec, type TorchStateDict } from "../../src/io/torch_names.js";
import type { HostTensor } from "../../src/io/tensor.js";

export const FIXTURES = "test/parity/fixtures";

export function fixture(name: string): SafetensorsContents {
  return readSafetensorsFileSync(`${FIXTURES}/${name}.safetensors`);
}

export function meta(f: SafetensorsContents, key: string): string {
  const v = f.metadata?.[key];
  if (v === undefined) throw new Error(`fixture metadata has no ${key}`);
  return v;
}

/** specs/cyclegan.gan at the fixture's widths; `avg` adds the seed's global_avg_pool to the PatchGAN. */
export function cycleganIr(common: SafetensorsContents, variant: "avg" | "map"): Ir {
  let text = readFileSync("specs/cyclegan.gan", "utf8");
  if (variant === "avg") {
    const line = "conv(1, 4, stride: 1, pad: 1)";
    if (!text.includes(line)) throw new Error("specs/cyclegan.gan changed: cannot find the PatchGAN's last conv");
    text = text.replace(line, `${line} global_avg_pool`);
  }
  const set = { ngf: meta(common, "ngf"), ndf: meta(common, "ndf"), size: meta(common, "image_size"), load_size: meta(common, "image_size") };
  const r = compileSource(text, "specs/cyclegan.gan", { set });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  if (meta(common, "n_res") !== String(r.ir.nets[0]!.args.blocks ?? 9)) throw new Error("fixture n_res differs from the spec's");
  return r.ir;
}

export function paramSpecs(net: IrNet): GanccParamSpec[] {
  const opOf = new Map<string, string>();
  for (const n of net.nodes) for (const p of n.params) opOf.set(p, n.op);
  return net.params.map((p) => ({
    name: p.name,
    shape: p.shape,
    op: opOf.get(p.name) as GanccParamSpec["op"],
    role: p.name.split("/").pop() as GanccParamSpec["role"],
  }));
}

export function torchDict(f: SafetensorsContents, prefix: string): TorchStateDict {
  const d: TorchStateDict = {};
  for (const [k, t] of Object.entries(f.tensors)) {
    if (k.startsWith(prefix)) d[k] = { shape: t.shape, data: tensorAsFloat32(f, k) };
  }
  return d;
}

/** Weights of every net of `ir` from torch-named tensors `<net>.<key>` (e.g. `G_AB.model.1.weight`). */
export function weightsFrom(f: SafetensorsContents, ir: Ir, keyPrefix = ""): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const net of ir.nets) {
    const vals = importTorch(torchDict(f, `${keyPrefix}${net.name}.`), paramSpecs(net), { prefix: `${keyPrefix}${net.name}.` });
    for (const [k, v] of Object.entries(vals)) out.set(k, v);
  }
  return out;
}

/** NCHW torch activation → NHWC tfjs tensor. */
export function nhwc(f: SafetensorsContents, name: string): tf.Tensor4D {
  const t = f.tensors[name];
  if (!t) throw new Error(`fixture has no ${name}`);
  return tf.tidy(() => tf.transpose(tf.tensor(tensorAsFloat32(f, name), t.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** ‖a − b‖₂ / ‖b‖₂ */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(n), 1e-30);
}
