/**
 * model.d.ts of a web export type-checks an app's correct use and rejects wrong calls (a string
 * for an image, a size the net does not accept, a wrong channel count, a rank-2 tensor), checked
 * with the TypeScript compiler API as test/compiler/bindings.test.ts does.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { exportWeb } from "../../src/export/web.js";
import { tmpDir } from "./harness.js";
import { consumerTypeErrors } from "../typecheck.js";

const ir = compileSource(readFileSync("specs/tiny.gan", "utf8"), "specs/tiny.gan").ir!;
const weights = new Map(ir.nets.flatMap((n) => n.params.map((p) => [p.name, { shape: p.shape, data: new Float32Array(p.shape.reduce((a, b) => a * b, 1)) }] as const)));
const dir = tmpDir("export-types");
exportWeb({ ir, weights, from: "test" }, { net: "G_AB", out: join(dir, "web") });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const header = `import * as tf from "@tensorflow/tfjs";
import { load, info, type Model, type Size } from "./web/model.js";
const m: Model = await load();
const image: tf.Tensor4D = tf.zeros([1, 16, 16, 3]);
const matrix: tf.Tensor2D = tf.zeros([1, 3]);
declare const img: HTMLImageElement;
`;

function typeErrors(name: string, body: string): string[] {
  return consumerTypeErrors(dir, name, header + body + "\nexport {};\n", { lib: ["lib.es2022.d.ts", "lib.dom.d.ts"] });
}

describe("model.d.ts of a web export", () => {
  it("accepts correct use: images, raw pixels, tensors, accepted sizes, the channel counts", () => {
    const errs = typeErrors(
      "good",
      `const a = await m.translate(img, { size: 32 });
const px: Uint8ClampedArray = a.pixels;
const b = await m.translate({ data: new Uint8Array(16 * 16 * 3), width: 16, height: 16, channels: 3 });
const t: tf.Tensor4D = await m.translate(image);
const y: tf.Tensor4D = m.run(image);
const c: 3 = m.outputChannels;
const s: 16 = m.inputSize;
const z: Size = 8;
const n: "G_AB" = info.net;
void px; void b; void t; void y; void c; void s; void z; void n;
`,
    );
    expect(errs).toEqual([]);
  }, 60_000);
  it("rejects a string for an image", () => {
    expect(typeErrors("badinput", `await m.translate("cat.png");\n`).join("\n")).toMatch(/string/);
  }, 60_000);
  it("rejects a size the net does not accept (tiny: multiples of 2 from 4)", () => {
    expect(typeErrors("badsize", `await m.translate(img, { size: 17 });\n`).join("\n")).toMatch(/17/);
  }, 60_000);
  it("rejects a wrong channel count and a rank-2 tensor", () => {
    expect(typeErrors("badchannels", `const c: 1 = m.outputChannels;\nvoid c;\n`).length).toBeGreaterThan(0);
    expect(typeErrors("badrank", `m.run(matrix);\n`).join("\n")).toMatch(/Tensor2D|Tensor<Rank.R2>|not assignable/);
  }, 60_000);
});
