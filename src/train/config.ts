/**
 * The run configuration: the plumbing of a training run, kept out of the spec (which holds the
 * science). An optional YAML file (`--config run.yaml`), validated with a JSON Schema (ajv);
 * command-line flags override it. Errors name the file, line and column.
 *
 *   data: data/emoji          # dataset root (trainA/ trainB/ testA/ testB/ or train/ test/)
 *   out: runs/emoji           # run directory
 *   backend: auto             # auto | tensorflow | wasm | cpu
 *   threads: 2                # wasm: kernel threads (default: the core count, at most 8; 1 = single-threaded)
 *   set: { ngf: 8, size: 32 } # spec parameter overrides (like --set)
 *   max_iters: 2000           # stop after this many iterations in total
 *   checkpoint_every: 500     # iterations between checkpoints (also one per epoch)
 *   keep_checkpoints: 2
 *   samples: 4                # images per sample grid
 *   sample_every: 1           # epochs between sample grids
 *   log_every: 50             # plain progress lines every N iterations (when not a terminal)
 *   style_classifier: auto    # style score per epoch: auto (the cached classifier for the data,
 *                             # trained first if none: src/train/style_classifier.ts), a
 *                             # classifier run or weights file, or none (the default)
 *   recompute: residual       # gradient checkpointing: recompute residual blocks in the backward
 *                             # pass instead of keeping their activations (none: the default)
 *
 * The PyTorch engine (`engine: torch`; see src/torch/launch.ts):
 *   engine: torch             # tfjs (default) | torch
 *   device: auto              # auto | cpu | cuda
 *   python: /usr/bin/python3  # the interpreter (default python3 on PATH)
 *   nproc: 2                  # processes on this machine (torch.distributed.run)
 *   nnodes: 2                 # machines; with node_rank, master_addr, master_port
 *   node_rank: 0
 *   master_addr: 10.0.0.1
 *   master_port: 29500
 */
import { BACKEND_KINDS } from "../runtime/backend_kinds.js";
import { Ajv } from "ajv";
import { LineCounter, parseDocument, isMap, isSeq, visit, type Document, type Node } from "yaml";

export interface RunConfig {
  data?: string;
  out?: string;
  backend?: "auto" | "tensorflow" | "wasm" | "cpu";
  threads?: number;
  set?: Record<string, string | number | boolean>;
  max_iters?: number;
  checkpoint_every?: number;
  keep_checkpoints?: number;
  samples?: number;
  sample_every?: number;
  log_every?: number;
  style_classifier?: string;
  recompute?: "none" | "residual";
  engine?: "tfjs" | "torch";
  device?: "auto" | "cpu" | "cuda";
  python?: string;
  nproc?: number;
  nnodes?: number;
  node_rank?: number;
  master_addr?: string;
  master_port?: number;
}

export const ENGINES = ["tfjs", "torch"] as const;
export const TORCH_DEVICES = ["auto", "cpu", "cuda"] as const;

export const RUN_CONFIG_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    data: { type: "string", minLength: 1 },
    out: { type: "string", minLength: 1 },
    backend: { enum: [...BACKEND_KINDS] },
    threads: { type: "integer", minimum: 1 },
    set: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } },
    max_iters: { type: "integer", minimum: 1 },
    checkpoint_every: { type: "integer", minimum: 1 },
    keep_checkpoints: { type: "integer", minimum: 1 },
    samples: { type: "integer", minimum: 0 },
    sample_every: { type: "integer", minimum: 1 },
    log_every: { type: "integer", minimum: 1 },
    style_classifier: { type: "string", minLength: 1 },
    recompute: { enum: ["none", "residual"] },
    engine: { enum: [...ENGINES] },
    device: { enum: [...TORCH_DEVICES] },
    python: { type: "string", minLength: 1 },
    nproc: { type: "integer", minimum: 1 },
    nnodes: { type: "integer", minimum: 1 },
    node_rank: { type: "integer", minimum: 0 },
    master_addr: { type: "string", minLength: 1 },
    master_port: { type: "integer", minimum: 1, maximum: 65535 },
  },
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validate = ajv.compile<RunConfig>(RUN_CONFIG_SCHEMA);

/** Aliases a configuration may expand (a few-line "billion laughs" file must not hang or crash). */
export const MAX_ALIAS_COUNT = 100;

/** Where the first alias (named `name`, or any) is, as an offset. */
function aliasOffset(doc: Document, name?: string): number {
  let off = 0;
  visit(doc, {
    Alias(_k, node) {
      if (name !== undefined && node.source !== name) return undefined;
      off = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return off;
}

/**
 * Parses and validates a run configuration; every problem is reported as
 * `file:line:col: error [CODE]: …` (CODE: the yaml library's error code, or ALIAS_COUNT /
 * UNRESOLVED_ALIAS / YAML for what it throws) or, for a valid YAML file with wrong settings,
 * `file:line:col: …`.
 */
export function parseRunConfig(text: string, file: string): RunConfig {
  const lc = new LineCounter();
  const at = (offset: number) => {
    const p = lc.linePos(Math.max(0, Math.min(offset, text.length)));
    return `${file}:${p.line}:${p.col}`;
  };
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lc, prettyErrors: false }) as Document;
  } catch (e) {
    throw new ConfigError(`${file}:1:1: error [YAML]: ${String((e as Error).message ?? e).split("\n")[0]}`);
  }
  // warnings (an unknown tag, an unsupported %YAML version) are errors in a run configuration
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length) throw new ConfigError(problems.map((e) => `${at(e.pos[0])}: error [${e.code}]: ${e.message.split("\n")[0]}`).join("\n"));
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (e) {
    const msg = String((e as Error).message ?? e).split("\n")[0]!;
    const unresolved = /^Unresolved alias[^:]*: (.*)$/.exec(msg);
    if (unresolved) throw new ConfigError(`${at(aliasOffset(doc, unresolved[1]))}: error [UNRESOLVED_ALIAS]: alias *${unresolved[1]} has no anchor &${unresolved[1]} before it`);
    if (/alias count/i.test(msg)) {
      throw new ConfigError(`${at(aliasOffset(doc))}: error [ALIAS_COUNT]: the aliases expand to too many nodes (more than ${MAX_ALIAS_COUNT} alias expansions; a resource exhaustion attack?); write the values out instead`);
    }
    throw new ConfigError(`${at(0)}: error [YAML]: ${msg}`);
  }
  if (validate(value)) return value;
  const invalid = (validate.errors ?? []).map((e) => {
    const path = e.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    let node: Node | null = doc.contents as Node | null;
    for (const k of path) {
      if (isMap(node)) node = (node.get(k, true) as Node | undefined) ?? node;
      else if (isSeq(node)) node = (node.get(Number(k), true) as Node | undefined) ?? node;
    }
    let where = node?.range ? at(node.range[0]) : `${file}:1:1`;
    let msg = `${path.join(".") || "the file"} ${e.message}`;
    if (e.keyword === "additionalProperties") {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const pair = isMap(node) ? node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key) : undefined;
      const kr = (pair?.key as Node | undefined)?.range;
      if (kr) where = at(kr[0]);
      msg = `unknown setting \`${key}\`${path.length ? ` in ${path.join(".")}` : ""}; known: ${Object.keys(RUN_CONFIG_SCHEMA.properties).join(", ")}`;
    } else if (e.keyword === "enum") {
      msg = `${path.join(".")} must be one of ${(e.params as { allowedValues: string[] }).allowedValues.join(", ")}`;
    }
    return `${where}: ${msg}`;
  });
  throw new ConfigError([...new Set(invalid)].join("\n"));
}
