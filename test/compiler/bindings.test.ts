// The typed bindings: application code that uses a wrong net name or tensor rank must
// fail to type-check; correct code must pass. Checked with the TypeScript compiler API.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { emitBindings } from "../../src/compiler/bindings.js";
import { TINY, compile } from "./harness.js";
import { consumerTypeErrors } from "../typecheck.js";

const dir = join(".tmp", `bindings-${process.pid}`);
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, "tiny.ts"), emitBindings(compile(TINY).ir!));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const header = `import * as tf from "@tensorflow/tfjs";
import { bind, nets, lossTerms, type UntypedModel, type Nets } from "./tiny.js";
declare const model: UntypedModel;
const m = bind(model);
const image: tf.Tensor4D = tf.zeros([1, 16, 16, 3]);
const matrix: tf.Tensor2D = tf.zeros([1, 3]);
`;

function typeErrors(name: string, body: string): string[] {
  return consumerTypeErrors(dir, name, header + body);
}

describe("typed bindings (gancc compile --emit ts)", () => {
  it("accept correct use of nets, shapes, params and loss terms", () => {
    const errs = typeErrors(
      "good",
      `const out: Nets["G_AB"]["output"] = m.run("G_AB", image);
const score = m.run("D_A", out);
const p: Nets["G_AB"]["param"] = "G_AB/res2/conv1/kernel";
const shape: readonly [16, 16, 3] = nets.G_AB.outputShape;
const terms: readonly string[] = lossTerms.generator;
void score; void p; void shape; void terms;
`,
    );
    expect(errs).toEqual([]);
  }, 60_000);
  it("reject a net name the spec does not declare", () => {
    const errs = typeErrors("badname", `m.run("G_XY", image);\n`);
    expect(errs.join("\n")).toMatch(/"G_XY"/);
  }, 60_000);
  it("reject a tensor of the wrong rank", () => {
    const errs = typeErrors("badrank", `m.run("G_AB", matrix);\n`);
    expect(errs.length).toBeGreaterThan(0);
    expect(errs.join("\n")).toMatch(/Tensor2D|\[number, number\]/);
  }, 60_000);
  it("reject a parameter name the net does not have", () => {
    const errs = typeErrors("badparam", `const p: Nets["G_AB"]["param"] = "G_AB/res9/conv1/kernel";\nvoid p;\n`);
    expect(errs.length).toBeGreaterThan(0);
  }, 60_000);
});
