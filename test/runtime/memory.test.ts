/**
 * The memory schedule of a training iteration on wasm (the backend with a 4 GiB heap): releasing
 * as the backward pass goes uses less than recording the whole loss on one tape, gives the same
 * losses, recomputing residual blocks gives the same training, tensors do not accumulate, and
 * `gancc summary`'s peak estimate is within 25% of the measured peak (TensorBufferMeter).
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { summarize } from "../../src/compiler/summary.js";
import type { Ir } from "../../src/ir/schema.js";
import { TensorBufferMeter } from "../../src/runtime/heap_meter.js";
import { Model } from "../../src/runtime/model.js";
import type { MemoryOptions } from "../../src/runtime/program.js";
import { BACKEND_INDEPENDENT_TESTS, useBackend } from "./kernels/setup.js";

function ir(file: string, set: Record<string, number>, edit: (s: string) => string = (s) => s): Ir {
  const r = compileSource(edit(readFileSync(file, "utf8")), file, { set });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.ir;
}

function batch(x: Ir, seed: number): Record<string, tf.Tensor4D> {
  const s = x.data.crop;
  return Object.fromEntries(x.data.domains.map((d, i) => [d.name, tf.randomUniform([x.train.batch, s, s, d.channels], -1, 1, "float32", seed + i)]));
}

/** peak live tensor bytes of iteration 2 (after the warm-up that creates the optimizer state), and its losses */
async function measure(x: Ir, memory: MemoryOptions, meter: TensorBufferMeter) {
  const model = new Model(x, { seed: 0, memory });
  const b = batch(x, 10);
  await model.trainIteration(b);
  meter.reset();
  const base = meter.live;
  const { losses } = await model.trainIteration(b);
  const peak = meter.peak;
  tf.dispose(Object.values(b));
  model.dispose();
  return { peak, transient: peak - base, losses };
}

const flat = (l: Record<string, Record<string, number>>) => Object.entries(l).flatMap(([k, t]) => Object.entries(t).map(([n, v]) => [`${k}.${n}`, v] as const));

describe.runIf(BACKEND_INDEPENDENT_TESTS)("training-step memory on wasm", () => {
  let meter: TensorBufferMeter;
  beforeAll(async () => {
    await useBackend("wasm");
    meter = new TensorBufferMeter();
  });
  afterAll(() => meter.uninstall());

  it("releasing per loss part needs less than one tape for the whole loss, with the same losses", async () => {
    const x = ir("specs/cyclegan.gan", { ngf: 8, ndf: 8, res_blocks: 2, size: 32, load_size: 32 });
    const tape = await measure(x, { backward: "tape" }, meter);
    const parts = await measure(x, { backward: "parts" }, meter);
    // the tape path holds every application's activations and every gradient until the end
    expect(parts.transient).toBeLessThan(tape.transient / 2);
    const got = new Map(flat(parts.losses));
    expect(got.size).toBe(flat(tape.losses).length);
    for (const [k, a] of flat(tape.losses)) expect(got.get(k), k).toBeCloseTo(a, 4);
  });

  it("recomputing residual blocks trains the same (SGD, so a gradient difference shows in the weights), in less memory", async () => {
    const sgd = (s: string) => s.replace(/adam\(lr: lr, beta1: 0\.5, beta2: 0\.999\)/g, "sgd(lr: 0.05)");
    const x = ir("specs/tiny.gan", { nf: 4, size: 16 }, sgd);
    expect(x.train.steps.every((s) => s.optimizer.kind === "sgd")).toBe(true);
    const run = async (recompute: "none" | "residual") => {
      const model = new Model(x, { seed: 0, memory: { recompute } });
      const b = batch(x, 20);
      for (let i = 0; i < 3; i++) await model.trainIteration(b);
      const w = await model.read();
      tf.dispose(Object.values(b));
      model.dispose();
      return w;
    };
    const plain = await run("none");
    const ckpt = await run("residual");
    let worst = 0;
    for (const [k, v] of plain) {
      const c = ckpt.get(k)!.data;
      v.data.forEach((a, i) => (worst = Math.max(worst, Math.abs(a - c[i]!))));
    }
    // weights are ~0.02; float32 summation order differences only
    expect(worst).toBeLessThan(1e-6);
    const big = ir("specs/cyclegan.gan", { ngf: 8, ndf: 8, size: 32, load_size: 32 });
    expect((await measure(big, { recompute: "residual" }, meter)).transient).toBeLessThan((await measure(big, {}, meter)).transient);
  });

  it("tensor count and bytes stay flat over iterations with recomputation", async () => {
    const x = ir("specs/tiny.gan", { nf: 2, size: 8 });
    const model = new Model(x, { memory: { recompute: "residual" } });
    const b = batch(x, 30);
    await model.trainIteration(b);
    const after1 = tf.memory();
    const live1 = meter.live;
    for (let i = 1; i < 20; i++) await model.trainIteration(b);
    expect(tf.memory().numTensors).toBe(after1.numTensors);
    expect(tf.memory().numBytes).toBe(after1.numBytes);
    expect(meter.live).toBe(live1);
    tf.dispose(Object.values(b));
    model.dispose();
  });

  // two sizes and both schedules: the estimate's model, not a constant fitted at one point
  for (const size of [32, 64]) {
    it(`gancc summary's peak estimate is within 25% of the measured peak (CycleGAN ngf 16, ${size}×${size}, plain and recompute)`, async () => {
      const x = ir("specs/cyclegan.gan", { ngf: 16, ndf: 16, size, load_size: size });
      const est = summarize(x).peak;
      for (const [mode, e] of [["none", est.plain.bytes], ["residual", est.recompute.bytes]] as const) {
        const { peak } = await measure(x, { recompute: mode }, meter);
        const ratio = peak / e;
        expect(ratio, `${mode}: measured ${peak} B, estimated ${e} B`).toBeGreaterThanOrEqual(0.75);
        expect(ratio, `${mode}: measured ${peak} B, estimated ${e} B`).toBeLessThanOrEqual(1.25);
      }
    }, 300_000);
  }
});
