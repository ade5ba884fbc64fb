/**
 * The training program: memory stays flat over 1,000 iterations (wasm; 100 on cpu, 200 on webgpu), values are shared between
 * steps as documented, repeat/clip/pools behave, state round-trips, non-finite losses stop.
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import type { Ir } from "../../src/ir/schema.js";
import { Model } from "../../src/runtime/model.js";
import { NonFiniteLossError } from "../../src/runtime/program.js";
import { BACKENDS, BACKEND_INDEPENDENT_TESTS, useBackend } from "./kernels/setup.js";

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

    // 1,000 iterations on wasm (the default backend without tfjs-node, ~90 s on 2 cores); 100 on cpu;
    // 200 on webgpu (SwiftShader without a GPU: software, so a shorter run)
    const n = { wasm: 1000, cpu: 100, webgpu: 200 }[backend];
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
      // webgpu on SwiftShader (no GPU) takes ~0.5–2 s per iteration of even this spec
    }, backend === "webgpu" ? 1_200_000 : undefined);
  });
}

function specIr(file: string, set: Record<string, number>): Ir {
  const r = compileSource(readFileSync(file, "utf8"), file, { set });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.ir;
}

describe.runIf(BACKEND_INDEPENDENT_TESTS)("training program: memory", () => {
  beforeAll(() => useBackend("wasm"));
  it("holds the parameters and Adam's two moments (3× the parameter bytes) and little else between iterations", async () => {
    const ir = tinyIr({ nf: 8, size: 16 });
    const paramBytes = ir.nets.reduce((s, n) => s + n.params.reduce((a, p) => a + 4 * p.shape.reduce((x, y) => x * y, 1), 0), 0);
    const before = tf.memory().numBytes;
    const model = new Model(ir);
    const b = batch(ir, 6);
    const inputBytes = Object.values(b).reduce((a, t) => a + 4 * t.size, 0);
    for (let i = 0; i < 3; i++) await model.trainIteration(b);
    // on wasm the Adam moments live in each optimizer's flat host buffer (src/runtime/optim.ts), outside the heap
    const slotBytes = model.trainer().optimizers.reduce((a, o) => a + o.hostSlotBytes, 0);
    expect(slotBytes).toBe(2 * paramBytes);
    expect(tf.memory().numBytes - before - inputBytes + slotBytes).toBe(3 * paramBytes);
    tf.dispose(Object.values(b));
    model.dispose();
  });
});

describe.runIf(BACKEND_INDEPENDENT_TESTS)("training program: repeats, constraints, optimizers", () => {
  beforeAll(() => useBackend("cpu"));

  it("DualGAN: the critic step runs n_critic times per iteration and clips every critic weight after each", async () => {
    const ir = specIr("specs/dualgan.gan", { ngf: 2, ndf: 2, num_downs: 5, size: 32, epochs: 1, lr: 0.01 });
    const critic = ir.train.steps.find((s) => s.updates.includes("D_A"))!;
    expect(critic.repeat).toBe(3);
    expect(critic.clip).toEqual({ min: -0.01, max: 0.01 });
    const model = new Model(ir);
    const b = batch(ir, 3);
    await model.trainIteration(b);
    const [tc, tg] = model.trainer().optimizers.map((o) => o.t);
    expect([tc, tg]).toEqual([3, 1]);
    for (const n of ["D_A", "D_B"]) {
      for (const v of model.net(n).trainableVariables()) {
        const d = await v.data();
        expect(Math.max(...Array.from(d).map(Math.abs)), v.name).toBeLessThanOrEqual(0.01 + 1e-9);
      }
    }
    // generators are not clipped: lr 0.01 moves some weights past 0.01
    const g = await model.net("G_A").trainableVariables()[0]!.data();
    expect(Math.max(...Array.from(g).map(Math.abs))).toBeGreaterThan(0.01);
    tf.dispose(Object.values(b));
    model.dispose();
  });

  it("DualGAN's cross-entropy variant: one critic update, two generator updates", async () => {
    const ir = specIr("specs/dualgan_ce.gan", { ngf: 2, ndf: 2, num_downs: 5, size: 32, epochs: 1 });
    const model = new Model(ir);
    const b = batch(ir, 4);
    await model.trainIteration(b);
    expect(model.trainer().optimizers.map((o) => o.t)).toEqual([1, 2]);
    tf.dispose(Object.values(b));
    model.dispose();
  });

  it("batch norm running statistics change in training, are state (not trained), and are used in evaluation", async () => {
    const ir = specIr("specs/pix2pix.gan", { ngf: 2, ndf: 2, num_downs: 6, size: 64, load_size: 72, epochs: 1, epochs_decay: 1 });
    const model = new Model(ir);
    const g = model.net("G");
    const mm = [...g.variables.entries()].find(([k]) => k.endsWith("moving_mean"))!;
    expect(mm[1].trainable).toBe(false);
    expect(Array.from(await mm[1].data()).every((v) => v === 0)).toBe(true);
    const b = batch(ir, 5);
    await model.trainIteration(b);
    expect(Array.from(await mm[1].data()).some((v) => v !== 0)).toBe(true);
    // evaluation is deterministic (running stats, no dropout); training mode is not (dropout)
    const e1 = model.run("G", b.A!);
    const e2 = model.run("G", b.A!);
    expect(Array.from(await e1.data())).toEqual(Array.from(await e2.data()));
    const t1 = model.run("G", b.A!, { training: true });
    expect(Array.from(await t1.data())).not.toEqual(Array.from(await e1.data()));
    tf.dispose([e1, e2, t1, ...Object.values(b)]);
    model.dispose();
  });
});
