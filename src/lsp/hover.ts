// Hovers: what the checker knows about the thing under the cursor, in Markdown.
import type { Hover } from "vscode-languageserver";
import { formatCount, summarizeNet } from "../compiler/summary.js";
import type * as A from "../dsl/ast.js";
import type { IrNet, IrValue } from "../ir/schema.js";
import type { Analysis } from "./analysis.js";
import { rangeOf, showShape, spanKey } from "./convert.js";
import { type Def, type Model, type Occ, isOp } from "./model.js";
import { groupUses, layerUses } from "./shapes.js";
import { argLines, lossFunctionDoc, settingSpec, showValue, signature, tableEntry, typeText } from "./tables.js";

const MAX_ROWS = 12;
const MAX_PATHS = 3;

export function hover(a: Analysis, m: Model, offset: number): Hover | undefined {
  const o = m.at(offset);
  if (!o) return undefined;
  const md = hoverText(a, m, o);
  return md ? { contents: { kind: "markdown", value: md }, range: rangeOf(a.source, o.span) } : undefined;
}

function hoverText(a: Analysis, m: Model, o: Occ): string | undefined {
  switch (o.kind) {
    case "op":
      return layerHover(a, m, o.layer);
    case "def":
    case "ref": {
      const d = m.defs.get(o.key);
      if (!d) return undefined;
      if (o.kind === "ref" && o.layer) return layerHover(a, m, o.layer);
      if (o.kind === "ref" && o.call && d.kind === "net") return [valueHover(a, m, o.call, `\`${text(a, o.call.span)}\``), netHover(a, m, d.name)].filter(Boolean).join("\n\n---\n\n");
      return defHover(a, m, d);
    }
    case "argKey":
      return argKeyHover(o);
    case "callee": {
      const e = tableEntry(o.table, o.name);
      return e ? [code(signature(o.name, e.args, e.variadic)), e.doc, ...argLines(e.args)].join("\n\n") : undefined;
    }
    case "lossFn": {
      const doc = lossFunctionDoc(o.name);
      return [`**${o.name}** · loss function`, doc, valueHover(a, m, o.call, `\`${o.name}(…)\``)].filter(Boolean).join("\n\n");
    }
    case "setting": {
      const s = settingSpec(o.section, o.name);
      if (!s) return undefined;
      const now = currentSetting(a, o.section, o.name);
      return [
        `**${o.name}** · ${o.section} setting: ${typeText(s)}${s.default === undefined ? "" : ` (default ${showValue(s.default)})`}`,
        s.doc,
        now === undefined ? undefined : `value: \`${now}\``,
      ]
        .filter(Boolean)
        .join("\n\n");
    }
    case "name":
      if (o.name === "real" || o.name === "fake") return `\`${o.name}\`: the target of a GAN criterion (${o.name === "real" ? "1" : "0"} for lsgan and vanilla)`;
      return undefined;
  }
}

function code(s: string): string {
  return "```gan\n" + s + "\n```";
}

function text(a: Analysis, s: A.Span): string {
  const t = a.text.slice(s.start, s.end).replace(/\s+/g, " ");
  return t.length > 60 ? `${t.slice(0, 57)}…` : t;
}

/** "at 256×256 (--set ngf=8)" */
function atSize(a: Analysis): string {
  const size = a.settings.size ?? a.ir?.data.crop;
  const overrides = Object.entries(a.ir?.spec.overrides ?? {});
  const set = overrides.length ? ` with ${overrides.map(([k, v]) => `\`--set ${k}=${v}\``).join(" ")}` : "";
  return size ? `at ${size}×${size}${set}` : set;
}

function countText(n: number): string {
  return `${formatCount(n)} param${n === 1 ? "" : "s"}`;
}

function pathsText(paths: string[]): string {
  const shown = paths.slice(0, MAX_PATHS).map((p) => `\`${p}\``).join(", ");
  return paths.length > MAX_PATHS ? `${shown} and ${paths.length - MAX_PATHS} more` : shown;
}

