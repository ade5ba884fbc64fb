// The IR contract is one definition: the schema's enumerations are the compiler's tables'
// keys, and src/ir depends on nothing else in src/.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CRITERIA, LOSS_FUNCTIONS } from "../../src/compiler/losses.js";
import { DATA_SETTINGS, INITS, OPTIMIZERS, SCHEDULES } from "../../src/compiler/tables.js";
import {
  DATA_LAYOUTS,
  DIRECTIONS,
  GAN_CRITERIA,
  INIT_KINDS,
  IR_SCHEMA,
  NET_ROLES,
  OPTIMIZER_KINDS,
  PARAM_INITS,
  PREPROCESS_MODES,
  SCHEDULE_KINDS,
  TENSOR_KINDS,
} from "../../src/ir/schema.js";

type Json = { [k: string]: unknown };

/** The schema at a path of property names (array items are entered with "[]"). */
function at(path: string): Json {
  let s = IR_SCHEMA as unknown as Json;
  for (const k of path.split(".")) {
    s = (k === "[]" ? s.items : (s.properties as Record<string, Json>)[k]) as Json;
    expect(s, `${path}: no ${k}`).toBeDefined();
  }
  return s;
}

/** The values an enumeration in the JSON Schema allows (a union of constants). */
function enumAt(path: string): string[] {
  const s = at(path);
  const alts = s.anyOf as Json[];
  expect(Array.isArray(alts), `${path} is not a union`).toBe(true);
  expect(alts.every((a) => typeof a.const === "string"), `${path} is not a union of strings`).toBe(true);
  return alts.map((a) => a.const as string);
}

const keys = (o: object) => Object.keys(o).sort();
const sorted = (xs: readonly string[]) => [...xs].sort();

describe("the schema's enumerations are the compiler's tables", () => {
  it("optimizers", () => {
    expect(sorted(enumAt("train.steps.[].optimizer.kind"))).toEqual(keys(OPTIMIZERS));
    expect(sorted(OPTIMIZER_KINDS)).toEqual(keys(OPTIMIZERS));
  });
  it("learning-rate schedules", () => {
    expect(sorted(enumAt("train.schedule.kind"))).toEqual(keys(SCHEDULES));
    expect(sorted(SCHEDULE_KINDS)).toEqual(keys(SCHEDULES));
  });
  it("initialisers", () => {
    expect(sorted(enumAt("nets.[].init.kind"))).toEqual(keys(INITS));
    expect(sorted(INIT_KINDS)).toEqual(keys(INITS));
  });
  it.each([
    ["layout", DATA_LAYOUTS],
    ["preprocess", PREPROCESS_MODES],
    ["direction", DIRECTIONS],
  ] as const)("the data setting %s", (setting, list) => {
    const type = DATA_SETTINGS[setting]!.type;
    expect(typeof type === "object" && type.enum).toEqual(enumAt(`data.${setting}`));
    expect(enumAt(`data.${setting}`)).toEqual([...list]);
  });
  it("the other enumerations are their const lists", () => {
    expect(enumAt("nets.[].role")).toEqual([...NET_ROLES]);
    expect(enumAt("nets.[].input.kind")).toEqual([...TENSOR_KINDS]);
    expect(enumAt("nets.[].output.kind")).toEqual([...TENSOR_KINDS]);
    expect(enumAt("nets.[].params.[].init")).toEqual([...PARAM_INITS]);
  });
  it("GAN criteria: the loss checker's criteria are the IR's, and each is a loss function", () => {
    expect(sorted([...CRITERIA])).toEqual(sorted(GAN_CRITERIA));
    for (const c of GAN_CRITERIA) expect(LOSS_FUNCTIONS[c], c).toBeDefined();
  });
});

describe("src/ir is the bottom of the dependency graph", () => {
  const files = readdirSync("src/ir", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  it.each(files)("src/ir/%s imports only src/ir and its libraries", (f) => {
    const src = readFileSync(join("src/ir", f), "utf8");
    const specifiers = [...src.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm)].map((m) => m[1]!);
    if (/\bimport\b/.test(src)) expect(specifiers.length, "the import pattern finds this file's imports").toBeGreaterThan(0);
    for (const s of specifiers) {
      if (s.startsWith(".")) expect(s, `${f} imports ${s}`).toMatch(/^\.\/[^/]+$/);
      else expect(["@sinclair/typebox", "ajv"], `${f} imports ${s}`).toContain(s);
    }
  });
});
