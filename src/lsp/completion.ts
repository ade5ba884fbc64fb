// Completion. The context comes from the text as typed (a light scan: the section the cursor
// is in, the call whose parentheses it is in, the line so far), since the text at the cursor is
// usually incomplete; the names come from the last check (params, blocks, nets, …) and from the
// compiler's tables (ops with their signatures, loss functions, optimizers, settings).
import { type CompletionItem, CompletionItemKind } from "vscode-languageserver";
import { LOSS_FUNCTIONS } from "../compiler/losses.js";
import { OPS } from "../compiler/ops.js";
import { DATA_SETTINGS, INITS, OPTIMIZERS, SCHEDULES, TRAIN_SETTINGS } from "../compiler/tables.js";
import type { ArgSpec } from "../compiler/values.js";
import type * as A from "../dsl/ast.js";
import type { Analysis } from "./analysis.js";
import type { Model } from "./model.js";
import { showValue, signature, typeText } from "./tables.js";

const DECL_KEYWORDS = ["param", "init", "block", "network", "nets", "data", "loss", "train"];

export interface CompletionContext {
  /** the partly typed name before the cursor */
  prefix: string;
  /** the top-level declaration the cursor is in: its keyword, its name, and whether inside its braces */
  section?: { kw: string; name?: string; inBody: boolean };
  /** the innermost unclosed `(`: the name before it, the keywords given so far, the current argument's keyword */
  call?: { callee: string; keys: string[]; key?: string };
  /** the current line up to the cursor */
  line: string;
  /** inside a comment or a string */
  quiet: boolean;
}

/** Scans `text` up to `offset` (comments and strings skipped). */
export function completionContext(text: string, offset: number): CompletionContext {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  const line = before.slice(lineStart);
  const prefix = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before)?.[0] ?? "";
  let depth = 0;
  let section: CompletionContext["section"];
  let pendingKw: { kw: string; name?: string } | undefined;
  let expectName = false;
  const parens: { callee: string; start: number }[] = [];
  let lastIdent = "";
  let lastIdentEnd = -1;
  let quiet = false;
  for (let i = 0; i < offset; ) {
    const c = before[i]!;
    if (c === "#") {
      const nl = before.indexOf("\n", i);
      if (nl < 0) {
        quiet = true;
        break;
      }
      i = nl + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < offset && before[j] !== '"' && before[j] !== "\n") j += before[j] === "\\" ? 2 : 1;
      if (j >= offset) {
        quiet = true;
        break;
      }
      i = j + 1;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < offset && /[A-Za-z0-9_]/.test(before[j]!)) j++;
      const w = before.slice(i, j);
      if (depth === 0 && parens.length === 0) {
        if (DECL_KEYWORDS.includes(w) || w === "gan") {
          pendingKw = { kw: w };
          section = { kw: w, inBody: false };
          expectName = w !== "init" && w !== "nets" && w !== "data" && w !== "train" && w !== "gan";
        } else if (expectName && pendingKw) {
          pendingKw.name = w;
          section = { kw: pendingKw.kw, name: w, inBody: false };
          expectName = false;
        }
      }
      lastIdent = w;
      lastIdentEnd = j;
      i = j;
      continue;
    }
    if (c === "{") {
      if (depth === 0 && pendingKw) section = { ...pendingKw, inBody: true };
      depth++;
    } else if (c === "}") {
      depth = Math.max(0, depth - 1);
      if (depth === 0) {
        section = undefined;
        pendingKw = undefined;
      }
    } else if (c === "(") {
      parens.push({ callee: lastIdentEnd === i || /^\s*$/.test(before.slice(lastIdentEnd, i)) ? lastIdent : "", start: i + 1 });
    } else if (c === ")") parens.pop();
    i++;
  }
  let call: CompletionContext["call"];
  const open = parens[parens.length - 1];
  if (open) {
    const inside = before.slice(open.start);
    const args = splitTopLevel(inside);
    const keys = args.flatMap((a) => /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/.exec(a)?.[1] ?? []);
    const current = args[args.length - 1] ?? "";
    const key = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/.exec(current)?.[1];
    call = { callee: open.callee, keys, key };
  }
  return { prefix, section, call, line, quiet };
}

