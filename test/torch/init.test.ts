/**
 * The torch engine draws the same initial weights as the tfjs engine (python/gancc_torch/init.py
 * and rng.py ports src/runtime/init.ts and rng.ts): every initialiser, every parameter kind,
 * kernels of rank 4 and 2, from the same seed and names.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { INIT_KINDS, type IrInit, type IrParam } from "../../src/ir/schema.js";
import { initialValue } from "../../src/runtime/init.js";
import { noTorch, python } from "./helpers.js";

const PARAMS: IrParam[] = [
  { name: "N/conv1/kernel", shape: [3, 3, 4, 5], init: "weight", trainable: true },
  { name: "N/tconv/kernel", shape: [4, 4, 2, 3], init: "weight", trainable: true },
  { name: "N/linear/kernel", shape: [6, 4], init: "weight", trainable: true },
  { name: "N/linear/bias", shape: [4], init: "zeros", trainable: true },
  { name: "N/norm/gamma", shape: [5], init: "norm_weight", trainable: true },
  { name: "N/bn/moving_variance", shape: [5], init: "ones", trainable: false },
];
const INITS: IrInit[] = INIT_KINDS.map((kind) => ({ kind, ...(kind === "normal" ? { mean: 0.1, std: 0.05 } : kind === "uniform" ? { scale: 0.3 } : { gain: 0.7 }) }));

describe.skipIf(noTorch())("initial weights", () => {
  it("every initialiser gives the tfjs engine's values (float32 rel ≤ 1e-6)", () => {
    const seed = 1234;
    const out = JSON.parse(
      python(
        process.cwd(),
        `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(process.cwd(), "python"))})
from gancc_torch.init import initial_value
res = {}
for init in json.loads(${JSON.stringify(JSON.stringify(INITS))}):
    for p in json.loads(${JSON.stringify(JSON.stringify(PARAMS))}):
        res[init["kind"] + " " + p["name"]] = initial_value(p, init, ${seed}).ravel().tolist()
print(json.dumps(res))
`,
      ),
    ) as Record<string, number[]>;
    for (const init of INITS) {
      for (const p of PARAMS) {
        const want = initialValue(p, init, seed);
        const got = out[`${init.kind} ${p.name}`]!;
        expect(got.length).toBe(want.length);
        let err = 0;
        let norm = 0;
        got.forEach((x, i) => ((err += (x - want[i]!) ** 2), (norm += want[i]! ** 2)));
        expect(Math.sqrt(err) / Math.max(Math.sqrt(norm), 1e-30), `${init.kind} ${p.name}`).toBeLessThanOrEqual(1e-6);
      }
    }
  });
});
