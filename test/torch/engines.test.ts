/**
 * The tfjs and torch engines agree over 30 iterations. GAN training under Adam is chaotic: even
 * float32 PyTorch drifts from float64 PyTorch, so both engines are compared against a float64 run
 * of the torch engine, from identical initial weights (the tfjs Model's) and identical batches:
 *
 *   drift(E) = max over the 30 iterations of |L_E(i) − L_64(i)| / |L_64(i)|   per loss term
 *   drift_w(E) = ‖w_E − w_64‖₂ / ‖w_64‖₂ after 30 iterations, all parameters of a net together
 *
 * and for every term and every net: drift(tfjs) ≤ 2 · drift(torch float32) + 1e-3.
 * specs/tiny.gan (its image pool included: both engines draw its decisions from the same stream).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { Model } from "../../src/runtime/model.js";
import { useBackend } from "../runtime/kernels/setup.js";
import { compileSpec, emit, mustTrain, noTorch, python, readParams, writeBatches, writeParams, removeTempDirs, randomImages } from "./helpers.js";

afterAll(removeTempDirs);

const N = 30;

const norm = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0));

describe.skipIf(noTorch())("tfjs and torch engines over 30 iterations", () => {
  it("tfjs drift from float64 torch ≤ 2 × float32 torch drift + 1e-3, per loss term and per net", async () => {
    const ir = compileSpec("specs/tiny.gan");
    const [h, w, c] = ir.nets[0]!.input.shape as [number, number, number];
    const batches = Array.from({ length: N }, (_, i) => Object.fromEntries(ir.data.domains.map((d, k) => [d.name, randomImages(1000 * k + i + 1, [ir.train.batch, h, w, c])])));

    // tfjs, in process
    await useBackend("cpu");
    const model = new Model(ir);
    const init = await model.read();
    const program = model.trainer();
    const tfjsLosses: Record<string, Record<string, number>>[] = [];
    for (const b of batches) {
      const x = Object.fromEntries(Object.entries(b).map(([d, t]) => [d, tf.tensor(t.data, t.shape)]));
      tfjsLosses.push((await program.runIteration(x, 1)).losses);
      tf.dispose(Object.values(x));
    }
    const tfjsWeights = new Map([...(await model.read())].map(([k, v]) => [k, v.data]));
    model.dispose();

    // torch, float32 and float64, from the same weights and batches
    const dir = emit(ir, "engines");
    writeParams(join(dir, "init.safetensors"), init);
    writeBatches(join(dir, "batches.safetensors"), batches);
    const torchRun = (dtype: string) => {
      const events = mustTrain(dir, {
        run_dir: join(dir, `run-${dtype}`),
        init: join(dir, "init.safetensors"),
        batches: join(dir, "batches.safetensors"),
        dump: join(dir, `dump-${dtype}.safetensors`),
        max_iterations: N,
        dtype,
      });
      const losses = events.filter((e) => e.event === "iteration").map((e) => e.losses as Record<string, Record<string, number>>);
      expect(losses.length).toBe(N);
      return { losses, weights: readParams(join(dir, `dump-${dtype}.safetensors`)) };
    };
    const f32 = torchRun("float32");
    const f64 = torchRun("float64");

    const report: string[] = [];
    for (const loss of ir.losses) {
      for (const term of loss.terms) {
        const drift = (ls: Record<string, Record<string, number>>[]) =>
          Math.max(...ls.map((l, i) => Math.abs(l[loss.name]![term.name]! - f64.losses[i]![loss.name]![term.name]!) / Math.abs(f64.losses[i]![loss.name]![term.name]!)));
        const [dt, d32] = [drift(tfjsLosses), drift(f32.losses)];
        report.push(`${loss.name}.${term.name}: tfjs ${dt.toExponential(2)}, torch f32 ${d32.toExponential(2)}`);
        expect(dt, `loss term ${loss.name}.${term.name}: tfjs drift vs torch float32 drift ${d32}`).toBeLessThanOrEqual(2 * d32 + 1e-3);
      }
    }
    for (const net of ir.nets) {
      const drift = (ws: ReadonlyMap<string, Float32Array>) => {
        const d: number[] = [];
        const ref: number[] = [];
        for (const p of net.params) {
          const a = ws.get(p.name)!;
          const b = f64.weights.get(p.name)!;
          a.forEach((x, i) => (d.push(x - b[i]!), ref.push(b[i]!)));
        }
        return norm(d) / norm(ref);
      };
      const [dt, d32] = [drift(tfjsWeights), drift(f32.weights)];
      report.push(`${net.name} weights: tfjs ${dt.toExponential(2)}, torch f32 ${d32.toExponential(2)}`);
      expect(dt, `${net.name} weights: tfjs drift vs torch float32 drift ${d32}`).toBeLessThanOrEqual(2 * d32 + 1e-3);
    }
    // the engines do train: the float64 run's weights moved
    expect(norm([...f64.weights.get("G_AB/conv1/kernel")!].map((x, i) => x - init.get("G_AB/conv1/kernel")!.data[i]!))).toBeGreaterThan(0);
    process.stderr.write(`engine drift over ${N} iterations (max relative, vs float64 torch):\n  ${report.join("\n  ")}\n`);
  });
});

/** specs/tiny.gan with a DAG generator (a labelled tensor concatenated later, batch norm, bilinear
 * upsampling, replicate padding) and a critic ending in flatten → linear over a 4×4×8 map (nets.py
 * flattens NCHW; the linear layer's rows are permuted to match gancc's NHWC features). */
