/**
 * The emitted nets.py: every spec in specs/ instantiates, its state_dict keys and shapes are
 * exactly `gancc weights export`'s (torchTemplate), and the parameter counts are the issue's
 * (trainable parameters: weights, biases, norm scales and offsets; batch-norm running statistics
 * are state, not parameters).
 */
import { readdirSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { torchTemplate } from "../../src/io/weights.js";
import { compileSpec, emit, noTorch, python, removeTempDirs } from "./helpers.js";

const SPECS = readdirSync("specs").filter((f) => f.endsWith(".gan")).sort();

// torch's default initialisers are skipped: the runtime overwrites every value, and the big
// specs (dualgan: 2 × 85M parameters) instantiate in a second instead of ten
const INSTANTIATE = `
import json, torch
for f in ("kaiming_uniform_", "uniform_", "normal_", "ones_", "zeros_"):
    setattr(torch.nn.init, f, lambda t, *a, **k: t)
import nets
out = {}
for name, m in nets.build_nets().items():
    out[name] = {
        "state": {k: list(v.shape) for k, v in m.state_dict().items()},
        "trainable": sum(p.numel() for p in m.parameters() if p.requires_grad),
        "table": [row[1] for row in nets.PARAMS[name]],
    }
print(json.dumps(out))
`;

afterAll(removeTempDirs);

interface NetInfo {
  state: Record<string, number[]>;
  trainable: number;
  table: string[];
}

/** each spec's nets, instantiated once (the parameter-count test reads the same results) */
const instantiated = new Map<string, Record<string, NetInfo>>();
function instantiate(spec: string): Record<string, NetInfo> {
  let info = instantiated.get(spec);
  if (!info) {
    info = JSON.parse(python(emit(compileSpec(`specs/${spec}`), "nets"), INSTANTIATE)) as Record<string, NetInfo>;
    instantiated.set(spec, info);
  }
  return info;
}

describe.skipIf(noTorch())("emitted nets.py", () => {
  for (const spec of SPECS) {
    it(`${spec}: state_dict keys and shapes are gancc weights export's`, () => {
      const ir = compileSpec(`specs/${spec}`);
      const info = instantiate(spec);
      expect(Object.keys(info)).toEqual(ir.nets.map((n) => n.name));
      for (const net of ir.nets) {
        const want = Object.fromEntries(Object.entries(torchTemplate(net)).map(([k, v]) => [k, v.shape]));
        expect(info[net.name]!.state, `${spec} ${net.name}`).toEqual(want);
        expect(info[net.name]!.table.sort()).toEqual(Object.keys(want).sort());
        const trainable = net.params.filter((p) => p.trainable).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
        expect(info[net.name]!.trainable, `${spec} ${net.name} trainable parameters`).toBe(trainable);
      }
    });
  }

  it("parameter counts: pix2pix 54,413,955; cyclegan 11,378,179 (G) and 2,764,737 (D)", () => {
    const p2p = instantiate("pix2pix.gan");
    expect(p2p.G!.trainable).toBe(54_413_955);
    const cg = instantiate("cyclegan.gan");
    expect([cg.G_AB!.trainable, cg.G_BA!.trainable, cg.D_A!.trainable, cg.D_B!.trainable]).toEqual([11_378_179, 11_378_179, 2_764_737, 2_764_737]);
  });
});
