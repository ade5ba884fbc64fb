/**
 * The exported module in Node: `import { load } from "<export>/model.js"` on cpu, wasm and (where
 * the optional @tensorflow/tfjs-node loads) tensorflow gives
 * what `gancc translate` gives (max abs difference ≤ 2/255 per pixel) for a small trained model,
 * with float16 weights (the default). Also: load()'s errors for a wrong size or channel count.
 */
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { maxRgbDiff, pngPixels, spread, tmpDir, trainedFixture, type TrainedFixture } from "./harness.js";

const dir = tmpDir("export-node");
let fx: TrainedFixture;
beforeAll(() => {
  fx = trainedFixture(dir);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the exported module in Node", () => {
  it("writes float16 weights: 2 bytes per parameter (+ alignment)", () => {
    const m = JSON.parse(readFileSync(join(fx.web, "model.json"), "utf8")) as { dtype: string; weights: { shape: number[] }[] };
    const n = m.weights.reduce((a, w) => a + w.shape.reduce((x, y) => x * y, 1), 0);
    expect(m.dtype).toBe("float16");
    const bytes = readFileSync(join(fx.web, "weights.bin")).length;
    expect(bytes).toBeGreaterThanOrEqual(2 * n);
    expect(bytes).toBeLessThan(2 * n + 4 * m.weights.length);
  });

  for (const backend of ["cpu", "wasm", "tensorflow"] as const) {
    it(`on ${backend}: equals gancc translate within 2/255 per pixel`, async (ctx) => {
      if (backend === "tensorflow") {
        // the optional @tensorflow/tfjs-node: where its native library did not install, say so and skip
        const why = await import("@tensorflow/tfjs-node" as string).then(() => undefined, (e: Error) => e.message.split("\n")[0]);
        if (why) {
          process.stderr.write(`exported module on tfjs-node: skipped (${why})\n`);
          ctx.skip();
        }
      }
      const { load } = await import(join(fx.web, "model.js"));
      const model = await load(undefined, { backend });
      expect(model.backend).toBe(backend);
      expect(tf.getBackend()).toBe(backend);
      for (const stem of fx.stems) {
        const input = await pngPixels(join(fx.translated, "images", `${stem}_input.png`));
        const want = await pngPixels(join(fx.translated, "images", `${stem}_G_AB.png`));
        const r = await model.translate(input);
        expect([r.width, r.height]).toEqual([want.width, want.height]);
        expect(spread(want.data), "the reference translation is not flat").toBeGreaterThan(20);
        expect(maxRgbDiff(r.pixels, want.data, want.channels, r.width * r.height), stem).toBeLessThanOrEqual(2);
      }
      model.dispose();
    }, 120_000);
  }

  it("run() takes NHWC tensors and refuses a wrong channel count or size with a message", async () => {
    const { load } = await import(join(fx.web, "model.js"));
    const model = await load(undefined, { backend: "cpu" });
    const y = model.run(tf.zeros([2, 16, 16, 3]));
    expect(y.shape).toEqual([2, 16, 16, 3]);
    y.dispose();
    expect(() => model.run(tf.zeros([1, 16, 16, 1]))).toThrow(/takes \[N, H, W, 3\]/);
    expect(() => model.run(tf.zeros([1, 15, 15, 3]))).toThrow(/square images whose size is multiples of 2 from 4; got 15x15/);
    await expect(model.translate({ data: new Uint8Array(8 * 8 * 3), width: 8, height: 8, channels: 3 })).rejects.toThrow(/resize it to 16x16 first/);
    await expect(load(undefined, { backend: "webgl" })).rejects.toThrow(/the webgl backend cannot run here: no WebGL in Node/);
    model.dispose();
  });
});
