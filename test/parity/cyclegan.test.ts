/**
 * PyTorch parity: specs/cyclegan.gan, loaded with the weights PyTorch initialised, reproduces
 * PyTorch's forward outputs, loss terms and parameters after one full training iteration of the
 * seed's recipe (generators with one Adam, then both discriminators), on cpu and wasm (and webgpu in
 * the vitest "webgpu" project, at the same tolerances).
 * Fixtures: `/usr/bin/python3 test/parity/make_fixtures.py` (see its docstring).
 *   avg: the seed's discriminator (patch map averaged to one score) — spec + global_avg_pool
 *   map: the official recipe (LSGAN over the whole patch map) — specs/cyclegan.gan as is
 */
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Model } from "../../src/runtime/model.js";
import { sortTorchKeys } from "../../src/io/torch_names.js";
import { BACKENDS, useBackend } from "../runtime/kernels/setup.js";
import { cycleganIr, fixture, maxAbsDiff, meta, nhwc, relErr, torchDict, weightsFrom } from "./helpers.js";

const common = fixture("cyclegan_common");

// forward outputs: gancc (net, input) → torch tensor name
const FORWARD: [string, string, string][] = [
  ["fake_B", "G_AB", "real_A"],
  ["fake_A", "G_BA", "real_B"],
  ["idt_A", "G_AB", "real_B"],
  ["idt_B", "G_BA", "real_A"],
  ["D_A_real_A", "D_A", "real_A"],
  ["D_B_real_B", "D_B", "real_B"],
];

for (const backend of BACKENDS) {
  describe(`CycleGAN parity with PyTorch on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it("forward outputs (generators, and discriminators' patch maps) within 1e-4", async () => {
      const ir = cycleganIr(common, "map");
      const model = new Model(ir, { weights: weightsFrom(common, ir) });
      const before = tf.memory().numTensors;
      const a = nhwc(common, "real_A");
      const b = nhwc(common, "real_B");
      const inputs: Record<string, tf.Tensor> = { real_A: a, real_B: b };
      for (const [out, net, input] of FORWARD) {
        const y = model.run(net, inputs[input]!);
        const ref = nhwc(common, `out.${out}`);
        expect(y.shape).toEqual(ref.shape);
        const err = maxAbsDiff(await y.data(), await ref.data());
        expect(err, `${out} = ${net}(${input}): max abs error`).toBeLessThanOrEqual(1e-4);
        y.dispose();
        ref.dispose();
      }
      // cycle: rec_A = G_BA(G_AB(real_A))
      const rec = tf.tidy(() => model.run("G_BA", model.run("G_AB", a)));
      const recRef = nhwc(common, "out.rec_A");
      expect(maxAbsDiff(await rec.data(), await recRef.data())).toBeLessThanOrEqual(1e-4);
      tf.dispose([rec, recRef, a, b]);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    });

    for (const variant of ["avg", "map"] as const) {
      it(`one training iteration (${variant}): loss terms rel ≤ 1e-4, every parameter after Adam rel ≤ 1e-3`, async () => {
        const ref = fixture(`cyclegan_${variant}`);
        const ir = cycleganIr(common, variant);
        const init = weightsFrom(common, ir);
        const model = new Model(ir, { weights: init });
        const a = nhwc(common, "real_A");
        const b = nhwc(common, "real_B");
        const { losses } = await model.trainIteration({ A: a, B: b });
        tf.dispose([a, b]);

        const terms = { ...losses.generator!, ...losses.discriminator! };
        expect(Object.keys(terms).sort()).toEqual(["D_A", "D_B", "cycle_A", "cycle_B", "gan_A", "gan_B", "idt_A", "idt_B"]);
        for (const [name, value] of Object.entries(terms)) {
          const want = ref.tensors[`loss.${name}`]!.data[0] as number;
          expect(Math.abs(value - want) / Math.abs(want), `loss term ${name}: ${value} vs torch ${want}`).toBeLessThanOrEqual(1e-4);
        }

        const after = weightsFrom(ref, ir, "after.");
        // torch names of the biases right before an instance norm (true gradient 0, see fixture metadata)
        const noise = new Set<string>(JSON.parse(meta(ref, "noise_grad_params")) as string[]);
        const got = await model.read();
        const lr = ir.train.steps[0]!.optimizer.lr;
        let checked = 0;
        let noisy = 0;
        for (const net of ir.nets) {
          // importTorch pairs torch keys with gancc params in module order: recover the pairing
          const keys = sortTorchKeys(Object.keys(torchDict(common, `${net.name}.`)));
          expect(keys.length).toBe(net.params.length);
          net.params.forEach((p, i) => {
            const mine = got.get(p.name)!.data;
            const want = after.get(p.name)!.data;
            const start = init.get(p.name)!.data;
            if (noise.has(keys[i]!)) {
              // Adam turns float noise into steps of up to ±lr: both must stay within lr of the start
              expect(maxAbsDiff(mine, start), `${p.name} moved more than lr`).toBeLessThanOrEqual(lr * 1.001);
              expect(maxAbsDiff(want, start)).toBeLessThanOrEqual(lr * 1.001);
              noisy++;
              return;
            }
            expect(relErr(mine, want), `${p.name} after one iteration`).toBeLessThanOrEqual(1e-3);
            // the parameter barely moves in one step (rel ~1e-2), so also check the step itself
            const step = (xs: Float32Array) => xs.map((x, j) => x - start[j]!);
            expect(relErr(step(mine), step(want)), `${p.name}: the Adam step`).toBeLessThanOrEqual(5e-3);
            checked++;
          });
        }
        expect(noisy).toBe(noise.size);
        expect(checked + noisy).toBe(ir.nets.reduce((s, n) => s + n.params.length, 0));
        model.dispose();
      });
    }
  });
}
