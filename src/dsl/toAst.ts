// CST → AST. Works on partial CSTs from error recovery: anything incomplete is skipped
// (the parser's diagnostics already say what is wrong). Also attaches comments.
import type { CstElement, CstNode, IToken } from "chevrotain";
import type * as A from "./ast.js";
import { diag, type Diagnostic, type SourceFile } from "./diagnostics.js";
import { decodeString } from "./lexer.js";

type Stmt = A.Spec | A.Decl | A.Layer | A.NetInstance | A.Setting | A.DomainDecl | A.LossTerm | A.StepDecl;

const isToken = (e: CstElement): e is IToken => "tokenType" in e;
const isReal = (t: IToken): boolean => !t.isInsertedInRecovery && Number.isFinite(t.startOffset) && t.image !== "";

function kids(n: CstNode | undefined, key: string): CstNode[] {
  const c = n?.children[key];
  return c ? (c.filter((e) => !isToken(e)) as CstNode[]) : [];
}
function kid(n: CstNode | undefined, key: string): CstNode | undefined {
  return kids(n, key)[0];
}
/** Tokens actually present in the source (not inserted by recovery). */
function toks(n: CstNode | undefined, key: string): IToken[] {
  const c = n?.children[key];
  return c ? (c.filter((e) => isToken(e) && isReal(e)) as IToken[]) : [];
}
function tok(n: CstNode | undefined, key: string): IToken | undefined {
  return toks(n, key)[0];
}
const defined = <T>(x: T | undefined): x is T => x !== undefined;

export interface ToAstResult {
  spec: A.Spec;
  diagnostics: Diagnostic[];
}

export function toAst(cst: CstNode, source: SourceFile, comments: A.Comment[], firstToken?: IToken): ToAstResult {
  const b = new Builder(source);
  const spec = b.spec(cst, firstToken);
  attachComments(spec, b.stmts, comments, source);
  return { spec, diagnostics: b.diagnostics };
}

class Builder {
  readonly diagnostics: Diagnostic[] = [];
  readonly stmts: Stmt[] = [];
  private ranges = new WeakMap<CstNode, [number, number] | null>();

  constructor(private readonly source: SourceFile) {}

  // ------------------------------------------------------------ spans

