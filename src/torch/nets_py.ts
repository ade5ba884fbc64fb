/**
 * nets.py: one nn.Module class per distinct network, its layers in spec order inside
 * `self.model = nn.Sequential(...)`, residual blocks as `L.Residual` (body `conv_block`) and skip
 * blocks as `L.Skip` (body `model`). The module tree comes from src/io/weights.ts
 * `torchModulePaths`, the naming `gancc weights export` writes, so `state_dict()` keys are
 * torchNames' keys by construction (test/torch/nets.test.ts checks keys and shapes).
 *
 * When the net's graph is exactly that nesting (every layer reads the previous one; a block's
 * closing add / concat reads the block's input and its body's output) `forward` is
 * `self.model(x)`; otherwise (labelled tensors, concat / add of other layers) `forward` walks the
 * nodes explicitly, calling the same modules.
 *
 * The file also carries PARAMS: per net, each IR parameter's name, state_dict key, IR shape, the
 * permutation from IR layout to torch layout and, for a linear layer after a `flatten`, the
 * image [H, W, C] whose NHWC feature order gancc uses — what the runtime needs to move values
 * between gancc files (IR layout) and the modules.
 */
import type { Ir, IrNet, IrNode } from "../ir/schema.js";
import { ganccToTorchPerm } from "../io/torch_names.js";
import { irParamSpecs, linearFixes, torchModulePaths, torchNames } from "../io/weights.js";
import { TORCH_LAYERS } from "./layers.js";

interface Leaf {
  kind: "leaf";
  node: IrNode;
  index: number;
}
interface Block {
  kind: "residual" | "skip";
  index: number;
  /** the block's name in the IR ("G_AB/res1") */
  scope: string;
  /** the add / concat that closes it */
  close: IrNode;
  children: Child[];
}
type Child = Leaf | Block;

const PY_KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(" "),
);

/** A Python identifier for a gancc name. */
export function pyIdent(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]/g, "_");
  const t = /^[0-9]/.test(s) ? `_${s}` : s;
  return PY_KEYWORDS.has(t) ? `${t}_` : t;
}

/** The module tree of one net, from torchModulePaths. */
function moduleTree(net: IrNet): Child[] {
  const paths = torchModulePaths(net);
  const top: Child[] = [];
  const blocks = new Map<string, Block>(); // module path prefix ("10.conv_block") → block
  for (const node of net.nodes) {
    if (node.op === "input") continue;
    const path = paths.get(node.id);
    if (path === undefined) continue; // a block's closing add / concat (attached below)
    const segs = path.split(".");
    let list = top;
    for (let i = 0; i + 1 < segs.length; i += 2) {
      const prefix = segs.slice(0, i + 2).join(".");
      let b = blocks.get(prefix);
      if (!b) {
        b = { kind: segs[i + 1] === "conv_block" ? "residual" : "skip", index: Number(segs[i]), scope: "", close: node, children: [] };
        blocks.set(prefix, b);
        list.push(b);
      }
      list = b.children;
    }
    list.push({ kind: "leaf", node, index: Number(segs[segs.length - 1]) });
  }
  // each block's closing add / concat (`<scope>/residual_add` | `<scope>/skip_concat`): the
  // innermost scope holding every layer of the block, not already taken by a block inside it
  const leaves = (b: Block): IrNode[] => b.children.flatMap((c) => (c.kind === "leaf" ? [c.node] : leaves(c)));
  const closers = net.nodes.filter((n) => (n.op === "add" && n.id.endsWith("/residual_add")) || (n.op === "concat" && n.id.endsWith("/skip_concat")));
  const taken = new Set<string>();
  const attach = (list: Child[]) => {
    for (const c of list) {
      if (c.kind === "leaf") continue;
      attach(c.children); // inner blocks first
      const ls = leaves(c);
      const scopeOf = (x: IrNode) => x.id.slice(0, x.id.lastIndexOf("/"));
      const cand = closers
        .filter((x) => !taken.has(x.id) && ls.every((l) => l.id.startsWith(scopeOf(x) + "/")))
        .sort((x, y) => y.id.length - x.id.length)[0];
      if (!cand) throw new Error(`internal: no closing add/concat for a block of ${net.name} at ${ls[0]?.id}`);
      taken.add(cand.id);
      c.close = cand;
      c.scope = scopeOf(cand);
    }
  };
  attach(top);
  return top;
}

