// The IR's JSON Schema through validateIr/readIr: real IRs pass, malformed ones fail with a
// message that says where and what.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { IR_VERSION, type Ir } from "../../src/ir/schema.js";
import { readIr, validateIr } from "../../src/ir/validate.js";

const GOLDEN = readdirSync("test/golden/ir").filter((f) => f.endsWith(".ir.json")).sort();
const text = (f: string) => readFileSync(`test/golden/ir/${f}`, "utf8");
const tiny = (): Ir => JSON.parse(text("tiny.ir.json")) as Ir;
/** validateIr of a copy of tiny.ir.json after `edit` */
const errorsOf = (edit: (ir: Record<string, any>) => void): string | undefined => {
  const ir = tiny() as unknown as Record<string, any>;
  edit(ir);
  return validateIr(ir);
};

describe("real IRs", () => {
  it.each(GOLDEN)("test/golden/ir/%s passes the schema and reads back unchanged", (f) => {
    const ir = JSON.parse(text(f)) as unknown;
    expect(validateIr(ir)).toBeUndefined();
    expect(readIr(text(f), f)).toEqual({ ir });
  });

  it("accepts the optional fields", () => {
    expect(
      errorsOf((ir) => {
        ir.nets[0].sizes.irregular = [4, 6, 10];
        ir.nets[0].init = { kind: "uniform", scale: 0.1 };
        ir.train.schedule = { kind: "step", every: 10, gamma: 0.5 };
        ir.train.steps[0].clip = { min: -0.01, max: 0.01 };
        ir.train.steps[0].optimizer = { kind: "rmsprop", lr: 5e-5, decay: 0.9, eps: 1e-8, momentum: 0 };
        ir.nets[0].nodes[1].attrs.list = [1, 2.5];
      }),
    ).toBeUndefined();
  });
});

describe("malformed IRs are rejected with a message naming the place and the problem", () => {
  const cases: [string, (ir: Record<string, any>) => void, string][] = [
    ["an unknown enumeration value (listing the allowed ones)", (ir) => (ir.data.layout = "sideways"), '/data/layout must be one of "unpaired", "paired_ab", "paired_folders" (found "sideways")'],
    ["an unknown optimizer", (ir) => (ir.train.steps[0].optimizer.kind = "adamw"), '/train/steps/0/optimizer/kind must be one of "adam", "rmsprop", "sgd" (found "adamw")'],
    ["a missing property", (ir) => delete ir.nets[0].span, "/nets/0 must have required property 'span'"],
    ["an unknown property (named)", (ir) => (ir.nets[0].colour = "red"), '/nets/0 must NOT have additional properties: "colour"'],
    ["a number out of range", (ir) => (ir.train.epochs = 0), "/train/epochs must be >= 1 (found 0)"],
    ["a fraction where an integer belongs", (ir) => (ir.train.batch = 2.5), "/train/batch must be integer (found 2.5)"],
    ["a zero learning rate", (ir) => (ir.train.steps[0].optimizer.lr = 0), "/train/steps/0/optimizer/lr must be > 0 (found 0)"],
    ["an attribute that is not a scalar or a list of numbers", (ir) => (ir.nets[0].nodes[1].attrs.k = { a: 1 }), "/nets/0/nodes/1/attrs/k must be a number or a boolean or a string or an array of numbers (found an object)"],
    ["an attribute under a key with a line break", (ir) => (ir.nets[0].nodes[1].attrs["a\nb"] = { a: 1 }), "must be a number or a boolean or a string or an array of numbers (found an object)"],
    ["a spec parameter that is a list", (ir) => (ir.spec.params.ngf = [1]), "/spec/params/ngf must be a number or a boolean or a string (found an array)"],
    ["a bad hash", (ir) => (ir.spec.sha256 = "abc"), '/spec/sha256 must match pattern "^[0-9a-f]{64}$" (found "abc")'],
    ["a node id that is not a path", (ir) => (ir.nets[0].nodes[0].id = "G_AB"), '/nets/0/nodes/0/id must match pattern "^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)+$" (found "G_AB")'],
    ["a net with no nodes", (ir) => (ir.nets[0].nodes = []), "/nets/0/nodes must NOT have fewer than 1 items"],
    ["a step that updates nothing", (ir) => (ir.train.steps[0].updates = []), "/train/steps/0/updates must NOT have fewer than 1 items"],
    ["a pool swap probability above 1", (ir) => (ir.train.pool.swap = 1.5), "/train/pool/swap must be <= 1 (found 1.5)"],
    ["a wrong type at the top", (ir) => (ir.nets = "oops"), '/nets must be array (found "oops")'],
  ];
  it.each(cases)("%s", (_what, edit, message) => {
    const err = errorsOf(edit);
    expect(err).toBeDefined();
    expect(err).toContain(message);
  });

  it("reports every problem (one line per union, not one per alternative), at most 10", () => {
    const two = errorsOf((ir) => {
      ir.data.direction = "sideways";
      ir.data.flip = "yes";
    })!;
    expect(two.split("; ")).toEqual(['/data/flip must be boolean (found "yes")', '/data/direction must be one of "AtoB", "BtoA" (found "sideways")']);
    const many = errorsOf((ir) => {
      for (const v of ir.values) v.id = "x";
    })!;
    expect(tiny().values.length).toBeGreaterThan(10);
    expect(many.split("; ")).toHaveLength(10);
  });

  it("readIr names the file and checks the version first", () => {
    expect(readIr("{", "a.ir.json").error).toMatch(/^a\.ir\.json: not valid JSON \(/);
    const v2 = JSON.stringify({ ...tiny(), irVersion: IR_VERSION + 1 });
    expect(readIr(v2, "a.ir.json").error).toBe(`a.ir.json: IR version ${IR_VERSION + 1} is not supported by this gancc (it reads version ${IR_VERSION}); recompile the spec`);
    const bad = JSON.stringify({ ...tiny(), generator: 7 });
    expect(readIr(bad, "a.ir.json")).toEqual({ error: "a.ir.json: not a valid gancc IR: /generator must be string (found 7)" });
  });
});