function usesTable(a: Analysis, m: Model, layer: A.Layer): string {
  const uses = layerUses(m, layer);
  if (!uses.length) {
    if (a.syntaxErrors) return "_no shape: the spec has syntax errors here_";
    return "_no shape: no net reaches this layer (an uninstantiated network, an unused block, a branch not taken, or an error before it)_";
  }
  const groups = groupUses(uses);
  const head = groups[0]!;
  const lines = [`→ **${showShape(head.output)}** · **${countText(head.params)}**${groups.length > 1 ? ` (and ${groups.length - 1} other shape${groups.length > 2 ? "s" : ""})` : ""} ${atSize(a)}`];
  lines.push("", "| where | input | output | params |", "|---|---|---|---:|");
  for (const g of groups.slice(0, MAX_ROWS)) lines.push(`| ${pathsText(g.paths)} | ${showShape(g.input)} | ${showShape(g.output)} | ${formatCount(g.params)} |`);
  if (groups.length > MAX_ROWS) lines.push(`| … ${groups.length - MAX_ROWS} more | | | |`);
  return lines.join("\n");
}

function layerHover(a: Analysis, m: Model, layer: A.LayerCall): string {
  const name = layer.callee.name;
  const block = m.block(name);
  let head: string;
  if (block) {
    const params = block.params.map((p) => (p.default ? `${p.name.name} = ${text(a, p.default.span)}` : p.name.name)).join(", ");
    head = [`**${name}** · block (line ${block.name.span.line})`, code(`block ${name}(${params})${block.form ? ` ${block.form}` : ""}`)].join("\n\n");
  } else if (isOp(name)) {
    const e = tableEntry("op", name)!;
    head = [`**${name}** · layer`, code(signature(name, e.args, e.variadic)), e.doc].join("\n\n");
  } else return `**${name}**: unknown layer`;
  return `${head}\n\n${usesTable(a, m, layer)}`;
}

function valueHover(a: Analysis, m: Model, call: A.CallExpr, what: string): string | undefined {
  const vs = m.valuesBySpan.get(spanKey(call.span));
  const v = vs?.[0];
  if (!v) return undefined;
  const grads = v.grads.length ? `gradient reaches ${v.grads.map((g) => `\`${g}\``).join(", ")}` : "no gradient (detached)";
  return `${what} → **${showShape(v.shape)}** ${atSize(a)}; ${grads}`;
}

function netTable(net: IrNet, names: string[]): string {
  const s = summarizeNet(net);
  const rows = s.rows.map((r) => [r.path, r.op, showShape(r.shape), formatCount(r.params)]);
  const w = [5, 2, 12, 6].map((min, i) => Math.max(min, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]) => `${c[0]!.padEnd(w[0]!)}  ${c[1]!.padEnd(w[1]!)}  ${c[2]!.padEnd(w[2]!)}  ${c[3]!.padStart(w[3]!)}`;
  const args = Object.entries(net.args).map(([k, v]) => `${k}: ${showValue(v)}`).join(", ");
  return [
    `**${names.join(", ")}** = ${net.network}(${args}) · role: ${net.role} · input sizes: ${net.sizes.text}`,
    "```text",
    line(["layer", "op", "output shape", "params"]),
    ...rows.map(line),
    "```",
    `trainable params: **${formatCount(s.trainable)}**${s.nonTrainable ? ` · non-trainable: ${formatCount(s.nonTrainable)}` : ""} · input ${showShape(net.input.shape)} → output ${showShape(net.output.shape)}`,
  ].join("\n");
}

/** The summary of one net, or of every instance of a network (instances with the same arguments once). */
function netHover(a: Analysis, m: Model, netName: string): string {
  const net = m.netsByName.get(netName);
  if (!net) return `**${netName}** · net: _not built (it has errors${a.syntaxErrors ? ", or the spec has syntax errors" : ""})_`;
  return `${netTable(net, [net.name])}\n\n${atSize(a)}`;
}

function networkHover(a: Analysis, d: Def): string {
  const nets = (a.ir?.nets ?? []).filter((n) => n.network === d.name);
  const decl = d.node as A.NetworkDecl;
  const head = `**${d.name}** · network \`${text(a, decl.input.span)} -> ${text(a, decl.output.span)}\``;
  if (!nets.length) return `${head}\n\n_no net of it was built (no instance in \`nets\`, or it has errors)_`;
  const groups = new Map<string, IrNet[]>();
  for (const n of nets) {
    const k = JSON.stringify(n.args);
    groups.set(k, [...(groups.get(k) ?? []), n]);
  }
  return [head, ...[...groups.values()].map((g) => netTable(g[0]!, g.map((n) => n.name))), atSize(a)].join("\n\n");
}

