// AST of the .gan language. Every node carries a span into the source file.
// The CST never leaves src/dsl; everything after parsing works on these types.

export interface Span {
  file: string;
  /** 0-based character offsets, end exclusive */
  start: number;
  end: number;
  /** 1-based line and column of `start` */
  line: number;
  col: number;
  /** 1-based line and column of the last character (inclusive) */
  endLine: number;
  endCol: number;
}

/** A comment as written (`# ...`), kept so the formatter can print it back. */
export interface Comment {
  text: string; // including the leading '#'
  span: Span;
}

interface NodeBase {
  span: Span;
  /** comments on their own lines directly before this node */
  leadingComments?: Comment[];
  /** a comment at the end of this node's last line */
  trailingComment?: Comment;
}

export interface Ident {
  name: string;
  span: Span;
}

// ---------------------------------------------------------------- expressions

export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | NameRef
  | CallExpr
  | BinaryExpr
  | UnaryExpr
  | TypeExpr;

export interface NumberLit extends NodeBase {
  kind: "Number";
  value: number;
  /** the source text, e.g. "2e-4", so the printer keeps the user's spelling */
  raw: string;
  isInt: boolean;
}
export interface StringLit extends NodeBase {
  kind: "String";
  value: string;
}
export interface BoolLit extends NodeBase {
  kind: "Bool";
  value: boolean;
}
export interface NameRef extends NodeBase {
  kind: "Name";
  name: string;
}
/** `f(a, b, key: c)` — `f` alone (no parentheses) is a NameRef, not a call. */
export interface CallExpr extends NodeBase {
  kind: "Call";
  callee: Ident;
  args: Arg[];
}
export interface Arg {
  /** keyword, for `key: value` arguments */
  key?: Ident;
  value: Expr;
  span: Span;
}
export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "and" | "or";
export interface BinaryExpr extends NodeBase {
  kind: "Binary";
  op: BinaryOp;
  left: Expr;
  right: Expr;
}
export interface UnaryExpr extends NodeBase {
  kind: "Unary";
  op: "-" | "not";
  operand: Expr;
}
/** `image[3]`, `vector[1]` — a tensor type with a channel/feature count. */
export interface TypeExpr extends NodeBase {
  kind: "Type";
  name: Ident; // image | vector
  size: Expr;
}

// ---------------------------------------------------------------- layers

/** One item in a network or block body. */
export type Layer = LayerCall | RepeatLayer | ResidualLayer | SkipLayer | IfLayer;

/** `conv(64, 7, stride: 2)`, `relu`, `res(ngf * 4)`; optionally labelled `d1: conv(...)`. */
export interface LayerCall extends NodeBase {
  kind: "LayerCall";
  label?: Ident;
  callee: Ident;
  args: Arg[];
  /** true when written with parentheses (`relu()` vs `relu`), kept for printing */
  parens: boolean;
}
/** `repeat n { ... }` */
export interface RepeatLayer extends NodeBase {
  kind: "Repeat";
  label?: Ident;
  count: Expr;
  body: Layer[];
}
/** `residual { ... }` — out = x + body(x) */
export interface ResidualLayer extends NodeBase {
  kind: "Residual";
  label?: Ident;
  body: Layer[];
}
/** `skip { ... }` — out = concat(x, body(x)) along channels (U-Net skip) */
export interface SkipLayer extends NodeBase {
  kind: "Skip";
  label?: Ident;
  body: Layer[];
}
/** `if cond { ... } else { ... }` — evaluated at compile time */
export interface IfLayer extends NodeBase {
  kind: "If";
  label?: Ident;
  cond: Expr;
  then: Layer[];
  /** `else { }` body, or a nested `else if` as a single IfLayer */
  else?: Layer[];
}

// ---------------------------------------------------------------- declarations

export interface ParamDef {
  name: Ident;
  default?: Expr;
  span: Span;
}

/** `param ngf = 64` — a spec parameter, overridable with `--set ngf=8`. */
export interface ParamDecl extends NodeBase {
  kind: "ParamDecl";
  name: Ident;
  value: Expr;
}

/** `block res(c) residual { ... }` — `form` wraps the whole body. */
export interface BlockDecl extends NodeBase {
  kind: "BlockDecl";
  name: Ident;
  params: ParamDef[];
  form?: "residual" | "skip";
  body: Layer[];
}

/** `network ResnetGenerator(blocks = 9): image[3] -> image[3] { ... }` */
export interface NetworkDecl extends NodeBase {
  kind: "NetworkDecl";
  name: Ident;
  params: ParamDef[];
  input: TypeExpr;
  output: TypeExpr;
  body: Layer[];
}

/** `G_AB = ResnetGenerator(blocks: 9) init normal(std: 0.02)` inside `nets { }` */
export interface NetInstance extends NodeBase {
  kind: "NetInstance";
  name: Ident;
  network: Ident;
  args: Arg[];
  init?: Expr;
}
export interface NetsDecl extends NodeBase {
  kind: "NetsDecl";
  nets: NetInstance[];
}

/** `key: value` inside `data { }` or `train { }` */
export interface Setting extends NodeBase {
  kind: "Setting";
  key: Ident;
  value: Expr;
}
/** `domain A: image[3]` */
export interface DomainDecl extends NodeBase {
  kind: "DomainDecl";
  name: Ident;
  type: TypeExpr;
}
export interface DataDecl extends NodeBase {
  kind: "DataDecl";
  items: (Setting | DomainDecl)[];
}

/** `cycle_A: lambda_A * l1(G_BA(G_AB(A)), A)` inside `loss name { }` */
export interface LossTerm extends NodeBase {
  kind: "LossTerm";
  name: Ident;
  value: Expr;
}
/**
 * `loss name { term: expr ... }` (the loss is the sum of its named terms), or
 * `loss name = expr` (a single term named like the loss; `terms[0].name` equals `name`
 * and `short` is true).
 */
export interface LossDecl extends NodeBase {
  kind: "LossDecl";
  name: Ident;
  terms: LossTerm[];
  short: boolean;
}

/**
 * `step generator updates G_AB, G_BA with adam(lr: 2e-4, beta1: 0.5) repeat 2 clip(-0.01, 0.01)`
 */
export interface StepDecl extends NodeBase {
  kind: "StepDecl";
  loss: Ident;
  updates: Ident[];
  optimizer: Expr;
  repeat?: Expr;
  clip?: Arg[];
  clipSpan?: Span;
}
export interface TrainDecl extends NodeBase {
  kind: "TrainDecl";
  items: (Setting | StepDecl)[];
}

/** `init normal(std: 0.02)` — the spec-wide default initialiser */
export interface InitDecl extends NodeBase {
  kind: "InitDecl";
  value: Expr;
}

export type Decl =
  | ParamDecl
  | BlockDecl
  | NetworkDecl
  | NetsDecl
  | DataDecl
  | LossDecl
  | TrainDecl
  | InitDecl;

export interface Spec extends NodeBase {
  kind: "Spec";
  name: Ident;
  decls: Decl[];
  /** comments after the last declaration */
  trailingComments?: Comment[];
}
