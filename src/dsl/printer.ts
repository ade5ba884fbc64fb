// The canonical formatter: AST → .gan text.
//
// Rules:
//  - 2-space indentation, one statement per line, `key: value` for keyword arguments,
//    numbers printed with their `raw` text, strings JSON-quoted.
//  - A layer body (block, network, repeat, residual, skip, if/else) stays on one line,
//    `block c7s1(k) { reflect_pad(3) conv(k, 7) relu }`, when that line fits in 100 columns
//    (indentation included, trailing comment not counted), nothing inside carries a comment
//    and the source had no blank line between its layers; otherwise one layer per line. `nets`, `data`, `loss { }` and `train` bodies are always
//    one item per line. Empty bodies print as `{}`.
//  - Minimal parentheses: precedence or < and < not < comparison < + - < * / % < unary minus,
//    binary operators left-associative (`a - (b - c)` keeps its parentheses), comparisons
//    non-associative.
//  - Top level: a blank line between declarations, except that consecutive `param`/`init`
//    lines stay together unless the source separated them with a blank line. Inside
//    multi-line bodies, a blank line in the source between two items is kept (one at most).
//  - Comments: leading comments on their own lines above their node, a trailing comment
//    after two spaces; `Spec.trailingComment` goes on the `gan` header line.
import type * as A from "./ast.js";

const WIDTH = 100;
const IND = "  ";

type Item = A.Decl | A.Layer | A.NetInstance | A.Setting | A.DomainDecl | A.LossTerm | A.StepDecl;

export function print(spec: A.Spec): string {
  const out: string[] = [];
  for (const c of spec.leadingComments ?? []) out.push(commentText(c));
  out.push(withTrailing(`gan ${spec.name.name}`, spec.trailingComment));
  let prev: A.Decl | undefined;
  for (const d of spec.decls) {
    const simple = (x: A.Decl) => x.kind === "ParamDecl" || x.kind === "InitDecl";
    if (!(prev && simple(prev) && simple(d) && !gapBetween(prev, d))) out.push("");
    out.push(...itemLines(d, 0));
    prev = d;
  }
  if (spec.trailingComments?.length) {
    out.push("");
    for (const c of spec.trailingComments) out.push(commentText(c));
  }
  return alignTrailingComments(out).join("\n") + "\n";
}

/** Marks where a trailing comment starts, so consecutive ones can be aligned at the end. */
const MARK = "\u0000";

/** Aligns the trailing comments of consecutive lines (at the same indentation) to one column. */
function alignTrailingComments(lines: string[]): string[] {
  const out = [...lines];
  const indent = (l: string) => l.length - l.trimStart().length;
  for (let i = 0; i < out.length; ) {
    if (!out[i]!.includes(MARK)) {
      i++;
      continue;
    }
    let j = i;
    while (j < out.length && out[j]!.includes(MARK) && indent(out[j]!) === indent(out[i]!)) j++;
    const width = Math.max(...out.slice(i, j).map((l) => l.indexOf(MARK)));
    for (let k = i; k < j; k++) {
      const [code, comment] = out[k]!.split(MARK) as [string, string];
      out[k] = `${code.padEnd(width)}  ${comment}`;
    }
    i = j;
  }
  return out;
}

// ---------------------------------------------------------------- statements

function commentText(c: A.Comment): string {
  return c.text.trimEnd();
}
function withTrailing(line: string, c: A.Comment | undefined): string {
  return c ? `${line}${MARK}${commentText(c)}` : line;
}

/** Whether the source had a blank line between two items (only known when spans are present). */
function gapBetween(prev: { span?: A.Span }, cur: { span?: A.Span; leadingComments?: A.Comment[] }): boolean {
  const end = prev.span?.endLine;
  const start = cur.leadingComments?.[0]?.span?.line ?? cur.span?.line;
  return end !== undefined && start !== undefined && start - end > 1;
}

/** The lines of one statement (with its comments), indented `depth` levels. */
function itemLines(it: Item, depth: number): string[] {
  const pad = IND.repeat(depth);
  const lines = (it.leadingComments ?? []).map((c) => pad + commentText(c));
  const body = stmtLines(it, depth);
  body[body.length - 1] = withTrailing(body[body.length - 1]!, it.trailingComment);
  return [...lines, ...body];
}

function listBlock(head: string, items: Item[], depth: number): string[] {
  const pad = IND.repeat(depth);
  if (!items.length) return [`${pad}${head} {}`];
  const lines = [`${pad}${head} {`];
  items.forEach((it, i) => {
    if (i > 0 && gapBetween(items[i - 1]!, it)) lines.push("");
    lines.push(...itemLines(it, depth + 1));
  });
  lines.push(`${pad}}`);
  return lines;
}

