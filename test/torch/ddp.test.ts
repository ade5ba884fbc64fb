/**
 * DDP at the Python level: specs/tiny.gan with pool 0 (and no dropout), 2 gloo ranks × batch 1
 * reach the same weights as 1 process × batch 2 after 10 iterations, from the same initial
 * weights and global batches.
 *
 * Measure: ‖a − b‖₂ / ‖b‖₂ per parameter ≤ 1e-4, except for the biases that feed an instance
 * norm: the norm subtracts them again, so their true gradient is exactly 0 and Adam turns float
 * rounding noise (which differs with the summation order) into steps of ±lr; those must stay
 * within 2·lr·iterations of each other (the exclusion the PyTorch fixtures make too).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Ir } from "../../src/ir/schema.js";
import { relErr } from "../parity/helpers.js";
import { compileSpec, emit, mustTrain, noTorch, readParams, writeBatches, removeTempDirs, randomImages } from "./helpers.js";

afterAll(removeTempDirs);

const ITERATIONS = 10;

function tinyIr(batch: number): Ir {
  const text = readFileSync("specs/tiny.gan", "utf8");
  if (!text.includes("pool: 4") || !text.includes("batch: 1")) throw new Error("specs/tiny.gan changed: cannot set its pool and batch");
  return compileSpec("specs/tiny.gan", {}, text.replace("pool: 4", "pool: 0").replace("batch: 1", `batch: ${batch}`));
}

/** Biases whose node's only consumer is an instance norm (their true gradient is 0). */
function cancelledBiases(ir: Ir): Set<string> {
  const out = new Set<string>();
  for (const net of ir.nets) {
    for (const n of net.nodes) {
      const users = net.nodes.filter((m) => m.inputs.includes(n.id));
      if (users.length === 1 && users[0]!.op === "instance_norm") for (const p of n.params) if (p.endsWith("/bias")) out.add(p);
    }
  }
  return out;
}

describe.skipIf(noTorch())("DDP (2 gloo ranks) equals one process with the global batch", () => {
  it(`2 ranks × batch 1 == 1 process × batch 2 after ${ITERATIONS} iterations (rel ≤ 1e-4)`, () => {
    const batches = [0, 1, 2].map((i) => ({ A: randomImages(10 + i, [2, 16, 16, 3]), B: randomImages(20 + i, [2, 16, 16, 3]) }));
    const run = (batch: number, launcher: string[]) => {
      const ir = tinyIr(batch);
      expect(ir.train.pool.size).toBe(0);
      const dir = emit(ir, `ddp${batch}`);
      writeBatches(join(dir, "batches.safetensors"), batches);
      mustTrain(
        dir,
        { run_dir: join(dir, "run"), batches: join(dir, "batches.safetensors"), dump: join(dir, "dump.safetensors"), max_iterations: ITERATIONS },
        launcher.length ? [join(dir, "launch.py"), ...launcher] : [],
      );
      return { ir, params: readParams(join(dir, "dump.safetensors")) };
    };
    const port = 20000 + Math.floor(Math.random() * 20000);
    const single = run(2, []);
    const ddp = run(1, ["--nproc_per_node", "2", "--master_port", String(port)]);
    const noise = cancelledBiases(single.ir);
    expect(noise.size).toBeGreaterThan(0);
    const lr = single.ir.train.steps[0]!.optimizer.lr;
    let checked = 0;
    for (const [name, want] of single.params) {
      const got = ddp.params.get(name)!;
      if (noise.has(name)) {
        expect(Math.max(...got.map((x, i) => Math.abs(x - want[i]!))), `${name} (zero true gradient)`).toBeLessThanOrEqual(2 * lr * ITERATIONS);
        continue;
      }
      expect(relErr(got, want), name).toBeLessThanOrEqual(1e-4);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });
});
