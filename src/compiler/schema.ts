// JSON Schema of the IR, checked with ajv whenever an IR is written or read.
import { Ajv } from "ajv";
import { IR_VERSION, type Ir } from "./ir.js";

const span = {
  type: "object",
  required: ["file", "line", "col", "endLine", "endCol"],
  additionalProperties: false,
  properties: { file: { type: "string" }, line: { type: "integer" }, col: { type: "integer" }, endLine: { type: "integer" }, endCol: { type: "integer" } },
};
const ints = { type: "array", items: { type: "integer", minimum: 0 } };
const scalar = { type: ["number", "boolean", "string"] };
const attrs = { type: "object", additionalProperties: { anyOf: [scalar, { type: "array", items: { type: "number" } }] } };
const tensorType = {
  type: "object",
  required: ["kind", "channels", "shape"],
  additionalProperties: false,
  properties: { kind: { enum: ["image", "vector"] }, channels: { type: "integer", minimum: 1 }, shape: ints },
};

export const IR_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://gancc.dev/ir/v1.json",
  title: "gancc IR",
  type: "object",
  required: ["irVersion", "generator", "spec", "nets", "values", "losses", "train", "data"],
  additionalProperties: false,
  properties: {
    irVersion: { const: IR_VERSION },
    generator: { type: "string" },
    spec: {
      type: "object",
      required: ["name", "file", "sha256", "params", "overrides"],
      additionalProperties: false,
      properties: {
        name: { type: "string" },
        file: { type: "string" },
        sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
        params: { type: "object", additionalProperties: scalar },
        overrides: { type: "object", additionalProperties: scalar },
      },
    },
    nets: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "network", "args", "input", "output", "init", "role", "sizes", "nodes", "params", "span"],
        additionalProperties: false,
        properties: {
          name: { type: "string" },
          network: { type: "string" },
          args: { type: "object", additionalProperties: scalar },
          input: tensorType,
          output: tensorType,
          init: {
            type: "object",
            required: ["kind"],
            additionalProperties: false,
            properties: {
              kind: { enum: ["normal", "xavier", "kaiming", "orthogonal", "uniform"] },
              mean: { type: "number" },
              std: { type: "number" },
              gain: { type: "number" },
              scale: { type: "number" },
            },
          },
          role: { enum: ["generator", "discriminator", "other"] },
          sizes: {
            type: "object",
            required: ["min", "step", "text"],
            additionalProperties: false,
            properties: { min: { type: "integer" }, step: { type: "integer" }, text: { type: "string" }, irregular: ints },
          },
          nodes: {
            type: "array",
            minItems: 1,
            items: {
              type: "object",
              required: ["id", "op", "attrs", "inputs", "shape", "params", "span"],
              additionalProperties: false,
              properties: {
                id: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)+$" },
                op: { type: "string" },
                attrs,
                inputs: { type: "array", items: { type: "string" } },
                shape: ints,
                params: { type: "array", items: { type: "string" } },
                span,
              },
            },
          },
          params: {
            type: "array",
            items: {
              type: "object",
              required: ["name", "shape", "init", "trainable"],
              additionalProperties: false,
              properties: {
                name: { type: "string" },
                shape: ints,
                init: { enum: ["weight", "zeros", "ones", "norm_weight"] },
                trainable: { type: "boolean" },
              },
            },
          },
          span,
        },
      },
    },
    values: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "op", "inputs", "attrs", "shape", "grads", "span"],
        additionalProperties: false,
        properties: {
          id: { type: "string", pattern: "^v[0-9]+$" },
          op: { type: "string" },
          inputs: { type: "array", items: { type: "string" } },
          attrs,
          shape: ints,
          grads: { type: "array", items: { type: "string" } },
          span,
        },
      },
    },
    losses: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "terms", "span"],
        additionalProperties: false,
        properties: {
          name: { type: "string" },
          terms: {
            type: "array",
            items: {
              type: "object",
              required: ["name", "value", "span"],
              additionalProperties: false,
              properties: { name: { type: "string" }, value: { type: "string" }, span },
            },
          },
          span,
        },
      },
    },
    train: {
      type: "object",
      required: ["epochs", "batch", "seed", "schedule", "pool", "steps"],
      additionalProperties: false,
      properties: {
        epochs: { type: "integer", minimum: 1 },
        batch: { type: "integer", minimum: 1 },
        seed: { type: "integer", minimum: 0 },
        schedule: {
          type: "object",
          required: ["kind"],
          additionalProperties: false,
          properties: { kind: { enum: ["constant", "linear_decay", "step", "cosine"] }, after: { type: "integer" }, every: { type: "integer" }, gamma: { type: "number" } },
        },
        pool: {
          type: "object",
          required: ["size", "swap"],
          additionalProperties: false,
          properties: { size: { type: "integer", minimum: 0 }, swap: { type: "number", minimum: 0, maximum: 1 } },
        },
        steps: {
          type: "array",
          items: {
            type: "object",
            required: ["loss", "updates", "optimizer", "repeat", "span"],
            additionalProperties: false,
            properties: {
              loss: { type: "string" },
              updates: { type: "array", items: { type: "string" }, minItems: 1 },
              optimizer: {
                type: "object",
                required: ["kind", "lr"],
                additionalProperties: false,
                properties: {
                  kind: { enum: ["adam", "rmsprop", "sgd"] },
                  lr: { type: "number", exclusiveMinimum: 0 },
                  beta1: { type: "number" },
                  beta2: { type: "number" },
                  eps: { type: "number" },
                  decay: { type: "number" },
                  momentum: { type: "number" },
                  weight_decay: { type: "number" },
                },
              },
              repeat: { type: "integer", minimum: 1 },
              clip: {
                type: "object",
                required: ["min", "max"],
                additionalProperties: false,
                properties: { min: { type: "number" }, max: { type: "number" } },
              },
              span,
            },
          },
        },
      },
    },
    data: {
      type: "object",
      required: ["layout", "domains", "preprocess", "load", "crop", "flip", "direction"],
      additionalProperties: false,
      properties: {
        layout: { enum: ["unpaired", "paired_ab", "paired_folders"] },
        domains: {
          type: "array",
          items: {
            type: "object",
            required: ["name", "channels"],
            additionalProperties: false,
            properties: { name: { type: "string" }, channels: { type: "integer", minimum: 1 } },
          },
        },
        preprocess: { enum: ["resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "resize", "none"] },
        load: { type: "integer", minimum: 1 },
        crop: { type: "integer", minimum: 1 },
        flip: { type: "boolean" },
        direction: { enum: ["AtoB", "BtoA"] },
      },
    },
  },
} as const;

let validator: ((x: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

/** Returns undefined when valid, else a readable list of schema errors. */
export function validateIr(x: unknown): string | undefined {
  validator ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(IR_SCHEMA);
  if (validator(x)) return undefined;
  return (validator.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`).join("; ");
}

/** Parses and validates an IR file's text; errors name the file. */
export function readIr(text: string, file: string): { ir?: Ir; error?: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { error: `${file}: not valid JSON (${(e as Error).message})` };
  }
  const v = (json as { irVersion?: unknown })?.irVersion;
  if (v !== IR_VERSION) return { error: `${file}: IR version ${String(v)} is not supported by this gancc (it reads version ${IR_VERSION}); recompile the spec` };
  const err = validateIr(json);
  if (err) return { error: `${file}: not a valid gancc IR: ${err}` };
  return { ir: json as Ir };
}
