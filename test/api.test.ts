// The public API (src/index.ts) as a user's script uses it, including generated typed bindings.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as gancc from "../src/index.js";
import { emitBindings } from "../src/compiler/bindings.js";

const tmp = mkdtempSync(join(tmpdir(), "gancc-api-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => gancc.useBackend("wasm"));

describe("public API", () => {
  it("compiles, reports diagnostics as the CLI does, and refuses nothing silently", () => {
    const bad = gancc.compileSpec("gan x\nnetwork N: image[3] -> image[3] { conv(3, 3, pad: 1) relux }\n", "x.gan");
    expect(bad.ir).toBeUndefined();
    expect(gancc.formatDiagnostics(bad)).toMatch(/x\.gan:2:\d+ error GAN2003: unknown layer `relux`[\s\S]*did you mean `relu`/);
  });

  it("creates a model, trains through typed bindings, saves, reloads and translates an image", async () => {
    const { ir } = gancc.compileSpecFile("specs/tiny.gan", { set: { nf: 2, size: 8 } });
    const model = gancc.createModel(ir!);
    const bindingsFile = join(tmp, "tiny.ts");
    writeFileSync(bindingsFile, emitBindings(ir!));
    type Losses = { generator: Record<string, number>; discriminator: Record<string, number> };
    const { bind, lossTerms } = (await import(bindingsFile)) as {
      bind(m: unknown): { trainStep(b: Record<"A" | "B", tf.Tensor4D>): Promise<Losses>; run(net: "G_AB", x: tf.Tensor4D): unknown };
      lossTerms: { generator: string[] };
    };
    const typed = bind(model as never);
    const A = tf.randomUniform([1, 8, 8, 3], -1, 1, "float32", 1) as tf.Tensor4D;
    const B = tf.randomUniform([1, 8, 8, 3], -1, 1, "float32", 2) as tf.Tensor4D;
    const losses = await typed.trainStep({ A, B });
    expect(Object.keys(losses.generator).sort()).toEqual([...lossTerms.generator].sort());
    expect(Object.values(losses.discriminator).every(Number.isFinite)).toBe(true);
    const y = typed.run("G_AB", A) as unknown as tf.Tensor;
    expect(y.shape).toEqual([1, 8, 8, 3]);

    const file = join(tmp, "tiny.safetensors");
    await gancc.saveModel(model, file);
    const again = await gancc.loadModel(file);
    const y2 = again.run("G_AB", A);
    expect(Array.from(await y2.data())).toEqual(Array.from(await y.data()));

    const png = join(tmp, "in.png");
    await sharp({ create: { width: 20, height: 20, channels: 4, background: { r: 200, g: 10, b: 10, alpha: 0.5 } } }).png().toFile(png);
    const out = await gancc.translateImage(again, "G_AB", png);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([8, 8, 3]);
    tf.dispose([A, B, y, y2]);
    model.dispose();
    again.dispose();
  });
});
