/**
 * The torch engine reproduces the committed PyTorch fixtures (test/parity/make_fixtures.py) for
 * one training iteration of specs/cyclegan.gan, from the weights PyTorch initialised: loss terms
 * rel ≤ 1e-4 and every parameter after Adam rel ≤ 1e-3 (the step itself ≤ 5e-3), the
 * tolerances test/parity/cyclegan.test.ts holds the tfjs engine to.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sortTorchKeys } from "../../src/io/torch_names.js";
import { tensorAsFloat32 } from "../../src/io/safetensors.js";
import { cycleganIr, fixture, maxAbsDiff, meta, relErr, torchDict, weightsFrom } from "../parity/helpers.js";
import { emit, mustTrain, noTorch, readParams, removeTempDirs, writeBatches, writeParams } from "./helpers.js";

afterAll(removeTempDirs);

/** NCHW fixture image → NHWC host tensor */
function nhwcHost(f: ReturnType<typeof fixture>, name: string): { shape: number[]; data: Float32Array } {
  const [n, c, h, w] = f.tensors[name]!.shape as [number, number, number, number];
  const src = tensorAsFloat32(f, name);
  const out = new Float32Array(src.length);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[((i * h + y) * w + x) * c + k] = src[((i * c + k) * h + y) * w + x]!;
  return { shape: [n, h, w, c], data: out };
}

describe.skipIf(noTorch())("torch engine parity with the PyTorch fixtures", () => {
  const common = fixture("cyclegan_common");
  for (const variant of ["avg", "map"] as const) {
    it(`one training iteration (${variant}): loss terms rel ≤ 1e-4, every parameter after Adam rel ≤ 1e-3`, () => {
      const ref = fixture(`cyclegan_${variant}`);
      const ir = cycleganIr(common, variant);
      const dir = emit(ir, `parity-${variant}`);
      const init = weightsFrom(common, ir);
      writeParams(join(dir, "init.safetensors"), init);
      writeBatches(join(dir, "batches.safetensors"), [{ A: nhwcHost(common, "real_A"), B: nhwcHost(common, "real_B") }]);
      const events = mustTrain(dir, {
        run_dir: join(dir, "run"),
        init: join(dir, "init.safetensors"),
        batches: join(dir, "batches.safetensors"),
        dump: join(dir, "dump.safetensors"),
        max_iterations: 1,
      });
      const it1 = events.find((e) => e.event === "iteration")!;
      const losses = it1.losses as Record<string, Record<string, number>>;
      const terms = { ...losses.generator!, ...losses.discriminator! };
      expect(Object.keys(terms).sort()).toEqual(["D_A", "D_B", "cycle_A", "cycle_B", "gan_A", "gan_B", "idt_A", "idt_B"]);
      for (const [name, value] of Object.entries(terms)) {
        const want = ref.tensors[`loss.${name}`]!.data[0] as number;
        expect(Math.abs(value - want) / Math.abs(want), `loss term ${name}: ${value} vs torch ${want}`).toBeLessThanOrEqual(1e-4);
      }

      const after = weightsFrom(ref, ir, "after.");
      const got = readParams(join(dir, "dump.safetensors"));
      const noise = new Set<string>(JSON.parse(meta(ref, "noise_grad_params")) as string[]);
      const lr = ir.train.steps[0]!.optimizer.lr;
      let checked = 0;
      for (const net of ir.nets) {
        const keys = sortTorchKeys(Object.keys(torchDict(common, `${net.name}.`)));
        net.params.forEach((p, i) => {
          const mine = got.get(p.name)!;
          const want = after.get(p.name)!.data;
          const start = init.get(p.name)!.data;
          if (noise.has(keys[i]!)) {
            expect(maxAbsDiff(mine, start), `${p.name} moved more than lr`).toBeLessThanOrEqual(lr * 1.001);
            return;
          }
          expect(relErr(mine, want), `${p.name} after one iteration`).toBeLessThanOrEqual(1e-3);
          const step = (xs: Float32Array) => xs.map((x, j) => x - start[j]!);
          expect(relErr(step(mine), step(want)), `${p.name}: the Adam step`).toBeLessThanOrEqual(5e-3);
          checked++;
        });
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
