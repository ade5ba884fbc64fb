// An index over one analysis: every declaration, every reference resolved to its declaration
// (with the compiler's scoping: a block sees its own parameters and labels, then the spec's
// params), every identifier by position, and the IR nodes, block calls and loss values
// keyed by the source span they were made from.
import type * as A from "../dsl/ast.js";
import type { BlockCallTrace } from "../compiler/elaborate.js";
import { LOSS_FUNCTIONS } from "../compiler/losses.js";
import { OPS } from "../compiler/ops.js";
import type { IrNet, IrNode, IrValue } from "../ir/schema.js";
import type { Analysis } from "./analysis.js";
import { spanKey } from "./convert.js";

export type SymKind = "param" | "block" | "network" | "net" | "loss" | "term" | "domain" | "label" | "blockParam" | "networkParam";

export interface Def {
  key: string;
  kind: SymKind;
  name: string;
  /** the declared name */
  span: A.Span;
  /** the whole declaration */
  node: A.ParamDecl | A.BlockDecl | A.NetworkDecl | A.NetInstance | A.LossDecl | A.LossTerm | A.DomainDecl | A.Layer | A.ParamDef;
  /** the block or network a local (parameter, label) belongs to */
  owner?: A.BlockDecl | A.NetworkDecl;
  /** the loss a term belongs to */
  loss?: A.LossDecl;
}

/** What an identifier in the text is. */
export type Occ =
  | { kind: "def"; span: A.Span; key: string }
  | { kind: "ref"; span: A.Span; key: string; layer?: A.LayerCall; call?: A.CallExpr }
  | { kind: "op"; span: A.Span; name: string; layer: A.LayerCall }
  | { kind: "argKey"; span: A.Span; name: string; callee: string; table: ArgTable }
  | { kind: "setting"; span: A.Span; name: string; section: "data" | "train" }
  | { kind: "lossFn"; span: A.Span; name: string; call: A.CallExpr }
  | { kind: "callee"; span: A.Span; name: string; table: ArgTable }
  | { kind: "name"; span: A.Span; name: string };

export type ArgTable = "op" | "optimizer" | "schedule" | "init" | "pool" | "builtin";

export interface LayerSite {
  layer: A.Layer;
  owner: A.BlockDecl | A.NetworkDecl;
}

interface Scope {
  /** parameters of the enclosing block or network */
  locals?: Map<string, string>;
  /** labels of the enclosing block or network */
  labels?: Map<string, string>;
  /** data domains (visible in losses) */
  domains?: boolean;
}

const prefixKey = (kind: SymKind, name: string, owner?: string) => (owner ? `${kind}:${owner}/${name}` : `${kind}:${name}`);

export class Model {
  readonly defs = new Map<string, Def>();
  readonly refs = new Map<string, A.Span[]>();
  /** identifiers, sorted by position */
  readonly occs: Occ[] = [];
  /** every layer of every block and network body, in source order */
  readonly layers: LayerSite[] = [];
  readonly nodesBySpan = new Map<string, { net: IrNet; node: IrNode }[]>();
  readonly callsBySpan = new Map<string, BlockCallTrace[]>();
  readonly valuesBySpan = new Map<string, IrValue[]>();
  readonly netsByName = new Map<string, IrNet>();
  readonly decls: A.Decl[];
  private readonly blocks = new Map<string, A.BlockDecl>();
  private readonly networks = new Map<string, A.NetworkDecl>();
  private readonly params = new Set<string>();
  private readonly domains = new Set<string>();
  private readonly nets = new Set<string>();

  constructor(readonly analysis: Analysis) {
    this.decls = analysis.spec?.decls ?? [];
    this.declare();
    for (const d of this.decls) this.walkDecl(d);
    this.occs.sort((a, b) => a.span.start - b.span.start);
    const ir = analysis.ir;
    for (const net of ir?.nets ?? []) {
      this.netsByName.set(net.name, net);
      for (const node of net.nodes) push(this.nodesBySpan, spanKey(node.span), { net, node });
    }
    for (const c of analysis.blockCalls) push(this.callsBySpan, spanKey(c.span), c);
    for (const v of ir?.values ?? []) push(this.valuesBySpan, spanKey(v.span), v);
  }

  // ------------------------------------------------------------ lookups

  /** The identifier at `offset` (a cursor just after an identifier counts). */
  at(offset: number): Occ | undefined {
    let lo = 0;
    let hi = this.occs.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.occs[mid]!.span.start <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const o = this.occs[found];
    return o && offset <= o.span.end ? o : undefined;
  }

  /** The declaration an identifier stands for, if it names one. */
  keyOf(o: Occ | undefined): string | undefined {
    return o && (o.kind === "def" || o.kind === "ref") ? o.key : undefined;
  }

  /** Where a key is declared and every place that names it (declaration first). */
  occurrences(key: string): A.Span[] {
    const def = this.defs.get(key);
    const refs = this.refs.get(key) ?? [];
    return def ? [def.span, ...refs] : refs;
  }

  /** The top-level declaration around `offset`. */
  declAt(offset: number): A.Decl | undefined {
    return this.decls.find((d) => d.span.start <= offset && offset <= d.span.end);
  }

