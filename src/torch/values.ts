/**
 * The PyTorch lowering of the loss graph's value ops (src/runtime/criteria.ts VALUE_OPS) and
 * the optimizers (src/runtime/optim.ts OPTIMIZER_RULES): losses.py writes each value as a small
 * Python function of its inputs; `domain`, `apply` and `pool` read the batch, run a net or query
 * the image pool and are executed by the runtime (python/gancc_torch/program.py), as in
 * src/runtime/program.ts. test/torch/tables.test.ts fails when a table here and its tfjs
 * counterpart have different keys.
 *
 * Tensors are NCHW here: `concat` joins dimension 1. Reductions are means over every element, as
 * in criteria.ts; `L.bce_with_logits` is criteria.ts's stable formula.
 */
import type { IrValue } from "../ir/schema.js";
import { pyNumber } from "./layers.js";

/** Python source of a function taking the value's inputs in order (`lambda a, b: ...`). */
export type TorchValue = (v: IrValue) => string;

const target = (v: IrValue): 0 | 1 => {
  if (v.attrs.target === "real") return 1;
  if (v.attrs.target === "fake") return 0;
  throw new Error(`internal: value ${v.id} (${v.op}) has target ${String(v.attrs.target)}`);
};

export const TORCH_VALUES: Record<string, TorchValue> = {
  l1: () => "lambda a, b: torch.mean(torch.abs(a - b))",
  mse: () => "lambda a, b: torch.mean((a - b) ** 2)",
  bce: (v) => (v.inputs.length > 1 ? "lambda x, t: L.bce_with_logits(x, t)" : `lambda x: L.bce_with_logits(x, ${target(v)}.0)`),
  lsgan: (v) => `lambda x: torch.mean((x - ${target(v)}.0) ** 2)`,
  vanilla: (v) => `lambda x: L.bce_with_logits(x, ${target(v)}.0)`,
  wgan: (v) => (target(v) === 1 ? "lambda x: -torch.mean(x)" : "lambda x: torch.mean(x)"),
  hinge: (v) => (target(v) === 1 ? "lambda x: torch.mean(torch.relu(1.0 - x))" : "lambda x: torch.mean(torch.relu(1.0 + x))"),
  mean: () => "lambda x: torch.mean(x)",
  detach: () => "lambda x: x.detach()",
  concat: (v) => `lambda ${v.inputs.map((_, i) => `x${i}`).join(", ")}: torch.cat([${v.inputs.map((_, i) => `x${i}`).join(", ")}], 1)`,
  scale: (v) => `lambda x: x * ${pyNumber(v.attrs.k as number)}`,
  const: (v) => `lambda: ${pyNumber(v.attrs.value as number)}`,
  add: () => "lambda a, b: a + b",
  sub: () => "lambda a, b: a - b",
  mul: () => "lambda a, b: a * b",
  div: () => "lambda a, b: a / b",
};
Object.setPrototypeOf(TORCH_VALUES, null);

/** Value ops the runtime itself executes (batch, nets, image pool). */
export const RUNTIME_VALUE_OPS = ["domain", "apply", "pool"] as const;

/** The optimizer class in python/gancc_torch/optim.py for each IR optimizer kind. */
export const TORCH_OPTIMIZERS: Record<string, string> = {
  adam: "Adam",
  rmsprop: "RMSProp",
  sgd: "SGD",
};
Object.setPrototypeOf(TORCH_OPTIMIZERS, null);
