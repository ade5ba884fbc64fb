/**
 * Every torch layer nets.py writes (src/torch/layers.ts TORCH_LAYERS) reproduces the PyTorch
 * fixture of its op (test/parity/fixtures/layers.safetensors, the cases the tfjs lowerings are
 * tested against): forward outputs, and the running statistics after a training-mode batch norm.
 * Parameters are moved from gancc layout with the same permutation nets.py's PARAMS table uses.
 * `flatten` is compared in NHWC feature order: nets.py flattens NCHW (torch's order) and the
 * following linear layer's rows are permuted instead (nets.py PARAMS, checked in engines.test.ts).
 */
import { describe, expect, it } from "vitest";
import type { IrNode } from "../../src/ir/schema.js";
import { ganccToTorchPerm, ROLE_TO_TORCH, type GanccParamOp, type GanccParamRole } from "../../src/io/torch_names.js";
import { TORCH_LAYERS } from "../../src/torch/layers.js";
import { OPS } from "../../src/compiler/ops.js";
import { fixture, meta } from "../parity/helpers.js";
import { noTorch, python } from "./helpers.js";

const F = fixture("layers");
const CASES = JSON.parse(meta(F, "cases")) as Record<string, { op: string; attrs: IrNode["attrs"]; params: string[]; inputs: number }>;

const PY = (cases: unknown) => `
import json, sys
import numpy as np, torch
from torch import nn
sys.path.insert(0, ${JSON.stringify(`${process.cwd()}/python`)})
from gancc_torch import layers as L
from gancc_torch import safetensors as st
T, _ = st.read_file(${JSON.stringify(`${process.cwd()}/test/parity/fixtures/layers.safetensors`)})
nchw = lambda a: torch.from_numpy(np.ascontiguousarray(a.transpose(0, 3, 1, 2) if a.ndim == 4 else a)).double()
out = {}
for c in json.loads(${JSON.stringify(JSON.stringify(cases))}):
    m = eval(c["ctor"]).double()
    m.train(c["training"])
    sd = m.state_dict()
    for p, key, perm in c["params"]:
        a = T[c["name"] + ".p." + p]
        sd[key] = torch.from_numpy(np.ascontiguousarray(a.transpose(perm) if perm else a)).double()
    m.load_state_dict(sd)
    xs = [nchw(T[c["name"] + ".x"])] + ([nchw(T[c["name"] + ".x2"])] if c["inputs"] == 2 else [])
    with torch.no_grad():
        y = m(*xs).numpy()
    ref = T[c["name"] + ".out"].astype(np.float64)
    if c["op"] == "flatten":
        n, h, w, ch = T[c["name"] + ".x"].shape
        ref = ref.reshape(n, h, w, ch).transpose(0, 3, 1, 2).reshape(n, -1)
    elif ref.ndim == 4:
        ref = ref.transpose(0, 3, 1, 2)
    r = {"shape": [list(y.shape), list(ref.shape)], "err": float(np.max(np.abs(y - ref) - (1e-5 + 1e-4 * np.abs(ref)))) if y.shape == ref.shape else 1e9}
    if c["op"] == "batch_norm" and c["training"]:
        r["stats"] = max(float(np.max(np.abs(m.state_dict()[k].numpy() - T[c["name"] + ".after." + s]))) for k, s in (("running_mean", "moving_mean"), ("running_var", "moving_variance")))
    out[c["name"]] = r
print(json.dumps(out))
`;

describe.skipIf(noTorch())("torch layers vs the PyTorch layer fixtures", () => {
  it("the fixture covers every op of the torch table", () => {
    const covered = new Set(Object.values(CASES).map((c) => c.op));
    expect(Object.keys(TORCH_LAYERS).filter((op) => !covered.has(op))).toEqual([]);
    expect(Object.keys(TORCH_LAYERS).sort()).toEqual(Object.keys(OPS).sort());
  });

  it("every case: forward within 1e-5 + 1e-4·|ref|; batch-norm running statistics within 1e-5", () => {
    const cases = Object.entries(CASES).map(([name, c]) => {
      const x = F.tensors[`${name}.x`]!.shape;
      const node = { id: `t/${name}`, op: c.op, attrs: c.attrs, inputs: [], shape: [], params: [], span: { file: "t", line: 1, col: 1, endLine: 1, endCol: 1 } } as IrNode;
      const params = c.params.map((p) => {
        const perm = ganccToTorchPerm({ name: p, shape: F.tensors[`${name}.p.${p}`]!.shape, op: c.op as GanccParamOp, role: p as GanccParamRole });
        return [p, ROLE_TO_TORCH[p as GanccParamRole], perm];
      });
      return { name, op: c.op, ctor: TORCH_LAYERS[c.op]!(node, { inChannels: x[x.length - 1]! }), training: name.endsWith("_train"), inputs: c.inputs, params };
    });
    const res = JSON.parse(python(process.cwd(), PY(cases))) as Record<string, { shape: [number[], number[]]; err: number; stats?: number }>;
    for (const [name, r] of Object.entries(res)) {
      expect(r.shape[0], `${name} shape`).toEqual(r.shape[1]);
      expect(r.err, `${name} forward: worst excess over the tolerance`).toBeLessThanOrEqual(0);
      if (r.stats !== undefined) expect(r.stats, `${name} running statistics`).toBeLessThanOrEqual(1e-5);
    }
    expect(Object.keys(res).length).toBe(Object.keys(CASES).length);
  });
});
