// Mapping PyTorch state_dicts onto gancc parameter lists (and back).
//
// Matching is by order, not by name: the torch keys are put in module order (a natural sort of
// the dotted path, a module's own tensors before its children's, weight before bias before
// running_mean before running_var), `num_batches_tracked` is skipped, and the i-th key is paired
// with the i-th gancc parameter. Every pair is checked (role and shape) and the first one that
// differs is reported with both shapes, so a wrong architecture fails loudly at the first layer
// where it diverges.
//
// Layouts:               gancc                    PyTorch
//   conv kernel          HWIO [kh,kw,in,out]      OIHW [out,in,kh,kw]
//   conv-transpose       HWOI [kh,kw,out,in]      IOHW [in,out,kh,kw]
//   linear kernel        [in,out]                 [out,in]
//   biases, norm params  [C]                      [C]
// Both 4-D cases are the same permutation: gancc[h][w][a][b] = torch[b][a][h][w].
import type { HostTensor } from "./tensor.js";

export type GanccParamOp = "conv" | "conv_transpose" | "instance_norm" | "batch_norm" | "linear";
export type GanccParamRole = "kernel" | "bias" | "gamma" | "beta" | "moving_mean" | "moving_variance";

/** One entry of a gancc net's ordered (forward-order) parameter list. */
export interface GanccParamSpec {
  name: string;
  shape: number[];
  op: GanccParamOp;
  role: GanccParamRole;
}

export type TorchStateDict = Record<string, HostTensor>;

export class WeightMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WeightMappingError";
  }
}

export interface MappingOptions {
  /** Only keys starting with this prefix are used (e.g. "G_AB." selects one net out of a
   * checkpoint holding several). Keys keep their full names in results and messages. */
  prefix?: string;
  /** Named in error messages, e.g. the checkpoint's file name. */
  source?: string;
}

/** One matched pair. */
export interface ParamMatch {
  param: GanccParamSpec;
  /** the full torch key (prefix included) */
  torchKey: string;
  /** the shape the torch tensor must have for this parameter */
  torchShape: number[];
}

// ---------------------------------------------------------------------------------------------
// Key order

const LEAF_RANK: Record<string, number> = {
  weight: 0,
  bias: 1,
  running_mean: 2,
  running_var: 3,
  num_batches_tracked: 4,
};