function dagSpec(): string {
  const t = readFileSync("specs/tiny.gan", "utf8");
  const a = t.indexOf("network Generator");
  const b = t.indexOf("nets {");
  if (a < 0 || b < 0) throw new Error("specs/tiny.gan changed: cannot find its networks");
  return (
    t.slice(0, a) +
    `network Generator: image[3] -> image[3] {
  e1: conv(nf, 4, stride: 2, pad: 1)
  leaky_relu(0.2) conv(nf * 2, 4, stride: 2, pad: 1)
  relu upsample(2, mode: bilinear) conv(nf, 3, pad: 1, pad_mode: replicate) batch_norm
  concat(e1)
  relu conv_transpose(3, 4, stride: 2, pad: 1) tanh
}

network Critic: image[3] -> vector[1] {
  conv(nf, 4, stride: 2, pad: 1) leaky_relu(0.2)
  avg_pool(2) conv(nf * 2, 3, pad: 1) batch_norm leaky_relu(0.2)
  flatten linear(1)
}

` +
    t.slice(b)
  );
}

describe.skipIf(noTorch())("a DAG generator and a flatten → linear critic", () => {
  it("3 iterations: torch and tfjs loss terms rel ≤ 1e-4, weights and batch-norm variances rel ≤ 1e-3", async () => {
    const ir = compileSpec("dag.gan", {}, dagSpec());
    const G = ir.nets.find((n) => n.name === "G_AB")!;
    expect(G.nodes.some((n) => n.op === "concat" && !n.id.endsWith("/skip_concat"))).toBe(true);
    const [h, w, c] = G.input.shape as [number, number, number];
    const batches = Array.from({ length: 3 }, (_, i) => ({ A: randomImages(300 + i, [2, h, w, c]), B: randomImages(400 + i, [2, h, w, c]) }));
    await useBackend("cpu");
    const model = new Model(ir);
    const init = await model.read();
    const program = model.trainer();
    const tfjsLosses: Record<string, Record<string, number>>[] = [];
    for (const b of batches) {
      const x = Object.fromEntries(Object.entries(b).map(([d, t]) => [d, tf.tensor(t.data, t.shape)]));
      tfjsLosses.push((await program.runIteration(x, 1)).losses);
      tf.dispose(Object.values(x));
    }
    const tfjsWeights = await model.read();
    model.dispose();
    const dir = emit(ir, "dag");
    expect(readFileSync(join(dir, "nets.py"), "utf8")).toContain("self.model[7](h7, h1)");
    writeParams(join(dir, "init.safetensors"), init);
    writeBatches(join(dir, "batches.safetensors"), batches);
    const events = mustTrain(dir, { run_dir: join(dir, "run"), init: join(dir, "init.safetensors"), batches: join(dir, "batches.safetensors"), dump: join(dir, "dump.safetensors"), max_iterations: 3 });
    const torchLosses = events.filter((e) => e.event === "iteration").map((e) => e.losses as Record<string, Record<string, number>>);
    torchLosses.forEach((l, i) => {
      for (const [loss, terms] of Object.entries(tfjsLosses[i]!))
        for (const [t, v] of Object.entries(terms)) expect(Math.abs(l[loss]![t]! - v) / Math.abs(v), `iteration ${i + 1} ${loss}.${t}: torch ${l[loss]![t]} vs tfjs ${v}`).toBeLessThanOrEqual(1e-4);
    });
    const got = readParams(join(dir, "dump.safetensors"));
    // biases feeding a batch norm have true gradient 0 (Adam steps on float noise that differs
    // between the engines), and the running means follow those biases: both are left out
    const cancelled = new Set<string>();
    for (const net of ir.nets)
      for (const n of net.nodes) {
        const users = net.nodes.filter((m) => m.inputs.includes(n.id));
        if (users.length === 1 && users[0]!.op === "batch_norm") {
          for (const p of n.params) if (p.endsWith("/bias")) cancelled.add(p);
          for (const p of users[0]!.params) if (p.endsWith("/moving_mean")) cancelled.add(p);
        }
      }
    expect(cancelled.size).toBeGreaterThan(0);
    for (const [name, v] of tfjsWeights) {
      if (cancelled.has(name)) continue;
      const d = got.get(name)!;
      const rel = Math.sqrt(d.reduce((s, x, i) => s + (x - v.data[i]!) ** 2, 0)) / Math.max(Math.sqrt(v.data.reduce((s, x) => s + x * x, 0)), 1e-30);
      expect(rel, name).toBeLessThanOrEqual(1e-3);
    }
  });
});

