/**
 * A checkpoint moves between the engines in both directions: 3 iterations on one engine, a
 * checkpoint (weights, Adam's m, v and t, the image pool, the rng), 3 more on the other engine,
 * compared with 6 iterations on the torch engine alone (same initial weights and batches).
 * Loss terms of the last 3 iterations rel ≤ 1e-4; weights rel ≤ 1e-4 per parameter, except the
 * biases that feed an instance norm (true gradient 0: Adam steps on float noise, which differs
 * between engines; they must stay within 2·lr·iterations).
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import type { Ir } from "../../src/ir/schema.js";
import { Model } from "../../src/runtime/model.js";
import { loadCheckpoint, saveCheckpoint } from "../../src/train/checkpoint.js";
import { relErr } from "../parity/helpers.js";
import { useBackend } from "../runtime/kernels/setup.js";
import { compileSpec, emit, mustTrain, noTorch, readParams, writeBatches, writeParams, type TorchEvent, removeTempDirs, randomImages } from "./helpers.js";

afterAll(removeTempDirs);

type Losses = Record<string, Record<string, number>>;
type HostBatch = Record<string, { shape: number[]; data: Float32Array }>;

function cancelledBiases(ir: Ir): Set<string> {
  const out = new Set<string>();
  for (const net of ir.nets)
    for (const n of net.nodes) {
      const users = net.nodes.filter((m) => m.inputs.includes(n.id));
      if (users.length === 1 && users[0]!.op === "instance_norm") for (const p of n.params) if (p.endsWith("/bias")) out.add(p);
    }
  return out;
}

async function tfjsIterations(program: ReturnType<Model["trainer"]>, batches: HostBatch[]): Promise<Losses[]> {
  const out: Losses[] = [];
  for (const b of batches) {
    const x = Object.fromEntries(Object.entries(b).map(([d, t]) => [d, tf.tensor(t.data, t.shape)]));
    out.push((await program.runIteration(x, 1)).losses);
    tf.dispose(Object.values(x));
  }
  return out;
}

const iterLosses = (events: TorchEvent[]) => events.filter((e) => e.event === "iteration").map((e) => e.losses as Losses);

describe.skipIf(noTorch())("checkpoints move between the tfjs and torch engines", () => {
  it("torch → tfjs and tfjs → torch continue as one torch run does", async () => {
    await useBackend("cpu");
    const ir = compileSpec("specs/tiny.gan");
    expect(ir.train.pool.size).toBeGreaterThan(0);
    const [h, w, c] = ir.nets[0]!.input.shape as [number, number, number];
    const batches: HostBatch[] = Array.from({ length: 6 }, (_, i) => ({ A: randomImages(100 + i, [1, h, w, c]), B: randomImages(200 + i, [1, h, w, c]) }));
    const dir = emit(ir, "ckpt");
    const init = await (async () => {
      const m = new Model(ir);
      const v = await m.read();
      m.dispose();
      return v;
    })();
    writeParams(join(dir, "init.safetensors"), init);
    writeBatches(join(dir, "batches.safetensors"), batches);
    const common = { init: join(dir, "init.safetensors"), batches: join(dir, "batches.safetensors") };

    // reference: 6 iterations on the torch engine
    const ref = mustTrain(dir, { ...common, run_dir: join(dir, "ref"), max_iterations: 6, dump: join(dir, "ref.safetensors") });
    const refLosses = iterLosses(ref).slice(3);
    const refWeights = readParams(join(dir, "ref.safetensors"));

    // torch 3 → tfjs 3
    mustTrain(dir, { ...common, run_dir: join(dir, "a"), max_iterations: 3, checkpoint_every: 1000 });
    const ck = loadCheckpoint(join(dir, "a", "checkpoints"));
    expect(ck.manifest.iteration).toBe(3);
    expect(ck.manifest.backend).toBe("torch-cpu");
    const model = new Model(ir, { weights: ck.weights });
    const program = model.trainer();
    program.loadState(ck.program);
    const tfjsLosses = await tfjsIterations(program, batches.slice(3));
    const tfjsWeights = new Map([...(await model.read())].map(([k, v]) => [k, v.data]));

    // tfjs 3 → torch 3
    const m2 = new Model(ir, { weights: init });
    const p2 = m2.trainer();
    const first = await tfjsIterations(p2, batches.slice(0, 3));
    await saveCheckpoint({
      dir: join(dir, "b", "checkpoints"),
      model: m2,
      program: await p2.state(),
      iteration: 3,
      epoch: 0,
      epochIteration: 3,
      data: null,
      lrScale: 1,
      losses: first[2]!,
      backend: "cpu",
    });
    const resumed = mustTrain(dir, {
      ...common,
      run_dir: join(dir, "b"),
      resume: join(dir, "b", "checkpoints", "latest.json"),
      max_iterations: 6,
      dump: join(dir, "b.safetensors"),
    });
    expect(resumed.find((e) => e.event === "start")!.iteration).toBe(3);
    const torchLosses = iterLosses(resumed);
    const torchWeights = readParams(join(dir, "b.safetensors"));

    const noise = cancelledBiases(ir);
    const lr = ir.train.steps[0]!.optimizer.lr;
    for (const [what, losses, weights] of [
      ["torch → tfjs", tfjsLosses, tfjsWeights],
      ["tfjs → torch", torchLosses, torchWeights],
    ] as const) {
      expect(losses.length).toBe(3);
      losses.forEach((l, i) => {
        for (const [loss, terms] of Object.entries(refLosses[i]!)) {
          for (const [t, v] of Object.entries(terms)) expect(Math.abs(l[loss]![t]! - v) / Math.abs(v), `${what}: iteration ${i + 4} ${loss}.${t}`).toBeLessThanOrEqual(1e-4);
        }
      });
      for (const [name, want] of refWeights) {
        const got = weights.get(name)!;
        if (noise.has(name)) expect(Math.max(...got.map((x, i) => Math.abs(x - want[i]!))), `${what}: ${name}`).toBeLessThanOrEqual(2 * lr * 6);
        else expect(relErr(got, want), `${what}: ${name}`).toBeLessThanOrEqual(1e-4);
      }
    }
    model.dispose();
    m2.dispose();
  });
});
