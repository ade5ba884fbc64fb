// Rename of a block or a parameter (a spec `param`, or a block's or network's own): every
// use changes, keyword arguments at call sites included. A new name that would change what
// some other name in the spec means is refused with a message.
import type { Range, TextEdit, WorkspaceEdit } from "vscode-languageserver";
import { OPS } from "../compiler/ops.js";
import type * as A from "../dsl/ast.js";
import type { Analysis } from "./analysis.js";
import { rangeOf } from "./convert.js";
import type { Def, Model } from "./model.js";

export const KEYWORDS = [
  "gan", "param", "block", "network", "nets", "data", "domain", "loss", "train", "step", "updates",
  "with", "repeat", "clip", "residual", "skip", "if", "else", "init", "true", "false", "and", "or", "not",
];

const RENAMEABLE = new Set(["param", "block", "blockParam", "networkParam"]);

const WHAT: Record<string, string> = {
  param: "param",
  block: "block",
  network: "network",
  net: "net",
  loss: "loss",
  term: "loss term",
  domain: "data domain",
  label: "label",
  blockParam: "block parameter",
  networkParam: "network parameter",
};

/** The declaration to rename at `offset`, or why there is none. */
export function renameTarget(m: Model, offset: number): { def: Def } | { error: string } {
  const o = m.at(offset);
  const key = m.keyOf(o);
  const def = key ? m.defs.get(key) : undefined;
  if (!def) return { error: "Only blocks and params can be renamed: put the cursor on a block's or param's name." };
  if (!RENAMEABLE.has(def.kind)) return { error: `Only blocks and params can be renamed; \`${def.name}\` is a ${WHAT[def.kind]}.` };
  return { def };
}

export function prepareRename(a: Analysis, m: Model, offset: number): { range: Range; placeholder: string } | { error: string } {
  const t = renameTarget(m, offset);
  if ("error" in t) return t;
  const o = m.at(offset)!;
  return { range: rangeOf(a.source, o.span), placeholder: t.def.name };
}

/** Why `newName` cannot replace `def`'s name, if it cannot. */
export function renameClash(a: Analysis, m: Model, def: Def, newName: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) return `\`${newName}\` is not a name (letters, digits and _, not starting with a digit).`;
  if (KEYWORDS.includes(newName)) return `\`${newName}\` is a keyword.`;
  if (newName === def.name) return undefined;
  const top = m.decls.flatMap((d) => topNames(d));
  const sameTop = top.find((t) => t.name === newName);
  if (def.kind === "param" || def.kind === "block") {
    if (sameTop) return `\`${newName}\` is already declared (${sameTop.what} at line ${sameTop.line}).`;
    if (def.kind === "block" && Object.hasOwn(OPS, newName)) return `\`${newName}\` is a built-in layer: a block with that name would replace it everywhere.`;
  }
  if (def.kind === "block") {
    // blocks are only called as layers: a layer of that name elsewhere (an unknown one) would become a call
    const layer = m.occs.find((o) => (o.kind === "op" || (o.kind === "ref" && o.layer)) && a.text.slice(o.span.start, o.span.end) === newName);
    if (layer) return `\`${newName}\` is already used as a layer at line ${layer.span.line}.`;
    return undefined;
  }
  if (newName === "real" || newName === "fake") return `\`${newName}\` is a GAN target in losses.`;
  // a param: the new name must not be one that some name in its reach already means (a local,
  // a label, a domain, an enum value, a name used elsewhere), or uses would change meaning
  const within = def.kind === "param" ? undefined : def.owner!.span;
  const used = m.occs.find(
    (o) =>
      (o.kind === "def" || o.kind === "ref" || o.kind === "name") &&
      (!within || (o.span.start >= within.start && o.span.end <= within.end)) &&
      a.text.slice(o.span.start, o.span.end) === newName,
  );
  if (used) return `\`${newName}\` is already used ${within ? `in ${def.owner!.kind === "BlockDecl" ? "block" : "network"} \`${def.owner!.name.name}\`` : "in this spec"} (line ${used.span.line}).`;
  return undefined;
}

export function rename(a: Analysis, m: Model, uri: string, offset: number, newName: string): WorkspaceEdit | { error: string } {
  const t = renameTarget(m, offset);
  if ("error" in t) return t;
  const clash = renameClash(a, m, t.def, newName);
  if (clash) return { error: `Cannot rename \`${t.def.name}\` to \`${newName}\`: ${clash}` };
  const edits: TextEdit[] = m.occurrences(t.def.key).map((s) => ({ range: rangeOf(a.source, s), newText: newName }));
  return { changes: { [uri]: edits } };
}

function topNames(d: A.Decl): { name: string; what: string; line: number }[] {
  switch (d.kind) {
    case "ParamDecl":
      return [{ name: d.name.name, what: "a param", line: d.name.span.line }];
    case "BlockDecl":
      return [{ name: d.name.name, what: "a block", line: d.name.span.line }];
    case "NetworkDecl":
      return [{ name: d.name.name, what: "a network", line: d.name.span.line }];
    case "LossDecl":
      return [{ name: d.name.name, what: "a loss", line: d.name.span.line }];
    case "NetsDecl":
      return d.nets.map((n) => ({ name: n.name.name, what: "a net", line: n.name.span.line }));
    case "DataDecl":
      return d.items.flatMap((i) => (i.kind === "DomainDecl" ? [{ name: i.name.name, what: "a data domain", line: i.name.span.line }] : []));
    default:
      return [];
  }
}