  private range(n: CstNode): [number, number] | null {
    const memo = this.ranges.get(n);
    if (memo !== undefined) return memo;
    let lo = Infinity;
    let hi = -Infinity;
    for (const list of Object.values(n.children)) {
      for (const e of list) {
        if (isToken(e)) {
          if (!isReal(e)) continue;
          lo = Math.min(lo, e.startOffset);
          hi = Math.max(hi, e.startOffset + e.image.length);
        } else {
          const r = this.range(e);
          if (r) {
            lo = Math.min(lo, r[0]);
            hi = Math.max(hi, r[1]);
          }
        }
      }
    }
    const r: [number, number] | null = lo === Infinity ? null : [lo, hi];
    this.ranges.set(n, r);
    return r;
  }
  private nodeSpan(n: CstNode): A.Span {
    const r = this.range(n);
    return r ? this.source.span(r[0], r[1]) : this.source.span(0, 0);
  }
  private tokSpan(t: IToken): A.Span {
    return this.source.span(t.startOffset, t.startOffset + t.image.length);
  }
  private ident(t: IToken | undefined): A.Ident | undefined {
    return t ? { name: t.image, span: this.tokSpan(t) } : undefined;
  }
  private stmt<T extends Stmt>(s: T): T {
    this.stmts.push(s);
    return s;
  }
  /** Child nodes under several keys, in source order (nodes without real tokens are dropped). */
  private ordered(n: CstNode | undefined, keys: string[]): { key: string; node: CstNode }[] {
    const out: { key: string; node: CstNode; at: number }[] = [];
    for (const key of keys) {
      for (const node of kids(n, key)) {
        const r = this.range(node);
        if (r) out.push({ key, node, at: r[0] });
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  // ------------------------------------------------------------ declarations

  spec(n: CstNode, firstToken: IToken | undefined): A.Spec {
    const gan = tok(n, "Gan");
    if (!gan) {
      const at = firstToken && isReal(firstToken) ? this.tokSpan(firstToken) : this.source.span(0, 0);
      this.diagnostics.push(diag("GAN1005", "a spec must start with `gan <name>`", at, { hint: "add a first line like `gan my_model`" }));
    }
    const name = this.ident(tok(n, "Ident")) ?? { name: "", span: gan ? this.tokSpan(gan) : this.source.span(0, 0) };
    const spec: A.Spec = { kind: "Spec", name, decls: [], span: this.nodeSpan(n) };
    this.stmts.push(spec);
    const kinds = ["paramDecl", "initDecl", "blockDecl", "networkDecl", "netsDecl", "dataDecl", "lossDecl", "trainDecl"];
    for (const { key, node } of this.ordered(n, kinds)) {
      const d = this.decl(key, node);
      if (d) spec.decls.push(d);
    }
    return spec;
  }

  private decl(key: string, n: CstNode): A.Decl | undefined {
    const span = this.nodeSpan(n);
    switch (key) {
      case "paramDecl": {
        const name = this.ident(tok(n, "Ident"));
        const value = this.expr(kid(n, "expr"));
        return name && value ? this.stmt({ kind: "ParamDecl", name, value, span }) : undefined;
      }
      case "initDecl": {
        const value = this.expr(kid(n, "expr"));
        return value ? this.stmt({ kind: "InitDecl", value, span }) : undefined;
      }
      case "blockDecl": {
        const name = this.ident(tok(n, "Ident"));
        const bodyNode = kid(n, "body");
        if (!name || !bodyNode) return undefined;
        const d: A.BlockDecl = this.stmt({ kind: "BlockDecl", name, params: this.paramList(kid(n, "paramList")), body: [], span });
        if (tok(n, "Residual")) d.form = "residual";
        else if (tok(n, "Skip")) d.form = "skip";
        d.body = this.body(bodyNode);
        return d;
      }
      case "networkDecl": {
        const name = this.ident(tok(n, "Ident"));
        const input = this.typeExpr(kid(n, "input"));
        const output = this.typeExpr(kid(n, "output"));
        const bodyNode = kid(n, "body");
        if (!name || !input || !output || !bodyNode) return undefined;
        const d: A.NetworkDecl = this.stmt({ kind: "NetworkDecl", name, params: this.paramList(kid(n, "paramList")), input, output, body: [], span });
        d.body = this.body(bodyNode);
        return d;
      }
      case "netsDecl": {
        const d: A.NetsDecl = this.stmt({ kind: "NetsDecl", nets: [], span });
        d.nets = kids(n, "netInstance").map((x) => this.netInstance(x)).filter(defined);
        return d;
      }
      case "dataDecl": {
        const d: A.DataDecl = this.stmt({ kind: "DataDecl", items: [], span });
        for (const { key: k, node } of this.ordered(n, ["setting", "domainDecl"])) {
          const item = k === "setting" ? this.setting(node) : this.domainDecl(node);
          if (item) d.items.push(item);
        }
        return d;
      }
      case "lossDecl": {
        const name = this.ident(tok(n, "Ident"));
        if (!name) return undefined;
        if (tok(n, "Eq") || kid(n, "expr")) {
          const value = this.expr(kid(n, "expr"));
          if (!value) return undefined;
          const term: A.LossTerm = { kind: "LossTerm", name: { ...name, span: { ...name.span } }, value, span: value.span };
          return this.stmt({ kind: "LossDecl", name, terms: [term], short: true, span });
        }
        const d: A.LossDecl = this.stmt({ kind: "LossDecl", name, terms: [], short: false, span });
        d.terms = kids(n, "lossTerm").map((x) => this.lossTerm(x)).filter(defined);
        return d;
      }
      case "trainDecl": {
        const d: A.TrainDecl = this.stmt({ kind: "TrainDecl", items: [], span });
        for (const { key: k, node } of this.ordered(n, ["setting", "stepDecl"])) {
          const item = k === "setting" ? this.setting(node) : this.stepDecl(node);
          if (item) d.items.push(item);
        }
        return d;
      }
    }
    return undefined;
  }

  private paramList(n: CstNode | undefined): A.ParamDef[] {
    const out: A.ParamDef[] = [];
    for (const p of kids(n, "paramDef")) {
      const name = this.ident(tok(p, "Ident"));
      if (!name) continue;
      const def: A.ParamDef = { name, span: this.nodeSpan(p) };
      const e = kid(p, "expr");
      if (e) {
        const v = this.expr(e);
        if (!v) continue;
        def.default = v;
      }
      out.push(def);
    }
    return out;
  }

  private netInstance(n: CstNode): A.NetInstance | undefined {
    const name = this.ident(tok(n, "name"));
    const network = this.ident(tok(n, "network"));
    if (!name || !network) return undefined;
    const inst: A.NetInstance = this.stmt({ kind: "NetInstance", name, network, args: this.args(kid(n, "args")), span: this.nodeSpan(n) });
    if (tok(n, "Init") || kid(n, "expr")) {
      const init = this.expr(kid(n, "expr"));
      if (init) inst.init = init;
    }
    return inst;
  }

  private setting(n: CstNode): A.Setting | undefined {
    const key = this.ident(tok(n, "Ident"));
    const value = this.expr(kid(n, "expr"));
    return key && value ? this.stmt({ kind: "Setting", key, value, span: this.nodeSpan(n) }) : undefined;
  }

  private domainDecl(n: CstNode): A.DomainDecl | undefined {
    const name = this.ident(tok(n, "Ident"));
    const type = this.typeExpr(kid(n, "typeExpr"));
    return name && type ? this.stmt({ kind: "DomainDecl", name, type, span: this.nodeSpan(n) }) : undefined;
  }

  private lossTerm(n: CstNode): A.LossTerm | undefined {
    const keyword = tok(n, "keywordName");
    if (keyword) {
      this.diagnostics.push(
        diag("GAN1002", `\`${keyword.image}\` is a keyword and cannot name a loss term`, this.tokSpan(keyword), {
          hint: `rename the term, e.g. \`${keyword.image}_term:\` (keywords: gan, param, block, network, nets, data, domain, loss, train, step, …)`,
        }),
      );
    }
    const name = this.ident(tok(n, "Ident") ?? keyword);
    const value = this.expr(kid(n, "expr"));
    return name && value ? this.stmt({ kind: "LossTerm", name, value, span: this.nodeSpan(n) }) : undefined;
  }

  private stepDecl(n: CstNode): A.StepDecl | undefined {
    const loss = this.ident(tok(n, "loss"));
    const updates = toks(n, "updates").map((t) => this.ident(t)!);
    const optimizer = this.expr(kid(n, "optimizer"));
    if (!loss || !updates.length || !optimizer) return undefined;
    const s: A.StepDecl = this.stmt({ kind: "StepDecl", loss, updates, optimizer, span: this.nodeSpan(n) });
    const rep = kid(n, "repeat");
    if (rep) {
      const r = this.expr(rep);
      if (r) s.repeat = r;
    }
    const clip = tok(n, "Clip");
    if (clip) {
      s.clip = this.args(kid(n, "args"));
      const close = tok(n, "RParen");
      const last = s.clip[s.clip.length - 1];
      const end = close ? close.startOffset + close.image.length : last ? last.span.end : clip.startOffset + clip.image.length;
      s.clipSpan = this.source.span(clip.startOffset, end);
    }
    return s;
  }

  // ------------------------------------------------------------ layers

  private body(n: CstNode | undefined): A.Layer[] {
    return kids(n, "layer").map((l) => this.layer(l)).filter(defined);
  }

  private layer(n: CstNode): A.Layer | undefined {
    const label = this.ident(tok(n, "label"));
    const span = this.nodeSpan(n);
    let layer: A.Layer | undefined;
    const call = kid(n, "layerCall");
    const rep = kid(n, "repeatLayer");
    const res = kid(n, "residualLayer");
    const skip = kid(n, "skipLayer");
    const iff = kid(n, "ifLayer");
    if (call) {
      const callee = this.ident(tok(call, "Ident"));
      if (!callee) return undefined;
      const parens = tok(call, "LParen") !== undefined;
      layer = this.stmt({ kind: "LayerCall", callee, args: parens ? this.args(kid(call, "args")) : [], parens, span });
    } else if (rep) {
      const count = this.expr(kid(rep, "expr"));
      const bodyNode = kid(rep, "body");
      if (!count || !bodyNode) return undefined;
      layer = this.stmt({ kind: "Repeat", count, body: [], span });
      layer.body = this.body(bodyNode);
    } else if (res || skip) {
      const bodyNode = kid(res ?? skip, "body");
      if (!bodyNode) return undefined;
      const wrap: A.ResidualLayer | A.SkipLayer = this.stmt({ kind: res ? "Residual" : "Skip", body: [], span });
      wrap.body = this.body(bodyNode);
      layer = wrap;
    } else if (iff) {
      layer = this.ifLayer(iff, span);
    }
    if (layer && label) layer.label = label;
    return layer;
  }

  private ifLayer(n: CstNode, span: A.Span): A.IfLayer | undefined {
    const cond = this.expr(kid(n, "expr"));
    const thenNode = kid(n, "then");
    if (!cond || !thenNode) return undefined;
    const node: A.IfLayer = this.stmt({ kind: "If", cond, then: [], span });
    node.then = this.body(thenNode);
    const elseBody = kid(n, "elseBody");
    const elseIf = kid(n, "elseIf");
    if (elseBody) node.else = this.body(elseBody);
    else if (elseIf) {
      const nested = this.ifLayer(elseIf, this.nodeSpan(elseIf));
      if (nested) node.else = [nested];
    }
    return node;
  }

  // ------------------------------------------------------------ expressions

  private args(n: CstNode | undefined): A.Arg[] {
    const out: A.Arg[] = [];
    for (const a of kids(n, "arg")) {
      const value = this.expr(kid(a, "expr"));
      if (!value) continue;
      const arg: A.Arg = { value, span: this.nodeSpan(a) };
      const key = this.ident(tok(a, "Ident"));
      if (key) arg.key = key;
      out.push(arg);
    }
    return out;
  }

  private typeExpr(n: CstNode | undefined): A.TypeExpr | undefined {
    const name = this.ident(tok(n, "Ident"));
    const size = this.expr(kid(n, "expr"));
    return n && name && size ? { kind: "Type", name, size, span: this.nodeSpan(n) } : undefined;
  }

  private fold(n: CstNode, operandKey: string, opKey: string, sub: (c: CstNode | undefined) => A.Expr | undefined): A.Expr | undefined {
    const operands = kids(n, operandKey);
    const ops = toks(n, opKey);
    let left = sub(operands[0]);
    if (!left) return undefined;
    for (let i = 0; i < ops.length; i++) {
      const right = sub(operands[i + 1]);
      if (!right) break;
      const op = ops[i]!.image as A.BinaryOp;
      left = { kind: "Binary", op, left, right, span: this.source.span(left.span.start, right.span.end) };
    }
    return left;
  }

  expr = (n: CstNode | undefined): A.Expr | undefined => (n ? this.fold(n, "andExpr", "Or", this.andExpr) : undefined);
  private andExpr = (n: CstNode | undefined): A.Expr | undefined => (n ? this.fold(n, "notExpr", "And", this.notExpr) : undefined);
  private notExpr = (n: CstNode | undefined): A.Expr | undefined => {
    if (!n) return undefined;
    if (tok(n, "Not")) {
      const operand = this.notExpr(kid(n, "notExpr"));
      return operand ? { kind: "Unary", op: "not", operand, span: this.nodeSpan(n) } : undefined;
    }
    return this.cmpExpr(kid(n, "cmpExpr"));
  };
  private cmpExpr = (n: CstNode | undefined): A.Expr | undefined => (n ? this.fold(n, "addExpr", "CmpOp", this.addExpr) : undefined);
  private addExpr = (n: CstNode | undefined): A.Expr | undefined => (n ? this.fold(n, "mulExpr", "AddOp", this.mulExpr) : undefined);
  private mulExpr = (n: CstNode | undefined): A.Expr | undefined => (n ? this.fold(n, "unaryExpr", "MulOp", this.unaryExpr) : undefined);
  private unaryExpr = (n: CstNode | undefined): A.Expr | undefined => {
    if (!n) return undefined;
    if (tok(n, "Minus")) {
      const operand = this.unaryExpr(kid(n, "unaryExpr"));
      return operand ? { kind: "Unary", op: "-", operand, span: this.nodeSpan(n) } : undefined;
    }
    return this.primary(kid(n, "primary"));
  };

  private primary(n: CstNode | undefined): A.Expr | undefined {
    if (!n) return undefined;
    const span = this.nodeSpan(n);
    const num = tok(n, "NumberLit");
    if (num) {
      const raw = num.image;
      return { kind: "Number", value: Number(raw), raw, isInt: !/[.eE]/.test(raw), span };
    }
    const str = tok(n, "StringLit");
    if (str) {
      const value = decodeString(str.image.endsWith('"') && str.image.length > 1 ? str.image : `${str.image}"`) ?? str.image.slice(1, -1);
      return { kind: "String", value, span };
    }
    if (tok(n, "True")) return { kind: "Bool", value: true, span };
    if (tok(n, "False")) return { kind: "Bool", value: false, span };
    const id = this.ident(tok(n, "Ident"));
    if (id) {
      if (n.children.LBracket) {
        const size = this.expr(kid(n, "index"));
        return size ? { kind: "Type", name: id, size, span } : undefined;
      }
      if (n.children.callOpen) return { kind: "Call", callee: id, args: this.args(kid(n, "args")), span };
      return { kind: "Name", name: id.name, span };
    }
    const inner = this.expr(kid(n, "inner"));
    // a parenthesized expression: the inner node, widened to cover the parentheses
    return inner ? { ...inner, span } : undefined;
  }
}

// ---------------------------------------------------------------- comments

/**
 * A comment with code before it on its line is the trailing comment of the statement that
 * ends last on that line before it (the `gan` header line: `Spec.trailingComment`).
 * Every other comment leads the next statement; with none left, it goes to
 * `Spec.trailingComments`.
 */
function attachComments(spec: A.Spec, stmts: Stmt[], comments: A.Comment[], source: SourceFile): void {
  const candidates = stmts.filter((s) => s.kind !== "Spec");
  const headerEnd = spec.name.name ? spec.name.span : undefined;
  for (const c of comments) {
    const lineStart = source.lineStarts[c.span.line - 1] ?? 0;
    const codeBefore = source.text.slice(lineStart, c.span.start).trim() !== "";
    if (codeBefore) {
      let best: Stmt | undefined;
      for (const s of candidates) {
        if (s.span.endLine !== c.span.line || s.span.end > c.span.start || s.span.end === s.span.start) continue;
        if (!best || s.span.end > best.span.end || (s.span.end === best.span.end && s.span.start < best.span.start)) best = s;
      }
      if (best && !best.trailingComment) {
        best.trailingComment = c;
        continue;
      }
      if (!best && headerEnd && headerEnd.endLine === c.span.line && !spec.trailingComment) {
        spec.trailingComment = c;
        continue;
      }
    }
    let next: Stmt | undefined;
    for (const s of stmts) {
      if (s.span.start < c.span.end || s.span.end === s.span.start) continue;
      if (!next || s.span.start < next.span.start || (s.span.start === next.span.start && s.span.end > next.span.end)) next = s;
    }
    if (next) (next.leadingComments ??= []).push(c);
    else (spec.trailingComments ??= []).push(c);
  }
}