/** Natural comparison of one path component: digit runs compare as numbers. */
function compareNatural(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  const n = Math.min(ra.length, rb.length);
  for (let i = 0; i < n; i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      if (x.length !== y.length) return x.length - y.length; // "01" after "1"
    } else if (dx !== dy) {
      return dx ? -1 : 1; // numbers before words
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return ra.length - rb.length;
}

function compareLeaf(a: string, b: string): number {
  const ra = LEAF_RANK[a] ?? 100;
  const rb = LEAF_RANK[b] ?? 100;
  if (ra !== rb) return ra - rb;
  return compareNatural(a, b);
}

/** Compare two torch state_dict keys in module order. */
export function compareTorchKeys(a: string, b: string): number {
  const pa = a.split(".");
  const pb = b.split(".");
  const ma = pa.length - 1; // module path length (the last component is the tensor's own name)
  const mb = pb.length - 1;
  const n = Math.min(ma, mb);
  for (let i = 0; i < n; i++) {
    const c = compareNatural(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  // One module path is a prefix of the other: a module's own tensors come before its children's.
  if (ma !== mb) return ma - mb;
  return compareLeaf(pa[ma]!, pb[mb]!);
}

/** Torch keys in module order, without `num_batches_tracked`. */
export function sortTorchKeys(keys: Iterable<string>): string[] {
  return [...keys].filter((k) => !k.endsWith("num_batches_tracked")).sort(compareTorchKeys);
}

// ---------------------------------------------------------------------------------------------
// Layout

function fmt(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function numel(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** The permutation taking a torch tensor to gancc layout (out dim j = in dim perm[j]), or null. */
function torchToGanccPerm(p: GanccParamSpec): number[] | null {
  if (p.role !== "kernel") return null;
  if (p.op === "conv" || p.op === "conv_transpose") return [2, 3, 1, 0];
  if (p.op === "linear") return [1, 0];
  return null;
}

/** The permutation taking a gancc tensor to torch layout (out dim j = in dim perm[j]), or null (also used by src/torch's nets.py table). */
export function ganccToTorchPerm(p: GanccParamSpec): number[] | null {
  if (p.role !== "kernel") return null;
  if (p.op === "conv" || p.op === "conv_transpose") return [3, 2, 0, 1];
  if (p.op === "linear") return [1, 0];
  return null;
}

/** Transpose a dense row-major tensor: the result's dim j is the input's dim perm[j]. */
export function permute(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((i) => shape[i]!);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i]!;
  }
  // stride in the input for a step along each output dim
  const step = perm.map((i) => inStrides[i]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]!;
    // increment the output multi-index (last dim fastest), updating the input offset
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += step[d]!;
      if (idx[d]! < outShape[d]!) break;
      src -= step[d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** The shape a torch tensor must have to fill this gancc parameter. */
export function expectedTorchShape(p: GanccParamSpec): number[] {
  const perm = ganccToTorchPerm(p);
  if (perm === null) return [...p.shape];
  if (p.shape.length !== perm.length) {
    throw new WeightMappingError(
      `${p.name}: a ${p.op} kernel must have rank ${perm.length}, but its declared shape is ${fmt(p.shape)}`,
    );
  }
  return perm.map((i) => p.shape[i]!);
}

function torchLeafRole(key: string): "weight" | "bias" | "running_mean" | "running_var" | "other" {
  const leaf = key.slice(key.lastIndexOf(".") + 1);
  if (leaf === "weight" || leaf === "bias" || leaf === "running_mean" || leaf === "running_var") return leaf;
  return "other";
}

/** The PyTorch leaf name of each gancc parameter role. */
export const ROLE_TO_TORCH: Record<GanccParamRole, "weight" | "bias" | "running_mean" | "running_var"> = {
  kernel: "weight",
  gamma: "weight",
  bias: "bias",
  beta: "bias",
  moving_mean: "running_mean",
  moving_variance: "running_var",
};

function describeRole(p: GanccParamSpec): string {
  return `${p.op} ${p.role}`;
}

// ---------------------------------------------------------------------------------------------
// Matching

function selectKeys(keys: Iterable<string>, prefix: string | undefined): string[] {
  const all = [...keys];
  return prefix ? all.filter((k) => k.startsWith(prefix)) : all;
}

/**
 * Pair a torch state_dict (or just its keys and shapes) with a gancc parameter list by order,
 * checking roles and shapes. Throws WeightMappingError at the first difference.
 */
export function matchTorchParams(
  torchShapes: Record<string, { shape: number[] }>,
  params: readonly GanccParamSpec[],
  options: MappingOptions = {},
): ParamMatch[] {
  const where = options.source ? ` in ${options.source}` : "";
  const keys = sortTorchKeys(selectKeys(Object.keys(torchShapes), options.prefix));
  if (keys.length === 0) {
    throw new WeightMappingError(
      `no tensors${where}${options.prefix ? ` with prefix "${options.prefix}"` : ""} to map onto ${params.length} parameters`,
    );
  }
  const matches: ParamMatch[] = [];
  const n = Math.min(keys.length, params.length);
  for (let i = 0; i < n; i++) {
    const p = params[i]!;
    const key = keys[i]!;
    const t = torchShapes[key]!;
    const want = expectedTorchShape(p);
    const leaf = torchLeafRole(key);
    if (leaf !== ROLE_TO_TORCH[p.role]) {
      throw new WeightMappingError(
        `${p.name} (a ${describeRole(p)}, torch "${ROLE_TO_TORCH[p.role]}") cannot take ${key}${where}, ` +
          `which is a torch "${key.slice(key.lastIndexOf(".") + 1)}" tensor with shape ${fmt(t.shape)} ` +
          `(parameter ${i + 1} of ${params.length})`,
      );
    }
    if (!sameShape(want, t.shape)) {
      const torchNote = sameShape(want, p.shape) ? "" : ` (torch ${fmt(want)})`;
      throw new WeightMappingError(
        `${p.name} expects ${fmt(p.shape)}${torchNote} but ${key}${where} has ${fmt(t.shape)} ` +
          `(parameter ${i + 1} of ${params.length})`,
      );
    }
    matches.push({ param: p, torchKey: key, torchShape: want });
  }
  if (keys.length !== params.length) {
    if (params.length > keys.length) {
      const p = params[n]!;
      throw new WeightMappingError(
        `the model has ${params.length} parameters but the state dict${where} has ${keys.length} tensors: ` +
          `${p.name} ${fmt(p.shape)} (torch ${fmt(expectedTorchShape(p))}) has no torch counterpart ` +
          `(the last matched was ${keys[n - 1] ?? "none"})`,
      );
    }
    const k = keys[n]!;
    throw new WeightMappingError(
      `the state dict${where} has ${keys.length} tensors but the model has ${params.length} parameters: ` +
        `${k} ${fmt(torchShapes[k]!.shape)} has no model parameter ` +
        `(the last matched was ${params[n - 1]?.name ?? "none"})`,
    );
  }
  return matches;
}

/**
 * Map a PyTorch state_dict onto a gancc parameter list. Returns one value per gancc parameter
 * (keyed by its name, in the list's order) in gancc layout.
 */
export function importTorch(
  stateDict: TorchStateDict,
  params: readonly GanccParamSpec[],
  options: MappingOptions = {},
): Record<string, HostTensor> {
  const where = options.source ? ` in ${options.source}` : "";
  const matches = matchTorchParams(stateDict, params, options);
  const out: Record<string, HostTensor> = {};
  for (const m of matches) {
    const t = stateDict[m.torchKey]!;
    if (t.data.length !== numel(t.shape)) {
      throw new WeightMappingError(
        `${m.torchKey}${where} has shape ${fmt(t.shape)} (${numel(t.shape)} values) but holds ${t.data.length} values`,
      );
    }
    const perm = torchToGanccPerm(m.param);
    const data = perm === null ? Float32Array.from(t.data) : permute(t.data, t.shape, perm);
    out[m.param.name] = { shape: [...m.param.shape], data };
  }
  return out;
}

export interface ExportOptions {
  /**
   * The torch names to use, paired by order exactly as importTorch pairs them (e.g. the keys of
   * the state_dict the weights came from, or of a freshly built torch model). Without it the
   * names are made from the gancc names: "G_AB/res3/conv1/kernel" -> "G_AB.res3.conv1.weight".
   */
  template?: Record<string, { shape: number[] }>;
  prefix?: string;
  source?: string;
}

function defaultTorchName(p: GanccParamSpec): string {
  const parts = p.name.split("/");
  const last = parts[parts.length - 1];
  const base = last === p.role ? parts.slice(0, -1) : parts;
  return [...base, ROLE_TO_TORCH[p.role]].join(".");
}

/** The reverse of importTorch: gancc values (gancc layout) to a torch state_dict (torch layout). */
export function exportTorch(
  params: readonly GanccParamSpec[],
  values: Record<string, { shape?: number[]; data: Float32Array }>,
  options: ExportOptions = {},
): TorchStateDict {
  let pairs: { param: GanccParamSpec; torchKey: string; torchShape: number[] }[];
  if (options.template) {
    pairs = matchTorchParams(options.template, params, options);
  } else {
    pairs = params.map((p) => ({ param: p, torchKey: (options.prefix ?? "") + defaultTorchName(p), torchShape: expectedTorchShape(p) }));
    const seen = new Set<string>();
    for (const q of pairs) {
      if (seen.has(q.torchKey)) {
        throw new WeightMappingError(`two parameters map to the torch name ${q.torchKey}; pass a template`);
      }
      seen.add(q.torchKey);
    }
  }
  const out: TorchStateDict = {};
  for (const { param: p, torchKey, torchShape } of pairs) {
    const v = values[p.name];
    if (v === undefined) throw new WeightMappingError(`no value for parameter ${p.name}`);
    if (v.shape !== undefined && !sameShape(v.shape, p.shape)) {
      throw new WeightMappingError(`${p.name} expects ${fmt(p.shape)} but the value has shape ${fmt(v.shape)}`);
    }
    if (v.data.length !== numel(p.shape)) {
      throw new WeightMappingError(`${p.name} expects ${fmt(p.shape)} (${numel(p.shape)} values) but the value has ${v.data.length}`);
    }
    const perm = ganccToTorchPerm(p);
    const data = perm === null ? Float32Array.from(v.data) : permute(v.data, p.shape, perm);
    out[torchKey] = { shape: torchShape, data };
  }
  return out;
}
