/**
 * The exported runtime (gancc-runtime.js, src/export/runtime_js.ts) against PyTorch: every
 * evaluation-mode case of the layer fixture (test/parity/fixtures/layers.safetensors), run through
 * the runtime's own op table and parameter preparation — the host-dilated kernels, the sub-pixel
 * transposed convolution, batch norm as scale and shift — on cpu and wasm in Node. The same cases
 * run in Chromium on webgl, wasm and webgpu in browser.test.ts. Also: the float16 weight codec.
 */
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { OPS } from "../../src/compiler/ops.js";
import { floatToHalf } from "../../src/export/half.js";
import { tensorAsFloat32 } from "../../src/io/safetensors.js";
import { selectBackend } from "../../src/runtime/backend.js";
import { fixture, meta } from "../parity/helpers.js";
import { importRuntime, tmpDir } from "./harness.js";

const F = fixture("layers");
const CASES = JSON.parse(meta(F, "cases")) as Record<string, { op: string; attrs: Record<string, unknown>; params: string[]; inputs: number }>;
const EVAL = Object.entries(CASES).filter(([name]) => !name.endsWith("_train"));
const host = (name: string) => ({ shape: F.tensors[name]!.shape, data: tensorAsFloat32(F, name) });

const dir = tmpDir("export-ops");
let rt: Record<string, any>;
beforeAll(async () => {
  rt = await importRuntime(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("exported runtime: op table", () => {
  it("has an op for every op of the compiler's table, and the fixture covers them in evaluation mode", () => {
    expect(Object.keys(rt.OPS).sort()).toEqual(["input", ...Object.keys(OPS)].sort());
    expect(Object.keys(OPS).filter((op) => !EVAL.some(([, c]) => c.op === op))).toEqual([]);
  });
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`exported runtime vs PyTorch on ${backend}`, () => {
    beforeAll(async () => {
      await selectBackend(backend);
    });
    for (const [name, c] of EVAL) {
      it(name, async () => {
        const before = tf.memory().numTensors;
        const node = { id: `t/${c.op}`, op: c.op, attrs: c.attrs, inputs: [], params: c.params.map((p) => `t/${c.op}/${p}`) };
        const params = rt.prepareParams(node, new Map(c.params.map((p) => [`t/${c.op}/${p}`, host(`${name}.p.${p}`)])));
        const xs = [host(`${name}.x`), ...(c.inputs === 2 ? [host(`${name}.x2`)] : [])].map((h) => tf.tensor(h.data, h.shape));
        const y = tf.tidy(() => rt.OPS[c.op](xs, c.attrs, params) as tf.Tensor);
        const ref = host(`${name}.out`);
        expect(y.shape).toEqual(ref.shape);
        const got = await y.data();
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref.data[i]!) - 1e-4 * Math.abs(ref.data[i]!));
        expect(worst, `${name}: max excess over 1e-5 + 1e-4·|ref|`).toBeLessThanOrEqual(1e-5);
        tf.dispose([y, ...xs, ...params]);
        expect(tf.memory().numTensors, "tensors leaked").toBe(before);
      });
    }
  });
}

describe("float16 weights", () => {
  it("round-trips every representable half exactly and rounds others to the nearest", () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = rt.halfToFloat(h) as number;
      if (Number.isNaN(v)) continue;
      expect(floatToHalf(v)).toBe(h);
    }
    expect(rt.halfToFloat(floatToHalf(0.1))).toBeCloseTo(0.1, 4);
    expect(rt.halfToFloat(floatToHalf(1e6))).toBe(Infinity);
    expect(rt.halfToFloat(floatToHalf(-1e-9))).toBe(-0);
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1)
    expect(rt.halfToFloat(floatToHalf(1 + 2 ** -11))).toBe(1);
    expect(rt.halfToFloat(floatToHalf(1 + 3 * 2 ** -11))).toBe(1 + 2 * 2 ** -10);
  });
});