/** Which nets a loss value trains: those it sends gradient to that a step using the loss updates. */
function trains(a: Analysis, lossName: string, v: IrValue | undefined): string {
  if (!v) return "_not built (it has errors)_";
  const steps = (a.ir?.train.steps ?? []).filter((s) => s.loss === lossName);
  const updated = new Set(steps.flatMap((s) => s.updates));
  const trained = v.grads.filter((g) => updated.has(g));
  const untouched = v.grads.filter((g) => !updated.has(g));
  const list = (xs: string[]) => xs.map((x) => `\`${x}\``).join(", ");
  const parts = [`**${showShape(v.shape)}**`];
  if (!steps.length) parts.push(`no step uses loss \`${lossName}\``);
  parts.push(trained.length ? `trains ${list(trained)}` : "trains no net");
  if (untouched.length) parts.push(`gradient also reaches ${list(untouched)} (not updated by ${steps.length ? "this loss's steps" : "a step"})`);
  return parts.join(" · ");
}

function lossHover(a: Analysis, d: Def): string {
  const decl = d.node as A.LossDecl;
  const loss = a.ir?.losses.find((l) => l.name === decl.name.name);
  const steps = (a.ir?.train.steps ?? []).filter((s) => s.loss === decl.name.name);
  const head = `**${decl.name.name}** · loss, ${decl.terms.length} term${decl.terms.length === 1 ? "" : "s"}${steps.length ? `; step${steps.length > 1 ? "s" : ""} update ${[...new Set(steps.flatMap((s) => s.updates))].map((x) => `\`${x}\``).join(", ")}` : ""}`;
  const rows = decl.terms.map((t) => {
    const it = loss?.terms.find((x) => x.name === t.name.name);
    const v = it && a.ir?.values.find((x) => x.id === it.value);
    return `- \`${t.name.name}\`: ${trains(a, decl.name.name, v)}`;
  });
  return [head, ...rows].join("\n");
}

function termHover(a: Analysis, d: Def): string {
  const loss = d.loss!;
  const it = a.ir?.losses.find((l) => l.name === loss.name.name)?.terms.find((t) => t.name === d.name);
  const v = it && a.ir?.values.find((x) => x.id === it.value);
  return `**${d.name}** · term of loss \`${loss.name.name}\`\n\n${trains(a, loss.name.name, v)}`;
}

function usesText(m: Model, key: string): string {
  const refs = m.refs.get(key) ?? [];
  if (!refs.length) return "not used";
  const where = new Map<string, number[]>();
  for (const r of refs) {
    const d = m.declAt(r.start);
    const label = d ? declLabel(d) : "?";
    where.set(label, [...(where.get(label) ?? []), r.line]);
  }
  const parts = [...where].map(([w, lines]) => `${w} (line${lines.length > 1 ? "s" : ""} ${[...new Set(lines)].join(", ")})`);
  return `used ${refs.length}× — ${parts.join("; ")}`;
}

function declLabel(d: A.Decl): string {
  switch (d.kind) {
    case "ParamDecl":
      return `param \`${d.name.name}\``;
    case "BlockDecl":
      return `block \`${d.name.name}\``;
    case "NetworkDecl":
      return `network \`${d.name.name}\``;
    case "LossDecl":
      return `loss \`${d.name.name}\``;
    case "NetsDecl":
      return "`nets`";
    case "DataDecl":
      return "`data`";
    case "TrainDecl":
      return "`train`";
    case "InitDecl":
      return "`init`";
  }
}

