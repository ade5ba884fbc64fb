// The IR contract: plain, versioned JSON. The runtime and every other engine read only this
// (never the AST). This file is its ONE definition: the JSON Schema is written with TypeBox,
// and the TypeScript types are derived from it with `Static`, so the two cannot disagree.
// It depends on nothing else in src/ (src/ir is the bottom of the dependency graph).
//
// Layout convention: tensors are NHWC inside the runtime; shapes in the IR omit the batch
// dimension: images are [H, W, C], vectors are [F]. Conv kernels are HWIO ([kh, kw, in, out]),
// conv-transpose kernels are HWOI ([kh, kw, out, in]) as tfjs conv2dTranspose expects.
//
// Enumerations are declared once here, as `const` lists: the schema's literal unions, the
// types, and the compiler's tables (src/compiler/tables.ts, ops.ts) all use these lists.
import { type Static, type TLiteral, type TSchema, type TUnion, Type } from "@sinclair/typebox";

import { DATA_LAYOUTS, DIRECTIONS, GAN_CRITERIA, INIT_KINDS, IR_VERSION, NET_ROLES, OPTIMIZER_KINDS, PARAM_INITS, PREPROCESS_MODES, SCHEDULE_KINDS, TENSOR_KINDS } from "./enums.js";

export * from "./enums.js";

// ---------------------------------------------------------------------------------------------
// Building blocks

type LiteralsOf<T extends readonly string[]> = { -readonly [K in keyof T]: T[K] extends string ? TLiteral<T[K]> : never };

/** The literal union of a `const` list: `"a" | "b"` as a type, `anyOf: [{const: "a"}, {const: "b"}]` as schema. */
export function Literals<const T extends readonly string[]>(values: T): TUnion<LiteralsOf<T>> {
  return Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnion<LiteralsOf<T>>;
}

/**
 * An object with any keys, every value matching `value`. (TypeBox's string-keyed Record uses the
 * key pattern "^(.*)$", which does not match keys with a line break; this pattern matches every key.)
 */
function Dict<T extends TSchema>(value: T) {
  return Type.Record(Type.String({ pattern: "^[\\s\\S]*$" }), value);
}

const closed = { additionalProperties: false } as const;
const Ints = Type.Array(Type.Integer({ minimum: 0 }));
const Strings = Type.Array(Type.String());

export const ScalarSchema = Type.Union([Type.Number(), Type.Boolean(), Type.String()]);
export type Scalar = Static<typeof ScalarSchema>;

export const AttrsSchema = Dict(Type.Union([ScalarSchema, Type.Array(Type.Number())]));
export type Attrs = Static<typeof AttrsSchema>;

export const IrSpanSchema = Type.Object(
  { file: Type.String(), line: Type.Integer(), col: Type.Integer(), endLine: Type.Integer(), endCol: Type.Integer() },
  closed,
);
export type IrSpan = Static<typeof IrSpanSchema>;

const TensorTypeSchema = Type.Object({ kind: Literals(TENSOR_KINDS), channels: Type.Integer({ minimum: 1 }), shape: Ints }, closed);

// ---------------------------------------------------------------------------------------------
// Nets

export const IrParamSchema = Type.Object(
  {
    /** stable path name, e.g. "G_AB/res3/conv1/kernel" */
    name: Type.String(),
    shape: Ints,
    /** how to initialise: "weight" draws from the net's initialiser; others are constants */
    init: Literals(PARAM_INITS),
    /** false for state like batch-norm running statistics (saved, not trained) */
    trainable: Type.Boolean(),
  },
  closed,
);
export type IrParam = Static<typeof IrParamSchema>;

export const IrNodeSchema = Type.Object(
  {
    /** stable path name of the node, e.g. "G_AB/res3/conv1" */
    id: Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)+$" }),
    /** "input" for a net's first node, else a layer op (src/compiler/ops.ts OPS) */
    op: Type.String(),
    attrs: AttrsSchema,
    /** ids of the input nodes; the first node of a net is its `input` node */
    inputs: Strings,
    /** output shape at the declared training size, without batch: [H, W, C] or [F] */
    shape: Ints,
    /** names of this node's parameters (keys into IrNet.params) in the op's order */
    params: Strings,
    span: IrSpanSchema,
  },
  closed,
);
export type IrNode = Static<typeof IrNodeSchema>;

export const IrInitSchema = Type.Object(
  {
    kind: Literals(INIT_KINDS),
    mean: Type.Optional(Type.Number()),
    std: Type.Optional(Type.Number()),
    gain: Type.Optional(Type.Number()),
    scale: Type.Optional(Type.Number()),
  },
  closed,
);
export type IrInit = Static<typeof IrInitSchema>;

export const SizeRuleSchema = Type.Object(
  {
    /** accepted H (= W) sizes: s = min + k * step, k >= 0 (up to the checker's search limit) */
    min: Type.Integer(),
    step: Type.Integer(),
    /** a sentence for humans: "multiples of 4", "multiples of 256", "any size >= 4" */
    text: Type.String(),
    /** when the accepted sizes are not an arithmetic progression, the first few */
    irregular: Type.Optional(Ints),
  },
  closed,
);
export type SizeRule = Static<typeof SizeRuleSchema>;

export const IrNetSchema = Type.Object(
  {
    name: Type.String(),
    network: Type.String(),
    args: Dict(ScalarSchema),
    input: TensorTypeSchema,
    output: TensorTypeSchema,
    init: IrInitSchema,
    /** which role the checker inferred from the losses */
    role: Literals(NET_ROLES),
    sizes: SizeRuleSchema,
    nodes: Type.Array(IrNodeSchema, { minItems: 1 }),
    params: Type.Array(IrParamSchema),
    span: IrSpanSchema,
  },
  closed,
);
export type IrNet = Static<typeof IrNetSchema>;

