// gancc weights files: trained (or imported) parameter values of one or more nets.
//
// A weights file is a safetensors file (src/io/safetensors.ts) whose tensors are named by
// their IR parameter names ("G_AB/res3/conv1/kernel"), are F32, and are in gancc layout (NHWC
// world: conv kernels HWIO, conv-transpose kernels HWOI, linear kernels [in, out]). Its
// `__metadata__` (all values strings) holds:
//   format          "gancc-weights"
//   format_version  "1"
//   ir_version      the IR version the names and shapes follow ("1")
//   spec_name       the spec's `gan` name
//   spec_sha256     the spec text's sha256 (as in the IR)
//   nets            the nets whose parameters the file holds, comma-separated ("G_AB,G_BA")
//   ir              optional: the whole IR as JSON, so that the file alone is enough to build and
//                   run its nets (`gancc translate WEIGHTS`, `gancc weights export`)
// plus any extra keys a writer adds (e.g. `source` for an imported checkpoint).
//
// Every parameter of each listed net is present (state such as batch-norm running statistics
// included); nothing else is. Readers check this against the stored IR when there is one.
import { basename } from "node:path";
import { IR_VERSION } from "../ir/enums.js";
import type { Ir, IrNet } from "../ir/schema.js";
import { readIr, validateIr } from "../ir/validate.js";
import {
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  numel,
  readSafetensorsFile,
  readSafetensorsFileSync,
  writeSafetensorsFile,
  writeSafetensorsFileSync,
  type SafeTensor,
  type SafetensorsContents,
} from "./safetensors.js";
import {
  ROLE_TO_TORCH,
  expectedTorchShape,
  exportTorch,
  importTorch,
  type GanccParamOp,
  type GanccParamRole,
  type GanccParamSpec,
  type MappingOptions,
  type TorchStateDict,
} from "./torch_names.js";
import type { HostTensor } from "./tensor.js";

export const WEIGHTS_FORMAT = "gancc-weights";
export const WEIGHTS_FORMAT_VERSION = "1";

/** Metadata keys a weights file reserves (extraMetadata may not set them). */
export const RESERVED_METADATA = ["format", "format_version", "ir_version", "spec_name", "spec_sha256", "nets", "ir"] as const;

export type WeightTensors = Map<string, HostTensor>;

export class WeightsError extends Error {
  /** the file the problem is in, when there is one */
  readonly file?: string;
  /** the tensor the problem is about, when there is one */
  readonly tensor?: string;
  constructor(message: string, where: { file?: string; tensor?: string } = {}) {
    super(message);
    this.name = "WeightsError";
    this.file = where.file;
    this.tensor = where.tensor;
  }
}