/** Whether `forward` can be `self.model(x)`: the graph is exactly the module nesting. */
function isSequential(children: Child[], input: string): string | null {
  let prev = input;
  for (const c of children) {
    if (c.kind === "leaf") {
      if (c.node.inputs.length !== 1 || c.node.inputs[0] !== prev) return null;
      prev = c.node.id;
    } else {
      const last = isSequential(c.children, prev);
      if (last === null) return null;
      const ins = c.close.inputs;
      const ok = c.kind === "skip" ? ins.length === 2 && ins[0] === prev && ins[1] === last : ins.length === 2 && ins.includes(prev) && ins.includes(last) && prev !== last;
      if (!ok) return null;
      prev = c.close.id;
    }
  }
  return prev;
}

function channelsOf(net: IrNet, id: string): number {
  const n = net.nodes.find((x) => x.id === id);
  if (!n) throw new Error(`internal: ${net.name} has no node ${id}`);
  return n.shape[n.shape.length - 1]!;
}

function local(net: IrNet, id: string): string {
  return id.startsWith(`${net.name}/`) ? id.slice(net.name.length + 1) : id;
}

/**
 * Ops whose backward pass does not read their own output, so an activation right after them may
 * overwrite it in place (as the official CycleGAN code's ReLU(True) does); tanh and sigmoid do
 * read it, and a tensor read by anything else (a labelled tensor, a block's input) is never
 * overwritten. Autograd would report a violation rather than compute a wrong gradient.
 */
const INPLACE_AFTER = new Set(["conv", "conv_transpose", "instance_norm", "batch_norm", "add", "concat", "linear", "upsample", "reflect_pad", "replicate_pad", "zero_pad", "avg_pool", "max_pool"]);

function canOverwriteInput(net: IrNet, node: IrNode): boolean {
  if ((node.op !== "relu" && node.op !== "leaky_relu") || node.inputs.length !== 1) return false;
  const src = net.nodes.find((n) => n.id === node.inputs[0]);
  if (!src || !INPLACE_AFTER.has(src.op)) return false;
  return net.nodes.filter((n) => n.inputs.includes(src.id)).length === 1;
}

function moduleLines(net: IrNet, children: Child[], indent: string): string[] {
  const out: string[] = [];
  for (const c of children) {
    if (c.kind === "leaf") {
      const make = TORCH_LAYERS[c.node.op];
      if (!make) throw new Error(`internal: no torch lowering for op '${c.node.op}' (node ${c.node.id})`);
      const inCh = c.node.inputs.length ? channelsOf(net, c.node.inputs[0]!) : 0;
      out.push(`${indent}${make(c.node, { inChannels: inCh, inplace: canOverwriteInput(net, c.node) })},  # ${c.index}: ${local(net, c.node.id)}`);
    } else {
      const cls = c.kind === "residual" ? "L.Residual" : "L.Skip";
      out.push(`${indent}${cls}(nn.Sequential(  # ${c.index}: ${local(net, c.scope)} (${c.kind === "residual" ? "x + body(x)" : "cat([x, body(x)], channels)"})`);
      out.push(...moduleLines(net, c.children, indent + "    "));
      out.push(`${indent})),`);
    }
  }
  return out;
}

/** Explicit forward: one line per node, calling the modules by path. */
function explicitForward(net: IrNet): string[] {
  const paths = torchModulePaths(net);
  const names = new Map<string, string>();
  const lines: string[] = [];
  const input = net.nodes[0]!;
  names.set(input.id, "x");
  let k = 0;
  for (const node of net.nodes) {
    if (node.op === "input") continue;
    const v = `h${++k}`;
    const xs = node.inputs.map((i) => names.get(i) ?? "x");
    const path = paths.get(node.id);
    let expr: string;
    if (path === undefined) {
      expr = node.op === "concat" ? `torch.cat([${xs.join(", ")}], 1)` : xs.join(" + ");
    } else {
      const access = path
        .split(".")
        .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
        .join("");
      expr = `self.model${access}(${xs.join(", ")})`;
    }
    lines.push(`        ${v} = ${expr}  # ${local(net, node.id)}`);
    names.set(node.id, v);
  }
  lines.push(`        return h${k}`);
  return lines;
}