// ---------------------------------------------------------------------------------------------
// Losses

/** A value in the loss graph. Values are shared (CSE) across terms, losses and steps. */
export const IrValueSchema = Type.Object(
  {
    /** "v0", "v1", ... */
    id: Type.String({ pattern: "^v[0-9]+$" }),
    /**
     * "domain" | "apply" | "l1" | "mse" | "bce" | a GAN criterion | ... | "const" | "add" | "mul" | ...
     * `bce` has one input and `attrs.target` ("real" = 1, "fake" = 0), or two: the logits and the
     * targets, of the same shape or a scalar `const` label that broadcasts (`bce(C(B), 1)`).
     */
    op: Type.String(),
    inputs: Strings,
    attrs: AttrsSchema,
    /** shape without batch; [] for scalars */
    shape: Ints,
    /** the nets this value depends on through non-detached paths */
    grads: Strings,
    span: IrSpanSchema,
  },
  closed,
);
export type IrValue = Static<typeof IrValueSchema>;

export const IrLossTermSchema = Type.Object({ name: Type.String(), value: Type.String(), span: IrSpanSchema }, closed);
export type IrLossTerm = Static<typeof IrLossTermSchema>;

export const IrLossSchema = Type.Object({ name: Type.String(), terms: Type.Array(IrLossTermSchema), span: IrSpanSchema }, closed);
export type IrLoss = Static<typeof IrLossSchema>;

// ---------------------------------------------------------------------------------------------
// Training

export const IrOptimizerSchema = Type.Object(
  {
    kind: Literals(OPTIMIZER_KINDS),
    lr: Type.Number({ exclusiveMinimum: 0 }),
    beta1: Type.Optional(Type.Number()),
    beta2: Type.Optional(Type.Number()),
    eps: Type.Optional(Type.Number()),
    decay: Type.Optional(Type.Number()),
    momentum: Type.Optional(Type.Number()),
    weight_decay: Type.Optional(Type.Number()),
  },
  closed,
);
export type IrOptimizer = Static<typeof IrOptimizerSchema>;

export const IrStepSchema = Type.Object(
  {
    loss: Type.String(),
    updates: Type.Array(Type.String(), { minItems: 1 }),
    optimizer: IrOptimizerSchema,
    /** updates per training iteration: the step's own `repeat`, times `n_critic` for a step that updates only critics */
    repeat: Type.Integer({ minimum: 1 }),
    /** after every one of those updates, every trainable parameter of the updated nets (kernels, biases, norm scales and offsets) is clamped to [min, max] */
    clip: Type.Optional(Type.Object({ min: Type.Number(), max: Type.Number() }, closed)),
    span: IrSpanSchema,
  },
  closed,
);
export type IrStep = Static<typeof IrStepSchema>;

export const IrScheduleSchema = Type.Object(
  {
    kind: Literals(SCHEDULE_KINDS),
    after: Type.Optional(Type.Integer()),
    every: Type.Optional(Type.Integer()),
    gamma: Type.Optional(Type.Number()),
  },
  closed,
);
export type IrSchedule = Static<typeof IrScheduleSchema>;

export const IrTrainSchema = Type.Object(
  {
    epochs: Type.Integer({ minimum: 1 }),
    batch: Type.Integer({ minimum: 1 }),
    seed: Type.Integer({ minimum: 0 }),
    schedule: IrScheduleSchema,
    pool: Type.Object({ size: Type.Integer({ minimum: 0 }), swap: Type.Number({ minimum: 0, maximum: 1 }) }, closed),
    steps: Type.Array(IrStepSchema),
  },
  closed,
);
export type IrTrain = Static<typeof IrTrainSchema>;

// ---------------------------------------------------------------------------------------------
// Data

export const IrDataSchema = Type.Object(
  {
    layout: Literals(DATA_LAYOUTS),
    domains: Type.Array(Type.Object({ name: Type.String(), channels: Type.Integer({ minimum: 1 }) }, closed)),
    preprocess: Literals(PREPROCESS_MODES),
    load: Type.Integer({ minimum: 1 }),
    crop: Type.Integer({ minimum: 1 }),
    flip: Type.Boolean(),
    direction: Literals(DIRECTIONS),
  },
  closed,
);
export type IrData = Static<typeof IrDataSchema>;

// ---------------------------------------------------------------------------------------------
// The IR

export const IrSchema = Type.Object(
  {
    irVersion: Type.Literal(IR_VERSION),
    generator: Type.String(),
    spec: Type.Object(
      {
        name: Type.String(),
        file: Type.String(),
        sha256: Type.String({ pattern: "^[0-9a-f]{64}$" }),
        /** every spec parameter's value after --set overrides */
        params: Dict(ScalarSchema),
        overrides: Dict(ScalarSchema),
      },
      closed,
    ),
    nets: Type.Array(IrNetSchema),
    values: Type.Array(IrValueSchema),
    losses: Type.Array(IrLossSchema),
    train: IrTrainSchema,
    data: IrDataSchema,
  },
  {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: "https://gancc.dev/ir/v1.json",
    title: "gancc IR",
    ...closed,
  },
);
export type Ir = Static<typeof IrSchema>;

/** The IR's JSON Schema (draft-07), checked with ajv whenever an IR is written or read (./validate.ts). */
export const IR_SCHEMA = IrSchema;