function defHover(a: Analysis, m: Model, d: Def): string | undefined {
  switch (d.kind) {
    case "param": {
      const decl = d.node as A.ParamDecl;
      const v = a.ir?.spec.params[d.name];
      const over = a.ir?.spec.overrides[d.name];
      const declared = text(a, decl.value.span);
      const value = over !== undefined ? `\`${showValue(over)}\` (from the editor setting \`gancc.set\`; the spec says \`${declared}\`)` : v !== undefined ? `\`${showValue(v)}\`${String(v) !== declared ? ` (\`${declared}\`)` : ""}` : `\`${declared}\``;
      return `**${d.name}** · param = ${value}\n\n${usesText(m, d.key)}`;
    }
    case "blockParam":
    case "networkParam": {
      const p = d.node as A.ParamDef;
      const owner = d.owner!;
      const lines = [`**${d.name}** · parameter of ${d.kind === "blockParam" ? "block" : "network"} \`${owner.name.name}\`${p.default ? ` (default \`${text(a, p.default.span)}\`)` : ""}`];
      if (d.kind === "networkParam") {
        const vals = (a.ir?.nets ?? []).filter((n) => n.network === owner.name.name).map((n) => `\`${n.name}\`: ${showValue(n.args[d.name])}`);
        if (vals.length) lines.push(`values: ${vals.join(", ")}`);
      }
      lines.push(usesText(m, d.key));
      return lines.join("\n\n");
    }
    case "block": {
      const decl = d.node as A.BlockDecl;
      const calls = (m.refs.get(d.key) ?? []).flatMap((s) => {
        const o = m.at(s.start);
        return o?.kind === "ref" && o.layer ? layerUses(m, o.layer) : [];
      });
      const params = decl.params.map((p) => (p.default ? `${p.name.name} = ${text(a, p.default.span)}` : p.name.name)).join(", ");
      const lines = [`**${d.name}** · block`, code(`block ${d.name}(${params})${decl.form ? ` ${decl.form}` : ""}`), usesText(m, d.key)];
      const groups = groupUses(calls);
      if (groups.length) {
        lines.push(`${atSize(a)}:`, "| calls | input | output | params |", "|---|---|---|---:|");
        for (const g of groups.slice(0, MAX_ROWS)) lines.push(`| ${pathsText(g.paths)} | ${showShape(g.input)} | ${showShape(g.output)} | ${formatCount(g.params)} |`);
      }
      return lines.join("\n\n").replace(/\n\n\|/g, "\n|");
    }
    case "network":
      return networkHover(a, d);
    case "net":
      return netHover(a, m, d.name);
    case "loss":
      return lossHover(a, d);
    case "term":
      return termHover(a, d);
    case "domain": {
      const dom = a.ir?.data.domains.find((x) => x.name === d.name);
      const size = a.settings.size ?? a.ir?.data.crop;
      return `**${d.name}** · data domain${dom && size ? `: images **${size}×${size}×${dom.channels}** ${atSize(a)}` : ""}\n\n${usesText(m, d.key)}`;
    }
    case "label": {
      const layer = d.node as A.Layer;
      const head = `**${d.name}** · label in ${d.owner!.kind === "BlockDecl" ? "block" : "network"} \`${d.owner!.name.name}\``;
      return `${head}\n\n${usesTable(a, m, layer)}\n\n${usesText(m, d.key)}`;
    }
  }
}

function argKeyHover(o: Occ & { kind: "argKey" }): string | undefined {
  const e = tableEntry(o.table, o.callee);
  const spec = e?.args.find((x) => x.name === o.name);
  if (!spec) return undefined;
  const lines = [`**${o.name}** · argument of \`${o.callee}\`: ${typeText(spec)}${spec.default === undefined ? " (required)" : ` (default ${showValue(spec.default)})`}`];
  if (spec.doc) lines.push(spec.doc);
  return lines.join("\n\n");
}

function currentSetting(a: Analysis, section: "data" | "train", name: string): string | undefined {
  const ir = a.ir;
  if (!ir) return undefined;
  if (section === "data") {
    const v = (ir.data as Record<string, unknown>)[name];
    return v === undefined || typeof v === "object" ? undefined : String(v);
  }
  if (name === "schedule") return Object.entries(ir.train.schedule).map(([k, v]) => (k === "kind" ? String(v) : `${k}: ${v}`)).join(", ");
  if (name === "pool") return `size ${ir.train.pool.size}, swap ${ir.train.pool.swap}`;
  const v = (ir.train as Record<string, unknown>)[name];
  return v === undefined || typeof v === "object" ? undefined : String(v);
}