  isBlock(name: string): boolean {
    return this.blocks.has(name);
  }
  block(name: string): A.BlockDecl | undefined {
    return this.blocks.get(name);
  }
  network(name: string): A.NetworkDecl | undefined {
    return this.networks.get(name);
  }

  // ------------------------------------------------------------ building

  private def(kind: SymKind, name: A.Ident, node: Def["node"], extra: { owner?: A.BlockDecl | A.NetworkDecl; loss?: A.LossDecl } = {}): string {
    const ownerName = extra.owner?.name.name ?? extra.loss?.name.name;
    const key = prefixKey(kind, name.name, ownerName);
    if (!name.name) return key;
    // the first declaration wins, as in the compiler; a duplicate is still an identifier
    if (!this.defs.has(key)) this.defs.set(key, { key, kind, name: name.name, span: name.span, node, ...extra });
    this.occs.push({ kind: "def", span: name.span, key });
    return key;
  }

  private ref(key: string, span: A.Span, extra: { layer?: A.LayerCall; call?: A.CallExpr } = {}): void {
    push(this.refs, key, span);
    this.occs.push({ kind: "ref", span, key, ...extra });
  }

  /** Top-level names first, so that uses before declarations resolve. */
  private declare(): void {
    for (const d of this.decls) {
      if (d.kind === "BlockDecl" && !this.blocks.has(d.name.name)) this.blocks.set(d.name.name, d);
      else if (d.kind === "NetworkDecl" && !this.networks.has(d.name.name)) this.networks.set(d.name.name, d);
      else if (d.kind === "ParamDecl") this.params.add(d.name.name);
      else if (d.kind === "NetsDecl") for (const n of d.nets) this.nets.add(n.name.name);
      else if (d.kind === "DataDecl") for (const i of d.items) if (i.kind === "DomainDecl") this.domains.add(i.name.name);
    }
  }

  private walkDecl(d: A.Decl): void {
    switch (d.kind) {
      case "ParamDecl":
        this.def("param", d.name, d);
        this.expr(d.value, {});
        return;
      case "InitDecl":
        this.tableCall(d.value, "init", {});
        return;
      case "BlockDecl":
      case "NetworkDecl": {
        this.def(d.kind === "BlockDecl" ? "block" : "network", d.name, d);
        const kind: SymKind = d.kind === "BlockDecl" ? "blockParam" : "networkParam";
        const locals = new Map<string, string>();
        for (const p of d.params) {
          locals.set(p.name.name, this.def(kind, p.name, p, { owner: d }));
          if (p.default) this.expr(p.default, {});
        }
        const labels = new Map<string, string>();
        this.collectLabels(d.body, d, labels);
        const scope: Scope = { locals, labels };
        if (d.kind === "NetworkDecl") {
          this.expr(d.input, { locals });
          this.expr(d.output, { locals });
        }
        this.body(d.body, d, scope);
        return;
      }
      case "NetsDecl":
        for (const n of d.nets) {
          this.def("net", n.name, n);
          const network = this.networks.get(n.network.name);
          if (network) this.ref(prefixKey("network", n.network.name), n.network.span);
          else this.occs.push({ kind: "name", span: n.network.span, name: n.network.name });
          for (const a of n.args) {
            if (a.key && network) this.keyRef("networkParam", network, a.key);
            this.expr(a.value, {});
          }
          if (n.init) this.tableCall(n.init, "init", {});
        }
        return;
      case "DataDecl":
        for (const i of d.items) {
          if (i.kind === "DomainDecl") {
            this.def("domain", i.name, i);
            this.expr(i.type, {});
          } else {
            this.occs.push({ kind: "setting", span: i.key.span, name: i.key.name, section: "data" });
            this.expr(i.value, {});
          }
        }
        return;
      case "LossDecl":
        this.def("loss", d.name, d);
        for (const t of d.terms) {
          if (!d.short) this.def("term", t.name, t, { loss: d });
          this.lossExpr(t.value);
        }
        return;
      case "TrainDecl":
        for (const i of d.items) {
          if (i.kind === "Setting") {
            this.occs.push({ kind: "setting", span: i.key.span, name: i.key.name, section: "train" });
            if (i.key.name === "schedule") this.tableCall(i.value, "schedule", {});
            else if (i.key.name === "pool") this.tableCall(i.value, "pool", {});
            else this.expr(i.value, {});
          } else {
            this.ref(prefixKey("loss", i.loss.name), i.loss.span);
            for (const u of i.updates) this.ref(prefixKey("net", u.name), u.span);
            this.tableCall(i.optimizer, "optimizer", {});
            if (i.repeat) this.expr(i.repeat, {});
            for (const a of i.clip ?? []) this.expr(a.value, {});
          }
        }
        return;
    }
  }

  /** A keyword argument of a block or network call names one of its parameters. */
  private keyRef(kind: "blockParam" | "networkParam", owner: A.BlockDecl | A.NetworkDecl, key: A.Ident): void {
    const k = prefixKey(kind, key.name, owner.name.name);
    if (owner.params.some((p) => p.name.name === key.name)) this.ref(k, key.span);
    else this.occs.push({ kind: "name", span: key.span, name: key.name });
  }

