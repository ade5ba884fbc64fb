/**
 * The training program: memory stays flat over 1,000 iterations, values are shared between
 * steps as documented, repeat/clip/pools behave, state round-trips, non-finite losses stop.
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import type { Ir } from "../../src/compiler/ir.js";
import { Model } from "../../src/runtime/model.js";
import { NonFiniteLossError } from "../../src/runtime/program.js";
import { BACKENDS, useBackend } from "./kernels/setup.js";

export function tinyIr(set: Record<string, string | number> = {}, edit?: (s: string) => string): Ir {
  let text = readFileSync("specs/tiny.gan", "utf8");
  if (edit) text = edit(text);
  const r = compileSource(text, "specs/tiny.gan", { set: { nf: 2, size: 8, ...set } });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.ir;
}

function batch(ir: Ir, seed: number): Record<string, tf.Tensor4D> {
  const s = ir.data.crop;
  return Object.fromEntries(ir.data.domains.map((d, i) => [d.name, tf.randomUniform([ir.train.batch, s, s, d.channels], -1, 1, "float32", seed * 10 + i)]));
}

for (const backend of BACKENDS) {
  describe(`training program on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    // 1,000 iterations on wasm (the default backend without tfjs-node, ~90 s on 2 cores); 100 on cpu
    const n = backend === "wasm" ? 1000 : 100;
    it(`${n} forward+backward iterations of a tiny spec leave the tensor count and bytes unchanged`, async () => {
      const ir = tinyIr();
      const model = new Model(ir);
      const b = batch(ir, 1);
      await model.trainIteration(b); // first iteration creates optimizer slots
      const after1 = tf.memory();
      for (let i = 1; i < n; i++) await model.trainIteration(b);
      const afterN = tf.memory();
      expect(afterN.numTensors).toBe(after1.numTensors);
      expect(afterN.numBytes).toBe(after1.numBytes);
      tf.dispose(Object.values(b));
      model.dispose();
    });
  });
}