function stmtLines(it: Item, depth: number): string[] {
  const pad = IND.repeat(depth);
  switch (it.kind) {
    case "ParamDecl":
      return [`${pad}param ${it.name.name} = ${expr(it.value)}`];
    case "InitDecl":
      return [`${pad}init ${expr(it.value)}`];
    case "BlockDecl":
      return bodyLines(`block ${it.name.name}${params(it.params)}${it.form ? ` ${it.form}` : ""}`, it.body, depth);
    case "NetworkDecl":
      return bodyLines(`network ${it.name.name}${params(it.params)}: ${expr(it.input)} -> ${expr(it.output)}`, it.body, depth);
    case "NetsDecl":
      return listBlock("nets", it.nets, depth);
    case "DataDecl":
      return listBlock("data", it.items, depth);
    case "LossDecl":
      if (it.short && it.terms.length === 1) return [`${pad}loss ${it.name.name} = ${expr(it.terms[0]!.value)}`];
      return listBlock(`loss ${it.name.name}`, it.terms, depth);
    case "TrainDecl":
      return listBlock("train", it.items, depth);
    case "NetInstance":
      return [`${pad}${it.name.name} = ${it.network.name}(${args(it.args)})${it.init ? ` init ${expr(it.init)}` : ""}`];
    case "Setting":
      return [`${pad}${it.key.name}: ${expr(it.value)}`];
    case "DomainDecl":
      return [`${pad}domain ${it.name.name}: ${expr(it.type)}`];
    case "LossTerm":
      return [`${pad}${it.name.name}: ${expr(it.value)}`];
    case "StepDecl": {
      let s = `${pad}step ${it.loss.name} updates ${it.updates.map((u) => u.name).join(", ")} with ${expr(it.optimizer)}`;
      if (it.repeat) s += ` repeat ${expr(it.repeat)}`;
      if (it.clip) s += ` clip(${args(it.clip)})`;
      return [s];
    }
    default:
      return layerLines(it, depth);
  }
}

function params(ps: A.ParamDef[]): string {
  if (!ps.length) return "";
  return `(${ps.map((p) => (p.default ? `${p.name.name} = ${expr(p.default)}` : p.name.name)).join(", ")})`;
}

// ---------------------------------------------------------------- layers

function hasComments(l: A.Layer): boolean {
  if (l.leadingComments?.length || l.trailingComment) return true;
  switch (l.kind) {
    case "LayerCall":
      return false;
    case "If":
      return l.then.some(hasComments) || (l.else ?? []).some(hasComments);
    default:
      return l.body.some(hasComments);
  }
}

/** `else if` form: an else branch holding exactly one plain, unlabelled, comment-free IfLayer. */
function elseIf(l: A.IfLayer): A.IfLayer | undefined {
  const e = l.else;
  if (e?.length === 1 && e[0]!.kind === "If" && !e[0]!.label && !e[0]!.leadingComments?.length && !e[0]!.trailingComment) return e[0];
  return undefined;
}

/** The one-line form of a layer, without comment checks. */
function layerFlat(l: A.Layer): string {
  const label = l.label ? `${l.label.name}: ` : "";
  const flatBody = (b: A.Layer[]) => (b.length ? `{ ${b.map(layerFlat).join(" ")} }` : "{}");
  switch (l.kind) {
    case "LayerCall":
      return `${label}${l.callee.name}${l.parens ? `(${args(l.args)})` : ""}`;
    case "Repeat":
      return `${label}repeat ${expr(l.count)} ${flatBody(l.body)}`;
    case "Residual":
      return `${label}residual ${flatBody(l.body)}`;
    case "Skip":
      return `${label}skip ${flatBody(l.body)}`;
    case "If": {
      let s = `${label}if ${expr(l.cond)} ${flatBody(l.then)}`;
      if (l.else) {
        const ei = elseIf(l);
        s += ei ? ` else ${layerFlat(ei)}` : ` else ${flatBody(l.else)}`;
      }
      return s;
    }
  }
}

/** Whether the source had `b` start on the line where `a` ends (only known with spans). */
function sameLine(a: A.Layer, b: A.Layer): boolean {
  return !!a.span && !!b.span && a.span.endLine === b.span.line;
}

/** Whether the whole body was written on one source line (true when spans are absent). */
function writtenOnOneLine(body: A.Layer[]): boolean {
  const first = body[0]!.span;
  const last = body[body.length - 1]!.span;
  return !first || !last || first.line === last.endLine;
}

/**
 * `head { layers }` on one line when the source had it on one line, it fits and has no
 * comments; else one source line of layers per line (`reflect_pad(3) conv(64, 7) relu`
 * stays together, as the author grouped it).
 */