  private collectLabels(layers: A.Layer[], owner: A.BlockDecl | A.NetworkDecl, labels: Map<string, string>): void {
    for (const l of layers) {
      if (l.label && !labels.has(l.label.name)) labels.set(l.label.name, prefixKey("label", l.label.name, owner.name.name));
      if (l.kind === "If") {
        this.collectLabels(l.then, owner, labels);
        this.collectLabels(l.else ?? [], owner, labels);
      } else if (l.kind !== "LayerCall") this.collectLabels(l.body, owner, labels);
    }
  }

  private body(layers: A.Layer[], owner: A.BlockDecl | A.NetworkDecl, scope: Scope): void {
    for (const l of layers) {
      this.layers.push({ layer: l, owner });
      if (l.label) this.def("label", l.label, l, { owner });
      switch (l.kind) {
        case "LayerCall": {
          const block = this.blocks.get(l.callee.name);
          if (block) this.ref(prefixKey("block", l.callee.name), l.callee.span, { layer: l });
          else this.occs.push({ kind: "op", span: l.callee.span, name: l.callee.name, layer: l });
          for (const a of l.args) {
            if (a.key) {
              if (block) this.keyRef("blockParam", block, a.key);
              else this.occs.push({ kind: "argKey", span: a.key.span, name: a.key.name, callee: l.callee.name, table: "op" });
            }
            this.expr(a.value, scope);
          }
          break;
        }
        case "Repeat":
          this.expr(l.count, scope);
          this.body(l.body, owner, scope);
          break;
        case "Residual":
        case "Skip":
          this.body(l.body, owner, scope);
          break;
        case "If":
          this.expr(l.cond, scope);
          this.body(l.then, owner, scope);
          this.body(l.else ?? [], owner, scope);
          break;
      }
    }
  }

  /** A call of a table entry (`adam(lr: 2e-4)`, `linear_decay(after: 100)`, `normal(std: 0.02)`), or any expression. */
  private tableCall(e: A.Expr, table: ArgTable, scope: Scope): void {
    if (e.kind === "Call") {
      this.occs.push({ kind: "callee", span: e.callee.span, name: e.callee.name, table });
      for (const a of e.args) {
        if (a.key) this.occs.push({ kind: "argKey", span: a.key.span, name: a.key.name, callee: e.callee.name, table });
        this.expr(a.value, scope);
      }
    } else if (e.kind === "Name" && table !== "pool" && !this.params.has(e.name)) {
      this.occs.push({ kind: "callee", span: e.span, name: e.name, table });
    } else this.expr(e, scope);
  }

  private name(name: string, span: A.Span, scope: Scope): void {
    const key = scope.locals?.get(name) ?? (this.params.has(name) ? prefixKey("param", name) : undefined) ?? scope.labels?.get(name) ?? (scope.domains && this.domains.has(name) ? prefixKey("domain", name) : undefined);
    if (key) this.ref(key, span);
    else this.occs.push({ kind: "name", span, name });
  }

  private expr(e: A.Expr, scope: Scope): void {
    switch (e.kind) {
      case "Name":
        this.name(e.name, e.span, scope);
        return;
      case "Call":
        this.occs.push({ kind: "callee", span: e.callee.span, name: e.callee.name, table: "builtin" });
        for (const a of e.args) this.expr(a.value, scope);
        return;
      case "Binary":
        this.expr(e.left, scope);
        this.expr(e.right, scope);
        return;
      case "Unary":
        this.expr(e.operand, scope);
        return;
      case "Type":
        this.expr(e.size, scope);
        return;
      default:
        return;
    }
  }

  private lossExpr(e: A.Expr): void {
    const scope: Scope = { domains: true };
    switch (e.kind) {
      case "Call": {
        const f = e.callee.name;
        if (this.nets.has(f)) this.ref(prefixKey("net", f), e.callee.span, { call: e });
        else if (f in LOSS_FUNCTIONS) this.occs.push({ kind: "lossFn", span: e.callee.span, name: f, call: e });
        else this.occs.push({ kind: "name", span: e.callee.span, name: f });
        for (const a of e.args) this.lossExpr(a.value);
        return;
      }
      case "Binary":
        this.lossExpr(e.left);
        this.lossExpr(e.right);
        return;
      case "Unary":
        this.lossExpr(e.operand);
        return;
      case "Name":
        // in a loss, a domain shadows a param of the same name (as in the compiler)
        if (this.domains.has(e.name)) this.ref(prefixKey("domain", e.name), e.span);
        else this.name(e.name, e.span, scope);
        return;
      default:
        this.expr(e, scope);
    }
  }
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
}

/** Is `name` a built-in layer? */
export function isOp(name: string): boolean {
  return Object.hasOwn(OPS, name);
}

const MODELS = new WeakMap<Analysis, Model>();

/** The index of an analysis, built once. */
export function modelOf(a: Analysis): Model {
  let m = MODELS.get(a);
  if (!m) {
    m = new Model(a);
    MODELS.set(a, m);
  }
  return m;
}
