// Validation of the IR against its JSON Schema (./schema.ts) with ajv, whenever an IR is
// written or read.
//
// The build (`npm run build`) compiles the schema once into plain JavaScript
// (dist/ir/validate_ir.generated.js, ajv's standalone code, by scripts/build-ir-validator.mjs),
// so an installed gancc neither loads TypeBox nor compiles the schema at start-up (together
// ~150 ms of every `gancc check`). Run from the sources there is no such file, and the schema is
// compiled on first use with the same options.
import type { ErrorObject, ValidateFunction } from "ajv";
import { AJV_OPTIONS } from "./ajv_options.js";
import { IR_VERSION } from "./enums.js";
import type { Ir } from "./schema.js";

/** At most this many problems are listed in one message. */
const MAX_ERRORS = 10;

const GENERATED = "./validate_ir.generated.js";
const precompiled = await import(GENERATED).then(
  (m: { validate: ValidateFunction<Ir> }) => m.validate,
  () => undefined,
);
/** From the sources: ajv and the TypeBox schema, loaded here and compiled on first use. */
const fromSchema = precompiled ? undefined : await Promise.all([import("ajv"), import("./schema.js")]);
let validator: ValidateFunction<Ir> | undefined = precompiled;

/** "precompiled" when the build's validator is in use, else "compiled" (from the sources). */
export const IR_VALIDATOR: "precompiled" | "compiled" = precompiled ? "precompiled" : "compiled";

/** Returns undefined when valid, else a readable list of schema errors. */
export function validateIr(x: unknown): string | undefined {
  if (!validator) {
    const [{ Ajv }, { IR_SCHEMA }] = fromSchema!;
    validator = new Ajv(AJV_OPTIONS).compile<Ir>(IR_SCHEMA);
  }
  if (validator(x)) return undefined;
  return describeErrors(validator.errors ?? []);
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

/**
 * One line per problem, "<JSON pointer> <what is wrong> (found <value>)", joined by "; ".
 * A failed union (`anyOf`, e.g. an enumeration) is one problem that lists its alternatives,
 * not one per alternative.
 */
function describeErrors(errors: readonly ErrorObject[]): string {
  const unions = errors.filter((e) => e.keyword === "anyOf").map((e) => `${e.schemaPath}/`);
  const kept = errors.filter((e) => !unions.some((u) => e.schemaPath.startsWith(u)));
  return kept
    .slice(0, MAX_ERRORS)
    .map((e) => `${e.instancePath || "/"} ${message(e)}${found(e)}`)
    .join("; ");
}

function message(e: ErrorObject): string {
  if (e.keyword === "anyOf" && Array.isArray(e.schema)) {
    const alts = e.schema as Record<string, unknown>[];
    if (alts.every((a) => "const" in a)) return `must be one of ${alts.map((a) => JSON.stringify(a.const)).join(", ")}`;
    return `must be ${alts.map(describeSchema).join(" or ")}`;
  }
  if (e.keyword === "additionalProperties") return `${e.message ?? "is invalid"}: ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`;
  return e.message ?? "is invalid";
}

function describeSchema(s: Record<string, unknown>): string {
  if ("const" in s) return JSON.stringify(s.const);
  if (Array.isArray(s.anyOf)) return (s.anyOf as Record<string, unknown>[]).map(describeSchema).join(" or ");
  switch (s.type) {
    case "integer":
      return "an integer";
    case "array":
      return s.items && typeof s.items === "object" ? `an array of ${describeSchema(s.items as Record<string, unknown>).replace(/^an? /, "")}s` : "an array";
    case "object":
      return "an object";
    case "number":
    case "boolean":
    case "string":
      return `a ${s.type}`;
    default:
      return "a value of another type";
  }
}

/** The offending value, when it is short and not the object whose properties are wrong. */
function found(e: ErrorObject): string {
  if (e.keyword === "required" || e.keyword === "additionalProperties") return "";
  const d: unknown = e.data;
  if (d === undefined) return "";
  if (Array.isArray(d)) return " (found an array)";
  if (d !== null && typeof d === "object") return " (found an object)";
  const s = JSON.stringify(d);
  return ` (found ${s.length > 40 ? `${s.slice(0, 37)}…` : s})`;
}