function fmt(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// ---------------------------------------------------------------------------------------------
// Parameter lists

const PARAM_OPS: ReadonlySet<string> = new Set<GanccParamOp>(["conv", "conv_transpose", "instance_norm", "batch_norm", "linear"]);
const PARAM_ROLES: ReadonlySet<string> = new Set<GanccParamRole>(["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"]);

/**
 * The net's parameters in forward order (node order, then each node's own parameter order),
 * with the op and role the PyTorch mapping needs: the op is the owning node's op, the role the
 * last component of the parameter's name.
 */
export function irParamSpecs(net: IrNet): GanccParamSpec[] {
  const shapes = new Map(net.params.map((p) => [p.name, p.shape]));
  const out: GanccParamSpec[] = [];
  const seen = new Set<string>();
  for (const node of net.nodes) {
    for (const name of node.params) {
      const shape = shapes.get(name);
      if (shape === undefined) {
        throw new WeightsError(`net ${net.name}: node ${node.id} lists parameter ${name}, which the net does not declare (a corrupt IR; recompile the spec)`);
      }
      if (!PARAM_OPS.has(node.op)) {
        throw new WeightsError(`net ${net.name}: ${name} belongs to a \`${node.op}\` layer, which has no weight mapping (supported: ${[...PARAM_OPS].join(", ")})`);
      }
      const role = name.slice(name.lastIndexOf("/") + 1);
      if (!PARAM_ROLES.has(role)) {
        throw new WeightsError(`net ${net.name}: ${name} has an unknown role \`${role}\` (expected one of ${[...PARAM_ROLES].join(", ")})`);
      }
      seen.add(name);
      out.push({ name, shape: [...shape], op: node.op as GanccParamOp, role: role as GanccParamRole });
    }
  }
  for (const p of net.params) {
    if (!seen.has(p.name)) throw new WeightsError(`net ${net.name}: parameter ${p.name} belongs to no node (a corrupt IR; recompile the spec)`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// PyTorch names

/**
 * PyTorch state_dict names for a net's parameters, as an nn.Sequential built from the IR's layer
 * order would have them (the naming of the CycleGAN seed and of the official ResnetGenerator /
 * PatchGAN): every layer takes the next index, parameter-free ones (pads, norms without affine
 * parameters, activations, dropout, ...) included; the input node takes none. A residual block
 * (`residual { ... }` or a `residual` block) is one module, its body numbered inside it as
 * `N.conv_block.M`; a skip block likewise as `N.model.M`; the add / concat that closes them takes
 * no index. Leaves: kernel and gamma -> `weight`, bias and beta -> `bias`, moving_mean ->
 * `running_mean`, moving_variance -> `running_var`.
 *
 * E.g. with prefix "model.", specs/cyclegan.gan's ResnetGenerator gives model.1.weight (c7s1 conv),
 * model.4/7 (down), model.10.conv_block.1 and .5 ... model.18 (residual blocks), model.19/22
 * (conv-transposes), model.26 (last conv); PatchGAN gives model.0, 2, 5, 8, 11.
 */
export function torchNames(net: IrNet, prefix = "model."): Map<string, string> {
  const modulePath = torchModulePaths(net);
  const leaf = ROLE_TO_TORCH;
  const out = new Map<string, string>();
  for (const n of net.nodes) {
    for (const p of n.params) {
      const role = p.slice(p.lastIndexOf("/") + 1) as GanccParamRole;
      out.set(p, `${prefix}${modulePath.get(n.id)}.${leaf[role] ?? role}`);
    }
  }
  return out;
}

/**
 * The module path of every layer node under the net's nn.Sequential (the naming torchNames
 * describes), e.g. "1", "10.conv_block.5"; the input node and the add / concat that close a
 * residual or skip block have none (the block's path is the common prefix of its body's paths).
 * The PyTorch code generator (src/torch) builds nets.py's module tree from it, so nets.py's
 * state_dict keys are torchNames' by construction.
 */
export function torchModulePaths(net: IrNet): Map<string, string> {
  // the scopes that residual / skip wrappers close: "G_AB/res1" -> its wrapper node
  const wrappers = new Map<string, { kind: "residual" | "skip"; id: string }>();
  for (const n of net.nodes) {
    if (n.op === "add" && n.id.endsWith("/residual_add")) wrappers.set(n.id.slice(0, -"/residual_add".length), { kind: "residual", id: n.id });
    else if (n.op === "concat" && n.id.endsWith("/skip_concat")) wrappers.set(n.id.slice(0, -"/skip_concat".length), { kind: "skip", id: n.id });
  }
  interface Container {
    scope: string; // "" for the top level
    path: string; // module path prefix of its children, e.g. "10.conv_block."
    next: number;
  }
  const stack: Container[] = [{ scope: "", path: "", next: 0 }];
  const open = (scope: string) => {
    const parent = stack[stack.length - 1]!;
    const idx = parent.next++;
    const child = wrappers.get(scope)!.kind === "residual" ? "conv_block" : "model";
    stack.push({ scope, path: `${parent.path}${idx}.${child}.`, next: 0 });
  };
  const modulePath = new Map<string, string>();
  for (const n of net.nodes) {
    if (n.op === "input") continue;
    const closing = [...wrappers.entries()].find(([, w]) => w.id === n.id)?.[0];
    // the wrapper scopes this node lies in, outermost first
    const enclosing = [...wrappers.keys()]
      .filter((s) => n.id.startsWith(s + "/") && s !== closing)
      .sort((a, b) => a.length - b.length);
    if (closing !== undefined) enclosing.push(closing);
    // leave scopes this node is not in (normally already closed by their wrapper)
    while (stack.length > 1 && !enclosing.includes(stack[stack.length - 1]!.scope)) stack.pop();
    for (const s of enclosing) if (!stack.some((c) => c.scope === s)) open(s);
    if (closing !== undefined) {
      // the wrapper ends its block and takes no index of its own
      while (stack.length > 1 && stack[stack.length - 1]!.scope !== closing) stack.pop();
      if (stack.length > 1) stack.pop();
      continue;
    }
    const c = stack[stack.length - 1]!;
    modulePath.set(n.id, `${c.path}${c.next++}`);
  }
  return modulePath;
}

/** A state_dict shape template for exportTorch: the torchNames keys with their torch shapes. */
export function torchTemplate(net: IrNet, prefix = "model."): Record<string, { shape: number[] }> {
  const names = torchNames(net, prefix);
  const out: Record<string, { shape: number[] }> = {};
  for (const p of irParamSpecs(net)) out[names.get(p.name)!] = { shape: expectedTorchShape(p) };
  return out;
}

// ---------------------------------------------------------------------------------------------
// Whole-net mapping (importTorch / exportTorch plus what they cannot know from a parameter list)

/**
 * The [H, W, C] image a linear layer's input was flattened from, when its rows need reordering:
 * gancc flattens NHWC (feature (h*W + w)*C + c), PyTorch NCHW (feature c*H*W + h*W + w). Walks
 * back from the linear node through shape-preserving vector layers (dropout, activations) to a
 * `flatten`. Undefined when the orders agree (no flatten, or H*W = 1, or C = 1).
 */
function flattenedImage(net: IrNet, linearId: string): [number, number, number] | undefined {
  const byId = new Map(net.nodes.map((n) => [n.id, n]));
  const linear = byId.get(linearId);
  let cur = linear ? byId.get(linear.inputs[0] ?? "") : undefined;
  while (cur && cur.op !== "flatten") {
    const src = byId.get(cur.inputs[0] ?? "");
    if (cur.inputs.length !== 1 || !src || cur.shape.length !== 1 || !sameShape(src.shape, cur.shape)) return undefined;
    cur = src;
  }
  if (!cur) return undefined;
  const img = byId.get(cur.inputs[0] ?? "")?.shape;
  if (!img || img.length !== 3) return undefined;
  const [h, w, c] = img as [number, number, number];
  return h * w > 1 && c > 1 ? [h, w, c] : undefined;
}

/** Reorder the rows of a [in, out] kernel between NCHW-flattened (torch) and NHWC-flattened (gancc) features. */
function reorderRows(data: Float32Array, out: number, [h, w, c]: [number, number, number], toGancc: boolean): Float32Array {
  const res = new Float32Array(data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) {
        const g = ((y * w + x) * c + k) * out;
        const t = ((k * h + y) * w + x) * out;
        if (toGancc) res.set(data.subarray(t, t + out), g);
        else res.set(data.subarray(g, g + out), t);
      }
  return res;
}

export function linearFixes(net: IrNet): Map<string, [number, number, number]> {
  const fixes = new Map<string, [number, number, number]>();
  for (const n of net.nodes) {
    if (n.op !== "linear") continue;
    const img = flattenedImage(net, n.id);
    const kernel = n.params.find((p) => p.endsWith("/kernel"));
    if (img && kernel) fixes.set(kernel, img);
  }
  return fixes;
}

/**
 * importTorch for a whole IR net: pairs the state_dict's tensors (those under `options.prefix`)
 * with the net's parameters by layer order and returns them in gancc layout, in IR order. Also
 * reorders the rows of a linear layer that follows a `flatten` of a multi-pixel image (torch
 * flattens C,H,W; gancc H,W,C). Throws WeightMappingError at the first parameter that differs.
 */
export function importTorchNet(stateDict: TorchStateDict, net: IrNet, options: MappingOptions = {}): WeightTensors {
  const values = importTorch(stateDict, irParamSpecs(net), options);
  const out: WeightTensors = new Map();
  const fixes = linearFixes(net);
  for (const [name, v] of Object.entries(values)) {
    const img = fixes.get(name);
    out.set(name, img ? { shape: v.shape, data: reorderRows(v.data, v.shape[1]!, img, true) } : v);
  }
  return out;
}

/**
 * The reverse of importTorchNet: the net's values (gancc layout) as a torch state_dict named by
 * torchNames(net, prefix). Bit-exact: values are only moved.
 */
export function exportTorchNet(net: IrNet, values: ReadonlyMap<string, HostTensor>, prefix = "model."): TorchStateDict {
  const fixes = linearFixes(net);
  const vals: Record<string, HostTensor> = {};
  for (const p of net.params) {
    const v = values.get(p.name);
    if (v === undefined) throw new WeightsError(`no value for ${p.name} (net ${net.name})`, { tensor: p.name });
    const img = fixes.get(p.name);
    vals[p.name] = img && v.shape.length === 2 && v.data.length === numel(v.shape) ? { shape: v.shape, data: reorderRows(v.data, v.shape[1]!, img, false) } : v;
  }
  return exportTorch(irParamSpecs(net), vals, { template: torchTemplate(net, prefix) });
}

// ---------------------------------------------------------------------------------------------
// Checking

export interface WeightsProblem {
  kind: "missing" | "unexpected" | "shape";
  /** the tensor / parameter name */
  name: string;
  /** the IR's shape (missing, shape) */
  expected?: number[];
  /** the file's shape (unexpected, shape) */
  found?: number[];
  /** one line for a human */
  message: string;
}

/**
 * Compare the tensors that belong to `net` (names starting with "<net>/") with the net's
 * parameters: missing ones, unexpected ones, and shape differences (in IR parameter order, then
 * the unexpected ones in name order). Tensors of other nets are ignored.
 */
export function checkWeightsAgainstNet(tensors: ReadonlyMap<string, { shape: number[] }>, net: IrNet): WeightsProblem[] {
  const problems: WeightsProblem[] = [];
  const declared = new Set<string>();
  for (const p of net.params) {
    declared.add(p.name);
    const t = tensors.get(p.name);
    if (t === undefined) {
      problems.push({ kind: "missing", name: p.name, expected: [...p.shape], message: `${p.name} ${fmt(p.shape)} is missing` });
    } else if (!sameShape(t.shape, p.shape)) {
      problems.push({
        kind: "shape",
        name: p.name,
        expected: [...p.shape],
        found: [...t.shape],
        message: `${p.name}: the net expects ${fmt(p.shape)} but the weights have ${fmt(t.shape)}`,
      });
    }
  }
  const own = [...tensors.keys()].filter((k) => k.startsWith(net.name + "/") && !declared.has(k)).sort();
  for (const k of own) {
    const shape = tensors.get(k)!.shape;
    problems.push({ kind: "unexpected", name: k, found: [...shape], message: `${k} ${fmt(shape)} is not a parameter of ${net.name}` });
  }
  return problems;
}

/** Throws a WeightsError describing the first few problems, with what to do about them. */
function throwProblems(problems: WeightsProblem[], net: IrNet, file: string | undefined, what: string): void {
  if (problems.length === 0) return;
  const head = problems.slice(0, 5).map((p) => `  ${p.message}`).join("\n");
  const more = problems.length > 5 ? `\n  ... and ${problems.length - 5} more` : "";
  const where = file ? `${file}: ` : "";
  throw new WeightsError(
    `${where}${what} do not fit net ${net.name} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${head}${more}\n` +
      `The weights were made for a different architecture: use the spec and --set values they were made with, ` +
      `or re-import the original checkpoint against this spec.`,
    { file, tensor: problems[0]!.name },
  );
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface SaveWeightsOptions {
  ir: Ir;
  /** the nets the file holds (default: every IR net that has a tensor in `tensors`) */
  nets?: string[];
  /** IR parameter name -> value in gancc layout */
  tensors: ReadonlyMap<string, HostTensor>;
  /** store the IR in the metadata (default true) */
  includeIr?: boolean;
  /** more metadata; may not use the reserved keys */
  extraMetadata?: Record<string, string>;
}

function selectNets(ir: Ir, tensors: ReadonlyMap<string, HostTensor>, nets: string[] | undefined, file: string | undefined): IrNet[] {
  const where = file ? `${file}: ` : "";
  const names = nets ?? ir.nets.filter((n) => [...tensors.keys()].some((k) => k.startsWith(n.name + "/"))).map((n) => n.name);
  if (names.length === 0) {
    throw new WeightsError(`${where}no tensors to save: none is named after a net of ${ir.spec.name} (${ir.nets.map((n) => n.name).join(", ")})`, { file });
  }
  const out: IrNet[] = [];
  for (const name of names) {
    const net = ir.nets.find((n) => n.name === name);
    if (!net) throw new WeightsError(`${where}${ir.spec.name} has no net ${name} (its nets: ${ir.nets.map((n) => n.name).join(", ")})`, { file });
    if (out.includes(net)) throw new WeightsError(`${where}net ${name} is listed twice`, { file });
    out.push(net);
  }
  return out;
}

/** Check the tensors against the IR and build the safetensors tensors and metadata. */
function prepareWeights(opts: SaveWeightsOptions, file: string | undefined): { tensors: Record<string, SafeTensor>; metadata: Record<string, string> } {
  const where = file ? `${file}: ` : "";
  const err = validateIr(opts.ir);
  if (err) throw new WeightsError(`${where}the IR to store is not valid: ${err}`, { file });
  const nets = selectNets(opts.ir, opts.tensors, opts.nets, file);
  for (const net of nets) throwProblems(checkWeightsAgainstNet(opts.tensors, net), net, file, "the tensors to save");
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, t] of opts.tensors) {
    if (!nets.some((n) => name.startsWith(n.name + "/"))) {
      throw new WeightsError(`${where}tensor ${name} belongs to none of the nets being saved (${nets.map((n) => n.name).join(", ")})`, { file, tensor: name });
    }
    if (!(t.data instanceof Float32Array)) throw new WeightsError(`${where}tensor ${name} must be a Float32Array`, { file, tensor: name });
    if (t.data.length !== numel(t.shape)) {
      throw new WeightsError(`${where}tensor ${name} has shape ${fmt(t.shape)} (${numel(t.shape)} values) but holds ${t.data.length} values`, { file, tensor: name });
    }
    tensors[name] = { dtype: "F32", shape: [...t.shape], data: t.data };
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.extraMetadata ?? {})) {
    if ((RESERVED_METADATA as readonly string[]).includes(k)) throw new WeightsError(`${where}metadata key "${k}" is reserved for the weights format`, { file });
    if (typeof v !== "string") throw new WeightsError(`${where}metadata "${k}" must be a string`, { file });
    metadata[k] = v;
  }
  Object.assign(metadata, {
    format: WEIGHTS_FORMAT,
    format_version: WEIGHTS_FORMAT_VERSION,
    ir_version: String(opts.ir.irVersion),
    spec_name: opts.ir.spec.name,
    spec_sha256: opts.ir.spec.sha256,
    nets: nets.map((n) => n.name).join(","),
  });
  if (opts.includeIr ?? true) metadata["ir"] = JSON.stringify(opts.ir);
  return { tensors, metadata };
}

function asWeightsError(e: unknown, file: string | undefined, hint = ""): unknown {
  if (e instanceof SafetensorsError) return new WeightsError(`${e.message}${hint}`, { file });
  return e;
}

/** What to do about a read failure: a missing/unreadable file, or a damaged one. */
function readHint(e: unknown): string {
  if (e instanceof SafetensorsError && /cannot read the file/.test(e.message)) return " (check the path)";
  return READ_HINT;
}

/** The safetensors bytes of a weights file (checks the tensors against the IR first). */
export function encodeWeights(opts: SaveWeightsOptions, file?: string): Uint8Array {
  const { tensors, metadata } = prepareWeights(opts, file);
  try {
    return encodeSafetensors(tensors, metadata);
  } catch (e) {
    throw asWeightsError(e, file);
  }
}

const WRITE_HINT = " (check that the directory exists and is writable)";

/** Write a weights file atomically (a temporary file renamed over `path`). */
export async function saveWeights(path: string, opts: SaveWeightsOptions): Promise<void> {
  const { tensors, metadata } = prepareWeights(opts, path);
  try {
    await writeSafetensorsFile(path, tensors, metadata);
  } catch (e) {
    throw asWeightsError(e, path, WRITE_HINT);
  }
}

export function saveWeightsSync(path: string, opts: SaveWeightsOptions): void {
  const { tensors, metadata } = prepareWeights(opts, path);
  try {
    writeSafetensorsFileSync(path, tensors, metadata);
  } catch (e) {
    throw asWeightsError(e, path, WRITE_HINT);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface WeightsInfo {
  formatVersion: string;
  irVersion: number;
  specName: string;
  specSha256: string;
  nets: string[];
}

export interface LoadedWeights {
  /** IR parameter name -> value (gancc layout), in IR order when the IR is stored */
  tensors: WeightTensors;
  /** the raw metadata (all keys, `ir` included when present) */
  metadata: Record<string, string>;
  info: WeightsInfo;
  /** the stored IR, validated; undefined when the file was written without it */
  ir?: Ir;
}

/** Is this safetensors metadata a gancc weights file's? */
export function isWeightsMetadata(metadata: Record<string, string>): boolean {
  return metadata["format"] === WEIGHTS_FORMAT;
}

/** Check and convert decoded safetensors contents into a weights file's contents. */
export function weightsFromContents(contents: SafetensorsContents, file: string): LoadedWeights {
  const md = contents.metadata;
  const fail = (msg: string, tensor?: string): never => {
    throw new WeightsError(`${file}: ${msg}`, { file, tensor });
  };
  if (!isWeightsMetadata(md)) {
    const torchy = Object.keys(contents.tensors).some((k) => /\.(weight|bias|running_mean|running_var)$/.test(k));
    fail(
      md["format"] === undefined
        ? `not a gancc weights file (its metadata has no "format": "${WEIGHTS_FORMAT}")` +
            (torchy ? `; it looks like a PyTorch state_dict: convert it with \`gancc weights import SPEC --net NET --from ${basename(file)}\`` : "")
        : `not a gancc weights file (format "${md["format"]}", expected "${WEIGHTS_FORMAT}")` +
            (torchy ? `; if it is a PyTorch state_dict, convert it with \`gancc weights import SPEC --net NET --from ${basename(file)}\`` : ""),
    );
  }
  if (md["format_version"] !== WEIGHTS_FORMAT_VERSION) {
    fail(`weights format version ${md["format_version"] ?? "(none)"} is not supported (this gancc reads version ${WEIGHTS_FORMAT_VERSION}); use the gancc that wrote it, or re-export the weights`);
  }
  for (const k of ["ir_version", "spec_name", "spec_sha256", "nets"]) {
    if (md[k] === undefined) fail(`metadata "${k}" is missing (a damaged or hand-made file; re-create it with \`gancc weights import\`)`);
  }
  const irVersion = Number(md["ir_version"]);
  if (irVersion !== IR_VERSION) {
    fail(`the weights follow IR version ${md["ir_version"]}, but this gancc reads version ${IR_VERSION}; re-import the weights with this gancc`);
  }
  const nets = md["nets"]!.split(",").map((s) => s.trim()).filter(Boolean);
  if (nets.length === 0) fail(`metadata "nets" lists no nets`);

  let ir: Ir | undefined;
  if (md["ir"] !== undefined) {
    const r = readIr(md["ir"], `${file} (stored IR)`);
    if (r.error !== undefined || !r.ir) return fail(`the stored IR is not usable: ${r.error ?? "unknown error"}`);
    ir = r.ir;
    if (ir.spec.sha256 !== md["spec_sha256"] || ir.spec.name !== md["spec_name"]) {
      fail(`the stored IR is for spec ${ir.spec.name} (sha256 ${ir.spec.sha256.slice(0, 12)}…) but the metadata says ${md["spec_name"]} (${md["spec_sha256"]!.slice(0, 12)}…); the file is damaged`);
    }
  }

  const tensors: WeightTensors = new Map();
  for (const [name, t] of Object.entries(contents.tensors)) {
    if (t.dtype !== "F32" || !(t.data instanceof Float32Array)) {
      fail(`tensor ${name} is ${t.dtype}, but gancc weights are F32`, name);
    }
    if (!nets.some((n) => name.startsWith(n + "/"))) {
      fail(`tensor ${name} belongs to none of the file's nets (${nets.join(", ")})`, name);
    }
    tensors.set(name, { shape: t.shape, data: t.data as Float32Array });
  }
  if (ir) {
    const order: string[] = [];
    for (const n of nets) {
      const net = ir.nets.find((x) => x.name === n);
      if (!net) return fail(`metadata lists net ${n}, which the stored IR does not have (its nets: ${ir.nets.map((x) => x.name).join(", ")})`);
      throwProblems(checkWeightsAgainstNet(tensors, net), net, file, "the stored tensors");
      order.push(...net.params.map((p) => p.name));
    }
    const ordered: WeightTensors = new Map(order.map((k) => [k, tensors.get(k)!]));
    return { tensors: ordered, metadata: md, info: infoOf(md, nets), ir };
  }
  for (const n of nets) {
    if (![...tensors.keys()].some((k) => k.startsWith(n + "/"))) fail(`metadata lists net ${n} but the file has no tensors for it`);
  }
  return { tensors, metadata: md, info: infoOf(md, nets) };
}

function infoOf(md: Record<string, string>, nets: string[]): WeightsInfo {
  return {
    formatVersion: md["format_version"]!,
    irVersion: Number(md["ir_version"]),
    specName: md["spec_name"]!,
    specSha256: md["spec_sha256"]!,
    nets,
  };
}

const READ_HINT =
  "\nThe file is not a readable weights file: re-create it (e.g. with `gancc weights import`), or copy it again if a transfer was cut short.";

/** Decode a weights file from bytes (`file` names it in errors). */
export function decodeWeights(bytes: Uint8Array, file = "<buffer>"): LoadedWeights {
  let contents: SafetensorsContents;
  try {
    contents = decodeSafetensors(bytes, file);
  } catch (e) {
    throw asWeightsError(e, file, readHint(e));
  }
  return weightsFromContents(contents, file);
}

/** Read and check a weights file; the stored IR, if any, is schema-validated and checked against the tensors. */
export async function loadWeights(path: string): Promise<LoadedWeights> {
  let contents: SafetensorsContents;
  try {
    contents = await readSafetensorsFile(path);
  } catch (e) {
    throw asWeightsError(e, path, readHint(e));
  }
  return weightsFromContents(contents, path);
}

export function loadWeightsSync(path: string): LoadedWeights {
  let contents: SafetensorsContents;
  try {
    contents = readSafetensorsFileSync(path);
  } catch (e) {
    throw asWeightsError(e, path, readHint(e));
  }
  return weightsFromContents(contents, path);
}

/** The tensors of one net of a loaded file, checked against that net (the IR's or a given one). */
export function netWeights(loaded: LoadedWeights, net: IrNet, file?: string): WeightTensors {
  if (!loaded.info.nets.includes(net.name)) {
    throw new WeightsError(`${file ? `${file}: ` : ""}holds no weights for net ${net.name} (it has ${loaded.info.nets.join(", ")})`, { file });
  }
  throwProblems(checkWeightsAgainstNet(loaded.tensors, net), net, file, "the weights");
  return new Map(net.params.map((p) => [p.name, loaded.tensors.get(p.name)!]));
}
