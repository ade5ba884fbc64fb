import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { IrData } from "../../src/ir/schema.js";
import { type Batch, DataLoader, type LoaderOptions } from "../../src/data/loader.js";
import { type Dataset, openDataset } from "../../src/data/dataset.js";
import { DataError } from "../../src/data/errors.js";
import { irData, makeUnpaired, tempDir, to8, writeCoordPng } from "./fixtures.js";
import { freshDirs } from "./fixtures.js";

const tmp = tempDir();
afterAll(tmp.cleanup);
const fresh = freshDirs(tmp.dir);

async function unpaired(nA: number, nB: number, data: Partial<IrData> = {}, w = 12, h = 12): Promise<Dataset> {
  const root = fresh();
  await makeUnpaired(root, nA, nB, w, h);
  return openDataset(root, irData(data));
}

async function take(loader: DataLoader, k: number): Promise<Batch[]> {
  const out: Batch[] = [];
  for (let i = 0; i < k; i++) out.push(await loader.next());
  await loader.close();
  return out;
}

/** The fixture's tag (blue channel) of item i of a domain in a batch. */
const tagOf = (b: Batch, domain: string, i: number): number => {
  const [, H, W, C] = b.shape[domain]!;
  return to8(b.data[domain]![i * H * W * C + 2]!);
};

const comparable = (b: Batch) => ({ ...b, data: Object.fromEntries(Object.entries(b.data).map(([k, v]) => [k, Array.from(v)])) });