function classBody(net: IrNet): string[] {
  const tree = moduleTree(net);
  const seq = isSequential(tree, net.nodes[0]!.id) === net.nodes[net.nodes.length - 1]!.id;
  const lines = ["    def __init__(self):", "        super().__init__()", "        self.model = nn.Sequential("];
  lines.push(...moduleLines(net, tree, "            "));
  lines.push("        )", "", "    def forward(self, x):");
  if (seq) lines.push("        return self.model(x)");
  else lines.push(...explicitForward(net));
  return lines;
}

function paramTable(net: IrNet): string[] {
  const keys = torchNames(net, "model.");
  const fixes = linearFixes(net);
  const rows = irParamSpecs(net).map((p) => {
    const perm = ganccToTorchPerm(p);
    const fix = fixes.get(p.name);
    const tup = (xs: readonly number[] | null | undefined) => (xs ? `(${xs.join(", ")}${xs.length === 1 ? "," : ""})` : "None");
    return `        (${JSON.stringify(p.name)}, ${JSON.stringify(keys.get(p.name))}, ${tup(p.shape)}, ${tup(perm)}, ${tup(fix)}),`;
  });
  return [`    ${JSON.stringify(net.name)}: [`, ...rows, "    ],"];
}

/** The text of nets.py for an IR. */
export function netsPy(ir: Ir): string {
  const classes = new Map<string, { body: string; nets: IrNet[] }>();
  const classOf = new Map<string, string>();
  for (const net of ir.nets) {
    const body = classBody(net).join("\n");
    const base = pyIdent(net.network);
    let name = base;
    const same = [...classes.entries()].find(([, c]) => c.body === body && c.nets[0]!.network === net.network);
    if (same) {
      same[1].nets.push(net);
      classOf.set(net.name, same[0]);
      continue;
    }
    if (classes.has(name) || ir.nets.some((n) => pyIdent(n.name) === name && n.network !== net.network)) name = `${base}_${pyIdent(net.name)}`;
    classes.set(name, { body, nets: [net] });
    classOf.set(net.name, name);
  }
  const out: string[] = [
    `"""The networks of gan \`${ir.spec.name}\` (${ir.spec.file}), generated by gancc from its IR.`,
    "",
    "Layout NCHW. Submodule names give the state_dict keys `gancc weights export` writes (one",
    "nn.Sequential `model`, every layer numbered, residual blocks `N.conv_block.M`, skip blocks",
    "`N.model.M`), so a state_dict saved here loads with `gancc weights import` and back.",
    '"""',
    "import torch",
    "from torch import nn",
    "",
    "from gancc_torch import layers as L",
    "",
  ];
  for (const [name, c] of classes) {
    const n0 = c.nets[0]!;
    const args = Object.entries(n0.args)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(", ");
    const shape = (t: IrNet["input"]) => `${t.kind}[${t.kind === "image" ? t.channels : t.shape[0]}]`;
    out.push(
      "",
      `class ${name}(nn.Module):`,
      `    """${n0.network}(${args}): ${shape(n0.input)} -> ${shape(n0.output)}; nets ${c.nets.map((n) => n.name).join(", ")} (${n0.span.file}:${n0.span.line})."""`,
      "",
      c.body,
      "",
    );
  }
  out.push(
    "",
    "def build_nets():",
    '    """Every net of the spec, by name (fresh modules; the runtime loads the initial weights)."""',
    `    return {${ir.nets.map((n) => `${JSON.stringify(n.name)}: ${classOf.get(n.name)}()`).join(", ")}}`,
    "",
    "",
    "# Per net: (IR parameter name, state_dict key, IR shape, permutation IR -> torch layout,",
    "# NHWC image [H, W, C] a linear layer's input was flattened from, or None).",
    "PARAMS = {",
    ...ir.nets.flatMap(paramTable),
    "}",
    "",
  );
  return out.join("\n");
}