const PIX2PIX_SMALL = { ngf: "2", ndf: "2", num_downs: "6", size: "64", load_size: "64" };

describe.skipIf(noTorch())("pix2pix (skip blocks, batch norm, a replayed G(A), vanilla GAN on pairs)", () => {
  it("without dropout: 3 iterations, torch and tfjs loss terms rel ≤ 1e-4", async () => {
    const ir = compileSpec("specs/pix2pix.gan", { ...PIX2PIX_SMALL, use_dropout: "false" });
    expect(ir.nets.flatMap((n) => n.nodes).some((n) => n.op === "dropout")).toBe(false);
    const [h, w, c] = ir.nets[0]!.input.shape as [number, number, number];
    const batches = Array.from({ length: 3 }, (_, i) => Object.fromEntries(ir.data.domains.map((d, k) => [d.name, randomImages(500 + 10 * k + i, [1, h, w, d.channels])])));
    await useBackend("cpu");
    const model = new Model(ir);
    const init = await model.read();
    const program = model.trainer();
    const tfjsLosses: Record<string, Record<string, number>>[] = [];
    for (const b of batches) {
      const x = Object.fromEntries(Object.entries(b).map(([d, t]) => [d, tf.tensor(t.data, t.shape)]));
      tfjsLosses.push((await program.runIteration(x, 1)).losses);
      tf.dispose(Object.values(x));
    }
    model.dispose();
    const dir = emit(ir, "p2p");
    expect(readFileSync(join(dir, "nets.py"), "utf8")).toContain("L.Skip(");
    writeParams(join(dir, "init.safetensors"), init);
    writeBatches(join(dir, "batches.safetensors"), batches);
    const events = mustTrain(dir, { run_dir: join(dir, "run"), init: join(dir, "init.safetensors"), batches: join(dir, "batches.safetensors"), max_iterations: 3 });
    const torchLosses = events.filter((e) => e.event === "iteration").map((e) => e.losses as Record<string, Record<string, number>>);
    expect(torchLosses.length).toBe(3);
    torchLosses.forEach((l, i) => {
      for (const [loss, terms] of Object.entries(tfjsLosses[i]!))
        for (const [t, v] of Object.entries(terms)) expect(Math.abs(l[loss]![t]! - v) / Math.abs(v), `iteration ${i + 1} ${loss}.${t}: torch ${l[loss]![t]} vs tfjs ${v}`).toBeLessThanOrEqual(1e-4);
    });
  });

  it("with dropout: the generator step's G(A) replays the discriminator step's exactly and updates batch norm once", () => {
    const ir = compileSpec("specs/pix2pix.gan", PIX2PIX_SMALL);
    expect(ir.nets.flatMap((n) => n.nodes).some((n) => n.op === "dropout")).toBe(true);
    expect(ir.train.steps.map((s) => s.updates)).toEqual([["D"], ["G"]]);
    const dir = emit(ir, "p2p-replay");
    const out = python(
      dir,
      `
import json, torch, numpy as np
import nets, losses
from torch import nn
from gancc_torch.convert import NetParams
from gancc_torch.program import TrainingProgram
ir = json.load(open("ir.json"))
torch.manual_seed(0)
mods = nets.build_nets()
for m in mods.values(): m.train()
params = {n: NetParams(mods[n], nets.PARAMS[n]).trainable() for n in mods}
prog = TrainingProgram(ir, losses.VALUES, losses.LOSSES, mods, params)
outs = []
mods["G"].register_forward_hook(lambda m, i, o: outs.append(o.detach().clone()))
bns = [m for m in mods["G"].modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
g = torch.Generator().manual_seed(1)
x = {d["name"]: torch.rand(1, d["channels"], ${ir.data.crop}, ${ir.data.crop}, generator=g) * 2 - 1 for d in ir["data"]["domains"]}
stats = []
orig = nn.functional.batch_norm
def counting(*a, **k):
    stats.append(k.get("momentum", a[6] if len(a) > 6 else None))  # F.batch_norm(x, mean, var, w, b, training, momentum, eps)
    return orig(*a, **k)
nn.functional.batch_norm = counting
prog.run_iteration(x)
print(json.dumps({"applications": len(outs), "same": bool(torch.equal(outs[0], outs[1])) if len(outs) > 1 else None,
                  "updating": sum(1 for m in stats if m), "bns": len(bns)}))
`,
    );
    const r = JSON.parse(out) as { applications: number; same: boolean; updating: number; bns: number };
    expect(r.applications).toBe(2); // the D step's G(A), then the G step's replay
    expect(r.same).toBe(true); // same dropout masks, same batch-norm batch statistics
    // G's batch norms update their running statistics on the first application only (D has its own)
    const dBns = (python(dir, `import nets; from torch import nn; print(sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in nets.build_nets()["D"].modules()))`).trim());
    expect(r.updating).toBe(r.bns + 3 * Number(dBns)); // G once; D applied three times (fake, real, G step's fake)
  });
});
