/**
 * The PyTorch lowering tables cover exactly what the tfjs engine's tables cover: every layer op
 * in the ops table, every loss value op, every optimizer (and nothing else), so adding an op
 * without its torch lowering fails here. Runs without Python.
 */
import { describe, expect, it } from "vitest";
import { OPS } from "../../src/compiler/ops.js";
import { OPTIMIZER_KINDS } from "../../src/ir/enums.js";
import { VALUE_OPS } from "../../src/runtime/criteria.js";
import { OPTIMIZER_RULES } from "../../src/runtime/optim.js";
import { TORCH_LAYERS } from "../../src/torch/layers.js";
import { RUNTIME_VALUE_OPS, TORCH_OPTIMIZERS, TORCH_VALUES } from "../../src/torch/values.js";
import { readFileSync } from "node:fs";

const keys = (o: object) => Object.keys(o).sort();

describe("torch lowering tables", () => {
  it("one torch layer per op in the ops table, and no other", () => {
    expect(keys(TORCH_LAYERS)).toEqual(keys(OPS));
  });

  it("one torch lowering per loss value op of the tfjs engine, and no other", () => {
    expect(keys(TORCH_VALUES)).toEqual(keys(VALUE_OPS));
    for (const op of RUNTIME_VALUE_OPS) expect(VALUE_OPS).not.toHaveProperty(op);
  });

  it("one torch optimizer per IR optimizer kind, each defined in the runtime", () => {
    expect(keys(TORCH_OPTIMIZERS)).toEqual([...OPTIMIZER_KINDS].sort());
    expect(keys(TORCH_OPTIMIZERS)).toEqual(keys(OPTIMIZER_RULES));
    const py = readFileSync("python/gancc_torch/optim.py", "utf8");
    for (const [kind, cls] of Object.entries(TORCH_OPTIMIZERS)) {
      expect(py).toMatch(new RegExp(`^class ${cls}\\(`, "m"));
      expect(py).toContain(`"${kind}": ${cls}`);
    }
  });
});
