/**
 * gradsReleasing (src/runtime/backprop.ts) against tf.variableGrads, and residual-block
 * recomputation (gradient checkpointing, src/runtime/net.ts) against the plain forward pass.
 */
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import type { Ir } from "../../src/ir/schema.js";
import { gradsReleasing } from "../../src/runtime/backprop.js";
import { LOWERINGS } from "../../src/runtime/layers.js";
import { Net } from "../../src/runtime/net.js";
import { Rng } from "../../src/runtime/rng.js";
import { BACKENDS, useBackend } from "./kernels/setup.js";

function tinyIr(set: Record<string, number>, edit: (s: string) => string = (s) => s): Ir {
  const r = compileSource(edit(readFileSync("specs/tiny.gan", "utf8")), "specs/tiny.gan", { set });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n"));
  return r.ir;
}

/** A residual block with batch norm (running statistics) and dropout (random masks) inside. */
const withStateAndDropout = (s: string) =>
  s.replace(
    /block res\(k\) residual \{[^}]*\}/,
    "block res(k) residual {\n  reflect_pad(1) conv(k, 3) batch_norm relu dropout(0.5)\n  reflect_pad(1) conv(k, 3) instance_norm\n}",
  );

async function values(ts: (tf.Tensor | null)[]): Promise<Float32Array[]> {
  return Promise.all(ts.map(async (t) => (t ? ((await t.data()) as Float32Array) : new Float32Array())));
}

function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    expect(y.length).toBe(x.length);
    const scale = Math.max(1e-12, ...Array.from(x, Math.abs));
    for (let k = 0; k < x.length; k++) worst = Math.max(worst, Math.abs(x[k]! - y[k]!) / scale);
  });
  return worst;
}

for (const backend of BACKENDS) {
  describe(`gradients on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it("gradsReleasing gives tf.variableGrads' gradients exactly, for a net with shared values, and leaks nothing", async () => {
      const ir = tinyIr({ nf: 3, size: 8 });
      const net = new Net(ir.nets[0]!, 1);
      const x = tf.randomUniform([2, 8, 8, 3], -1, 1, "float32", 3);
      const vars = net.trainableVariables();
      // the output is used twice (a tensor with two consumers) and one variable directly
      const f = () =>
        tf.tidy(() => {
          const y = net.forward(x, { training: true });
          return tf.add(tf.sum(tf.mul(y, y)), tf.add(tf.mean(tf.abs(y)), tf.sum(vars[0]!))) as tf.Scalar;
        });
      const ref = tf.variableGrads(f, vars);
      const before = tf.memory().numTensors;
      const mine = gradsReleasing(f, vars);
      expect(mine.grads.every((g) => g != null)).toBe(true);
      expect(tf.memory().numTensors - before).toBe(1 + vars.length); // the value and one gradient per variable
      expect(await mine.value.data()).toEqual(await ref.value.data());
      const a = await values(vars.map((v) => ref.grads[v.name]!));
      const b = await values(mine.grads);
      a.forEach((g, i) => expect(Array.from(b[i]!), vars[i]!.name).toEqual(Array.from(g)));
      tf.dispose([ref.value, mine.value, ...Object.values(ref.grads), ...(mine.grads as tf.Tensor[])]);
      expect(tf.memory().numTensors).toBe(before - 1 - vars.length);
      x.dispose();
      net.dispose();
    });

    it("gradsReleasing: null for an input the value does not depend on; upstream gradient dy", async () => {
      const a = tf.tensor1d([1, 2, 3]);
      const b = tf.tensor1d([4, 5, 6]);
      const dy = tf.tensor1d([1, 10, 100]);
      const r = gradsReleasing(() => tf.mul(a, a), [a, b], dy);
      expect(r.grads[1]).toBeNull();
      expect(Array.from(await r.grads[0]!.data())).toEqual([2, 40, 600]);
      tf.dispose([a, b, dy, r.value, r.grads[0]!]);
    });

    it("recomputing residual blocks (checkpointing) gives the plain gradients, the same dropout masks and one running-statistics update", async () => {
      const ir = tinyIr({ nf: 3, size: 8 }, withStateAndDropout);
      // count conv lowerings (a net takes its lowerings when it is built)
      const conv = LOWERINGS.conv!;
      let calls = 0;
      LOWERINGS.conv = (...a) => (calls++, conv(...a));
      let plain: Net, ckpt: Net;
      try {
        plain = new Net(ir.nets[0]!, 1);
        ckpt = new Net(ir.nets[0]!, 1);
      } finally {
        LOWERINGS.conv = conv;
      }
      const x = tf.randomUniform([2, 8, 8, 3], -1, 1, "float32", 4);
      const w = tf.randomUniform([2, 8, 8, 3], -1, 1, "float32", 5);
      const run = (net: Net, recompute: "none" | "residual") => {
        const vars = net.trainableVariables();
        const r = gradsReleasing(
          () => tf.sum(tf.mul(net.forward(x, { training: true, rng: Rng.derive(7, "drop"), recompute }), w)) as tf.Scalar,
          [x, ...vars],
        );
        return r;
      };
      expect(ckpt.residualBlocks()).toBe(2);
      const before = tf.memory().numTensors;
      const p = run(plain, "none");
      const plainCalls = calls;
      const c = run(ckpt, "residual");
      // the blocks' two convs ran a second time in the backward pass
      expect(calls - plainCalls).toBe(plainCalls + 2 * 2);
      expect(await c.value.data()).toEqual(await p.value.data());
      const gp = await values(p.grads);
      const gc = await values(c.grads);
      // the recomputed block is differentiated on its own tape: same kernels, sums in another order
      expect(maxRelDiff(gp, gc)).toBeLessThan(1e-5);
      // the dropout inside the blocks was really active (else the test would not test the masks)
      expect(ir.nets[0]!.nodes.some((n) => n.op === "dropout" && n.id.includes("/res"))).toBe(true);
      // running statistics: updated once per forward pass, to the same values
      const stat = (n: Net) => [...n.variables.entries()].filter(([k]) => k.includes("/res") && k.endsWith("moving_mean")).map(([, v]) => v);
      expect(stat(plain).length).toBeGreaterThan(0);
      expect(await values(stat(ckpt))).toEqual(await values(stat(plain)));
      tf.dispose([p.value, c.value, ...(p.grads as tf.Tensor[]), ...(c.grads as tf.Tensor[])]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, w]);
      plain.dispose();
      ckpt.dispose();
    });
  });
}