describe("DataLoader", () => {
  it("yields NHWC batches with shapes, files, epochs; the last batch of an epoch is smaller", async () => {
    const ds = await unpaired(5, 3);
    const loader = new DataLoader(ds, { batch: 2, seed: 1 });
    expect(loader.itemsPerEpoch).toBe(5);
    expect(loader.batchesPerEpoch).toBe(3);
    const bs = await take(loader, 4);
    expect(bs.map((b) => [b.epoch, b.index, b.iteration, b.size, b.lastInEpoch])).toEqual([
      [0, 0, 0, 2, false],
      [0, 1, 1, 2, false],
      [0, 2, 2, 1, true],
      [1, 0, 3, 2, false],
    ]);
    expect(bs[0]!.shape).toEqual({ A: [2, 8, 8, 3], B: [2, 8, 8, 3] });
    expect(bs[0]!.data.A).toBeInstanceOf(Float32Array);
    expect(bs[0]!.data.A!.length).toBe(2 * 8 * 8 * 3);
    expect(bs[2]!.shape.A).toEqual([1, 8, 8, 3]);
    // every A image exactly once per epoch; the data is the named file's
    const epoch0 = bs.slice(0, 3).flatMap((b) => b.files.A!);
    expect([...epoch0].sort()).toEqual(ds.domains[0]!.images.map((i) => i.rel));
    for (const b of bs) {
      b.files.A!.forEach((f, i) => expect(tagOf(b, "A", i)).toBe(Number(f.slice(-7, -4))));
      b.files.B!.forEach((f, i) => expect(tagOf(b, "B", i)).toBe(100 + Number(f.slice(-7, -4))));
    }
  });

  it("repeats the smaller first domain to the length of the larger (official unaligned)", async () => {
    const ds = await unpaired(2, 5);
    const loader = new DataLoader(ds, { batch: 1, seed: 3 });
    const files = (await take(loader, 5)).map((b) => b.files.A![0]);
    expect(new Set(files)).toEqual(new Set(["trainA/a000.png", "trainA/a001.png"]));
  });

  it("is reproducible by seed, and prefetching does not change it", async () => {
    const ds = await unpaired(6, 4);
    const run = async (o: Partial<LoaderOptions>) => (await take(new DataLoader(ds, { batch: 2, seed: 7, ...o }), 7)).map(comparable);
    const a = await run({});
    expect(await run({})).toEqual(a);
    expect(await run({ prefetch: false })).toEqual(a);
    expect(await run({ seed: 8 })).not.toEqual(a);
  });

  it("resumes from a saved state with exactly the batches of an uninterrupted run", async () => {
    const ds = await unpaired(5, 4);
    const o = { batch: 2, seed: 11 };
    const straight = (await take(new DataLoader(ds, o), 8)).map(comparable);
    for (const cut of [1, 3, 4]) {
      const first = new DataLoader(ds, o);
      const head = await take(first, cut);
      const saved = JSON.parse(JSON.stringify(first.state()));
      expect(saved).toMatchObject({ version: 1, seed: 11, iteration: cut, fingerprint: ds.fingerprint });
      const resumed = new DataLoader(ds, { ...o, state: saved });
      const tail = await take(resumed, 8 - cut);
      expect([...head, ...tail].map(comparable)).toEqual(straight);
    }
  });

  it("state() reflects the batches handed out, not the prefetched one", async () => {
    const ds = await unpaired(4, 4);
    const loader = new DataLoader(ds, { batch: 1, seed: 2 });
    const s0 = loader.state();
    expect(s0).toMatchObject({ epoch: 0, position: 0, iteration: 0 });
    await loader.next();
    expect(loader.state()).toMatchObject({ epoch: 0, position: 1, iteration: 1 });
    await loader.close();
  });

  it("warns when resuming over a changed dataset", async () => {
    const ds = await unpaired(3, 3);
    const l = new DataLoader(ds, { batch: 1, seed: 0 });
    await take(l, 1);
    const state = { ...l.state(), fingerprint: "00000000-3-3" };
    const warnings: string[] = [];
    new DataLoader(ds, { batch: 1, seed: 0, state, onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toContain("changed since the state was saved");
  });

  it("paired items share the crop and flip", async () => {
    const root = fresh();
    for (let i = 0; i < 4; i++) {
      await writeCoordPng(join(root, "trainA", `${i}.png`), 12, 12, i, 20, 20);
      await writeCoordPng(join(root, "trainB", `${i}.png`), 12, 12, i, 20, 20);
    }
    const ds = await openDataset(root, irData({ layout: "paired_folders", preprocess: "crop" }));
    const bs = await take(new DataLoader(ds, { batch: 2, seed: 5 }), 6);
    for (const b of bs) {
      expect(b.files.A!.map((f) => f.replace("trainA", ""))).toEqual(b.files.B!.map((f) => f.replace("trainB", "")));
      expect(Array.from(b.data.A!)).toEqual(Array.from(b.data.B!));
    }
  });

  it("paired_ab gives each domain its half; BtoA swaps", async () => {
    const root = fresh();
    // blue channel: 10 in the left half, 20 in the right
    for (const name of ["p0", "p1"]) {
      const px: number[] = [];
      for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) px.push(x, y, x < 8 ? 10 : 20);
      const { writePng } = await import("./fixtures.js");
      await writePng(join(root, "train", `${name}.png`), 16, 8, 3, px);
    }
    for (const direction of ["AtoB", "BtoA"] as const) {
      const ds = await openDataset(root, irData({ layout: "paired_ab", preprocess: "crop", crop: 8, direction }));
      const [b] = await take(new DataLoader(ds, { batch: 2, seed: 0 }), 1);
      const [a, bb] = direction === "AtoB" ? [10, 20] : [20, 10];
      for (let i = 0; i < 2; i++) {
        expect(tagOf(b!, "A", i)).toBe(a);
        expect(tagOf(b!, "B", i)).toBe(bb);
      }
      expect(b!.files.A).toEqual(b!.files.B);
    }
  });

  it("paired_ab with resize: each half is resized on its own (no bleeding across the seam)", async () => {
    const root = fresh();
    const px: number[] = [];
    for (let y = 0; y < 6; y++) for (let x = 0; x < 12; x++) px.push(0, 0, x < 6 ? 10 : 200);
    const { writePng } = await import("./fixtures.js");
    await writePng(join(root, "train", "p.png"), 12, 6, 3, px);
    const ds = await openDataset(root, irData({ layout: "paired_ab", preprocess: "resize_and_crop", load: 10, crop: 8 }));
    const loader = new DataLoader(ds, { batch: 1, seed: 4 });
    expect(loader.imageShapes()).toEqual({ A: [8, 8, 3], B: [8, 8, 3] });
    const [b] = await take(loader, 1);
    const blues = (d: string) => new Set(Array.from(b!.data[d]!.filter((_, i) => i % 3 === 2), to8));
    expect(blues("A")).toEqual(new Set([10]));
    expect(blues("B")).toEqual(new Set([200]));
  });

  it("evaluation mode: file order, serial B, centre crops, no flips, no draws", async () => {
    const root = fresh();
    await makeUnpaired(root, 3, 2, 12, 12, "test");
    const ds = await openDataset(root, irData({ preprocess: "crop" }), { split: "test" });
    const loader = new DataLoader(ds, { batch: 2, seed: 0 });
    expect(loader.mode).toBe("eval");
    const bs = await take(loader, 3);
    expect(bs.flatMap((b) => b.files.A)).toEqual(["testA/a000.png", "testA/a001.png", "testA/a002.png", "testA/a000.png", "testA/a001.png"]);
    expect(bs.flatMap((b) => b.files.B)).toEqual(["testB/b000.png", "testB/b001.png", "testB/b000.png", "testB/b000.png", "testB/b001.png"]);
    // centre crop of 12×12 to 8×8 starts at (2, 2), not flipped
    expect(Array.from(bs[0]!.data.A!.subarray(0, 3), to8)).toEqual([2, 2, 0]);
    expect(loader.state().rng).toEqual(new DataLoader(ds, { batch: 2, seed: 0 }).state().rng);
  });

  it("batch > 1 needs one output size per domain", async () => {
    const root = fresh();
    await makeUnpaired(root, 2, 2, 12, 12);
    await writeCoordPng(join(root, "trainA", "wide.png"), 24, 12);
    const ds = await openDataset(root, irData({ preprocess: "scale_width", load: 12 }));
    expect(new DataLoader(ds, { batch: 1, seed: 0 }).imageShapes()).toEqual({ A: undefined, B: [12, 12, 3] });
    expect(() => new DataLoader(ds, { batch: 2, seed: 0 })).toThrow(DataError);
    expect(() => new DataLoader(ds, { batch: 2, seed: 0 })).toThrow(/12×12 from trainA\/a000.png, 12×8 from trainA\/wide.png/);
    const [b] = await take(new DataLoader(ds, { batch: 1, seed: 0 }), 1);
    expect(b!.shape.A![0]).toBe(1);
  });

  it("rejects a bad batch size, and dropLast with too few items", async () => {
    const ds = await unpaired(2, 2);
    expect(() => new DataLoader(ds, { batch: 0, seed: 0 })).toThrow(/positive integer/);
    expect(() => new DataLoader(ds, { batch: 3, seed: 0, dropLast: true })).toThrow(/no batches/);
    const l = new DataLoader(ds, { batch: 3, seed: 0 });
    expect((await take(l, 1))[0]!.size).toBe(2);
  });

  it("a file that breaks during the run is a DataError naming it", async () => {
    const root = fresh();
    await makeUnpaired(root, 2, 1);
    const ds = await openDataset(root, irData());
    writeFileSync(join(root, "trainB", "b000.png"), "gone bad");
    const loader = new DataLoader(ds, { batch: 1, seed: 0 });
    await expect(loader.next()).rejects.toThrow(/cannot read .*trainB\/b000.png.*changed during the run/);
    await loader.close();
    rmSync(join(root, "trainB", "b000.png"));
  });
});