function bodyLines(head: string, body: A.Layer[], depth: number): string[] {
  const pad = IND.repeat(depth);
  if (!body.length) return [`${pad}${head} {}`];
  const flat = `${pad}${head} { ${body.map(layerFlat).join(" ")} }`;
  const gaps = body.some((l, i) => i > 0 && gapBetween(body[i - 1]!, l));
  if (flat.length <= WIDTH && !gaps && !body.some(hasComments) && writtenOnOneLine(body)) return [flat];
  return [`${pad}${head} {`, ...bodyItems(body, depth + 1), `${pad}}`];
}

function bodyItems(body: A.Layer[], depth: number): string[] {
  const lines: string[] = [];
  const pad = IND.repeat(depth);
  let open = false; // the last line holds a group of one-line layers that may grow
  body.forEach((l, i) => {
    const prev = body[i - 1];
    if (prev && gapBetween(prev, l)) {
      lines.push("");
      open = false;
    }
    const single = itemLines(l, depth);
    const joinable = single.length === 1 && !l.leadingComments?.length && !l.trailingComment;
    if (open && prev && joinable && sameLine(prev, l)) {
      const joined = `${lines[lines.length - 1]} ${single[0]!.slice(pad.length)}`;
      if (joined.length <= WIDTH) {
        lines[lines.length - 1] = joined;
        return;
      }
    }
    lines.push(...single);
    open = single.length === 1 && !l.trailingComment;
  });
  return lines;
}

function layerLines(l: A.Layer, depth: number): string[] {
  const pad = IND.repeat(depth);
  const label = l.label ? `${l.label.name}: ` : "";
  switch (l.kind) {
    case "LayerCall":
      return [pad + layerFlat(l)];
    case "Repeat":
      return bodyLines(`${label}repeat ${expr(l.count)}`, l.body, depth);
    case "Residual":
      return bodyLines(`${label}residual`, l.body, depth);
    case "Skip":
      return bodyLines(`${label}skip`, l.body, depth);
    case "If": {
      if (!hasCommentsInside(l)) {
        const flat = pad + layerFlat(l);
        if (flat.length <= WIDTH) return [flat];
      }
      return ifLines(l, `${pad}${label}`, depth);
    }
  }
}

function hasCommentsInside(l: A.IfLayer): boolean {
  return l.then.some(hasComments) || (l.else ?? []).some(hasComments);
}

/** Multi-line if/else if/else; `start` is the text before `if` on the first line. */
function ifLines(l: A.IfLayer, start: string, depth: number): string[] {
  const pad = IND.repeat(depth);
  const block = (b: A.Layer[]) => bodyItems(b, depth + 1);
  const lines = [`${start}if ${expr(l.cond)} {`, ...block(l.then)];
  if (!l.else) {
    lines.push(`${pad}}`);
    return lines;
  }
  const ei = elseIf(l);
  if (ei) {
    const rest = ifLines(ei, `${pad}} else `, depth);
    return [...lines, ...rest];
  }
  lines.push(`${pad}} else {`, ...block(l.else), `${pad}}`);
  return lines;
}

// ---------------------------------------------------------------- expressions

const PREC: Record<A.BinaryOp, number> = {
  or: 1, and: 2, "==": 4, "!=": 4, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6,
};
const NOT_PREC = 3;
const NEG_PREC = 7;
const ATOM_PREC = 8;

function prec(e: A.Expr): number {
  if (e.kind === "Binary") return PREC[e.op];
  if (e.kind === "Unary") return e.op === "not" ? NOT_PREC : NEG_PREC;
  return ATOM_PREC;
}

function args(as: A.Arg[]): string {
  return as.map((a) => (a.key ? `${a.key.name}: ${expr(a.value)}` : expr(a.value))).join(", ");
}

export function expr(e: A.Expr): string {
  const wrap = (x: A.Expr, paren: boolean) => (paren ? `(${expr(x)})` : expr(x));
  switch (e.kind) {
    case "Number":
      return e.raw;
    case "String":
      return JSON.stringify(e.value);
    case "Bool":
      return e.value ? "true" : "false";
    case "Name":
      return e.name;
    case "Call":
      return `${e.callee.name}(${args(e.args)})`;
    case "Type":
      return `${e.name.name}[${expr(e.size)}]`;
    case "Unary":
      if (e.op === "not") return `not ${wrap(e.operand, prec(e.operand) < NOT_PREC)}`;
      // `-(-x)` rather than `--x`
      return `-${wrap(e.operand, prec(e.operand) < NEG_PREC || (e.operand.kind === "Unary" && e.operand.op === "-"))}`;
    case "Binary": {
      const p = PREC[e.op];
      const cmp = p === 4;
      return `${wrap(e.left, cmp ? prec(e.left) <= p : prec(e.left) < p)} ${e.op} ${wrap(e.right, prec(e.right) <= p)}`;
    }
  }
}