/** Splits call arguments at top-level commas. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

// ------------------------------------------------------------ items

const item = (label: string, kind: CompletionItemKind, detail?: string, documentation?: string, insertText?: string): CompletionItem => {
  const it: CompletionItem = { label, kind };
  if (detail) it.detail = detail;
  if (documentation) it.documentation = { kind: "markdown", value: documentation };
  if (insertText) it.insertText = insertText;
  return it;
};

function opItems(): CompletionItem[] {
  return Object.entries(OPS).map(([name, op]) => item(name, CompletionItemKind.Function, signature(name, op.args, op.variadic), op.doc));
}

function argItems(args: readonly ArgSpec[], given: string[]): CompletionItem[] {
  return args
    .filter((a) => !given.includes(a.name))
    .map((a) => {
      const it = item(`${a.name}:`, CompletionItemKind.Field, `${typeText(a)}${a.default === undefined ? " (required)" : ` = ${showValue(a.default)}`}`, a.doc, `${a.name}: `);
      it.filterText = a.name;
      return it;
    });
}

function tableItems(table: Record<string, { doc: string; args: ArgSpec[] }>, kind: CompletionItemKind): CompletionItem[] {
  return Object.entries(table).map(([name, e]) => item(name, kind, signature(name, e.args), e.doc));
}

function settingItems(table: Record<string, ArgSpec>): CompletionItem[] {
  return Object.values(table).map((s) => {
    const it = item(`${s.name}:`, CompletionItemKind.Property, `${typeText(s)}${s.default === undefined ? "" : ` = ${showValue(s.default)}`}`, s.doc, `${s.name}: `);
    it.filterText = s.name;
    return it;
  });
}

function keywordItems(words: string[]): CompletionItem[] {
  return words.map((w) => item(w, CompletionItemKind.Keyword));
}

function paramItems(a: Analysis, m: Model): CompletionItem[] {
  return [...m.defs.values()]
    .filter((d) => d.kind === "param")
    .map((d) => {
      const v = a.ir?.spec.params[d.name];
      return item(d.name, CompletionItemKind.Constant, v === undefined ? "param" : `param = ${showValue(v)}`);
    });
}

function localItems(owner: A.BlockDecl | A.NetworkDecl | undefined): CompletionItem[] {
  if (!owner) return [];
  const out = owner.params.map((p) => item(p.name.name, CompletionItemKind.Variable, `parameter of ${owner.kind === "BlockDecl" ? "block" : "network"} ${owner.name.name}`));
  const labels = (ls: A.Layer[]): void => {
    for (const l of ls) {
      if (l.label) out.push(item(l.label.name, CompletionItemKind.Reference, "label"));
      if (l.kind === "If") {
        labels(l.then);
        labels(l.else ?? []);
      } else if (l.kind !== "LayerCall") labels(l.body);
    }
  };
  labels(owner.body);
  return out;
}

function blockItems(a: Analysis, m: Model): CompletionItem[] {
  return [...m.defs.values()]
    .filter((d) => d.kind === "block")
    .map((d) => {
      const b = d.node as A.BlockDecl;
      return item(d.name, CompletionItemKind.Module, `block ${d.name}(${b.params.map((p) => (p.default ? `${p.name.name} = ${a.text.slice(p.default.span.start, p.default.span.end)}` : p.name.name)).join(", ")})${b.form ? ` ${b.form}` : ""}`);
    });
}

function defItems(m: Model, kind: "net" | "network" | "loss" | "domain", ck: CompletionItemKind, detail: (name: string) => string): CompletionItem[] {
  return [...m.defs.values()].filter((d) => d.kind === kind).map((d) => item(d.name, ck, detail(d.name)));
}

function netItems(a: Analysis, m: Model): CompletionItem[] {
  return defItems(m, "net", CompletionItemKind.Class, (n) => {
    const net = a.ir?.nets.find((x) => x.name === n);
    return net ? `${net.network}: ${net.input.kind}[${net.input.channels}] -> ${net.output.kind}[${net.output.channels}] (${net.role})` : "net";
  });
}

function lossFunctionItems(): CompletionItem[] {
  return Object.entries(LOSS_FUNCTIONS).map(([name, f]) => item(name, CompletionItemKind.Function, `${name}(${f.args === "2+" ? "a, b, …" : f.args === 2 ? "a, b" : "x"})`, f.doc));
}

function enumItems(spec: ArgSpec | undefined): CompletionItem[] {
  if (!spec || typeof spec.type !== "object") return [];
  return spec.type.enum.map((v) => item(v, CompletionItemKind.EnumMember, `${spec.name}${spec.default !== undefined && showValue(spec.default) === v ? " (default)" : ""}`));
}

/** Completions at `offset` of `text` (the document as typed), with names from the last check. */
export function complete(a: Analysis, m: Model, text: string, offset: number): CompletionItem[] {
  const ctx = completionContext(text, offset);
  if (ctx.quiet) return [];
  const sec = ctx.section;
  const owner = sec?.name ? (sec.kw === "block" ? m.block(sec.name) : sec.kw === "network" ? m.network(sec.name) : undefined) : undefined;
  const params = () => paramItems(a, m);

  // inside a call's parentheses
  if (ctx.call) {
    const { callee, keys, key } = ctx.call;
    if (sec?.kw === "block" || sec?.kw === "network") {
      if (!sec.inBody) return params(); // defaults in the parameter list
      const block = m.block(callee);
      const op = Object.hasOwn(OPS, callee) ? OPS[callee] : undefined;
      const spec = op?.args.find((x) => x.name === key);
      if (key) return [...enumItems(spec), ...params(), ...localItems(owner)];
      const args: readonly ArgSpec[] = block ? block.params.map((p) => ({ name: p.name.name, type: "any", ...(p.default ? { default: { sym: a.text.slice(p.default.span.start, p.default.span.end) } } : {}) })) : (op?.args ?? []);
      return [...argItems(args, keys), ...params(), ...localItems(owner)];
    }
    if (sec?.kw === "nets") {
      const network = m.network(callee);
      if (network && !key) return [...argItems(network.params.map((p) => ({ name: p.name.name, type: "any" })), keys), ...params()];
      if (Object.hasOwn(INITS, callee) && !key) return [...argItems(INITS[callee]!.args, keys), ...params()];
      return params();
    }
    if (sec?.kw === "loss") return lossValueItems(a, m);
    if (sec?.kw === "train") {
      for (const t of [OPTIMIZERS, SCHEDULES]) if (Object.hasOwn(t, callee) && !key) return [...argItems(t[callee]!.args, keys), ...params()];
      if (callee === "pool" && !key) return [...argItems([{ name: "size", type: "int" }, { name: "swap", type: "number", default: 0.5 }], keys), ...params()];
      return params();
    }
    if (sec?.kw === "init" && Object.hasOwn(INITS, callee) && !key) return [...argItems(INITS[callee]!.args, keys), ...params()];
    return params();
  }

  if (!sec || (!sec.inBody && /^\s*[A-Za-z_]*$/.test(ctx.line))) {
    // a new top-level declaration
    return keywordItems(DECL_KEYWORDS);
  }
  switch (sec.kw) {
    case "param":
      return params();
    case "init":
      return tableItems(INITS, CompletionItemKind.Function);
    case "block":
    case "network": {
      if (!sec.inBody) return /[:>]\s*[A-Za-z_]*$/.test(ctx.line) ? [item("image", CompletionItemKind.TypeParameter, "image[C]"), item("vector", CompletionItemKind.TypeParameter, "vector[N]")] : [];
      // after `repeat` or `if`: an expression
      if (/\b(repeat|if)\s+[^{]*$/.test(ctx.line)) return [...params(), ...localItems(owner)];
      return [...opItems(), ...blockItems(a, m), ...keywordItems(["repeat", "residual", "skip", "if", "else"])];
    }
    case "nets": {
      if (/\binit\s+[A-Za-z_]*$/.test(ctx.line)) return tableItems(INITS, CompletionItemKind.Function);
      if (/=\s*[A-Za-z_]*$/.test(ctx.line)) return defItems(m, "network", CompletionItemKind.Class, (n) => `network ${n}`);
      if (/\)\s*[A-Za-z_]*$/.test(ctx.line)) return keywordItems(["init"]);
      return [];
    }
    case "data": {
      const setting = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*[^:]*$/.exec(ctx.line);
      if (/^\s*domain\b/.test(ctx.line)) return /:\s*[A-Za-z_]*$/.test(ctx.line) ? [item("image", CompletionItemKind.TypeParameter, "image[C]")] : [];
      if (setting) return [...enumItems(Object.hasOwn(DATA_SETTINGS, setting[1]!) ? DATA_SETTINGS[setting[1]!] : undefined), ...params()];
      return [...settingItems(DATA_SETTINGS), ...keywordItems(["domain"])];
    }
    case "loss": {
      if (!sec.inBody) return /=\s*.*$/.test(ctx.line) ? lossValueItems(a, m) : [];
      if (/^\s*[A-Za-z_][A-Za-z0-9_]*\s*:/.test(ctx.line)) return lossValueItems(a, m);
      return [];
    }
    case "train": {
      if (/^\s*step\s+[A-Za-z_]*$/.test(ctx.line)) return defItems(m, "loss", CompletionItemKind.Event, (n) => `loss ${n}`);
      if (/\bwith\s+[A-Za-z_]*$/.test(ctx.line)) return tableItems(OPTIMIZERS, CompletionItemKind.Function);
      if (/\bupdates\s+[A-Za-z0-9_,\s]*$/.test(ctx.line)) {
        const typed = /\bupdates\s+(.*)$/.exec(ctx.line)![1]!;
        const list = typed.split(",").map((s) => s.trim());
        if (/[A-Za-z0-9_]\s+[A-Za-z_]*$/.test(typed)) return keywordItems(["with"]);
        return netItems(a, m).filter((i) => !list.slice(0, -1).includes(i.label));
      }
      if (/^\s*step\b/.test(ctx.line)) {
        if (/\bwith\b.*\)\s*[A-Za-z_]*$/.test(ctx.line)) return keywordItems(["repeat", "clip"]);
        if (/^\s*step\s+[A-Za-z_][A-Za-z0-9_]*\s+[A-Za-z_]*$/.test(ctx.line)) return keywordItems(["updates"]);
        return params();
      }
      const setting = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*[^:]*$/.exec(ctx.line);
      if (setting) {
        if (setting[1] === "schedule") return tableItems(SCHEDULES, CompletionItemKind.Function);
        if (setting[1] === "pool") return [item("pool", CompletionItemKind.Function, "pool(size, swap: 0.5)", "an image pool with a swap probability"), ...params()];
        return params();
      }
      return [...settingItems(TRAIN_SETTINGS), ...keywordItems(["step"])];
    }
    default:
      return [];
  }
}

function lossValueItems(a: Analysis, m: Model): CompletionItem[] {
  return [
    ...netItems(a, m),
    ...lossFunctionItems(),
    ...defItems(m, "domain", CompletionItemKind.Variable, (n) => `data domain ${n}`),
    ...paramItems(a, m),
    item("real", CompletionItemKind.Keyword, "GAN target (1)"),
    item("fake", CompletionItemKind.Keyword, "GAN target (0)"),
  ];
}
