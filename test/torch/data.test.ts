/**
 * The torch engine's data pipeline (python/gancc_torch/data.py) hands out the batches the tfjs
 * engine's loader does: the same files in the same order, the same crops and flips (identical
 * pixels where nothing is resampled), the same loader state (so checkpoints carry over), for
 * the three layouts, both directions and 1-, 3- and 4-channel domains. Where images are resized
 * Pillow's bicubic and sharp's differ by rounding: mean |Δ| ≤ 0.01 and max |Δ| ≤ 0.1 (in [-1, 1]).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataLoader, openDataset } from "../../src/data/index.js";
import type { IrData } from "../../src/ir/schema.js";
import { irData, makeUnpaired, tempDir, writeCoordPng, writePng } from "../data/fixtures.js";
import { noTorch, python } from "./helpers.js";

const BATCHES = 4;
const { dir: root, cleanup } = tempDir("gancc-torch-data-");
afterAll(cleanup);

const PY = (ds: string, data: IrData, batch: number) => `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(process.cwd(), "python"))})
from gancc_torch.data import Dataset, Loader
l = Loader(Dataset(${JSON.stringify(ds)}, json.loads(${JSON.stringify(JSON.stringify(data))})), ${batch}, 7)
out = []
for i in range(${BATCHES}):
    b = l.next()
    out.append({"files": b["files"], "epoch": b["epoch"], "index": b["index"], "last": b["last"], "state": l.state(),
                "data": {d: [list(a.shape), a.ravel().tolist()] for d, a in b["data"].items()}})
print(json.dumps(out))
`;

async function compare(ds: string, data: IrData, batch: number, exact: boolean) {
  const dataset = await openDataset(ds, data, { verify: false });
  const loader = new DataLoader(dataset, { batch, seed: 7, prefetch: false });
  const py = JSON.parse(python(ds, PY(ds, data, batch))) as {
    files: Record<string, string[]>;
    epoch: number;
    index: number;
    last: boolean;
    state: unknown;
    data: Record<string, [number[], number[]]>;
  }[];
  for (let i = 0; i < BATCHES; i++) {
    const b = await loader.next();
    const p = py[i]!;
    expect(p.files, `batch ${i} files`).toEqual(b.files);
    expect([p.epoch, p.index, p.last]).toEqual([b.epoch, b.index, b.lastInEpoch]);
    expect(p.state, `state after batch ${i}`).toEqual(loader.state());
    for (const d of Object.keys(b.data)) {
      const [shape, values] = p.data[d]!;
      expect(shape, `${d} shape`).toEqual(b.shape[d]);
      const ref = b.data[d]!;
      let max = 0;
      let sum = 0;
      values.forEach((v, k) => {
        const e = Math.abs(v - ref[k]!);
        max = Math.max(max, e);
        sum += e;
      });
      if (exact) expect(max, `${d} pixels of batch ${i}`).toBeLessThanOrEqual(1e-6);
      else {
        expect(sum / values.length, `${d} mean |Δ| of batch ${i}`).toBeLessThanOrEqual(0.01);
        expect(max, `${d} max |Δ| of batch ${i}`).toBeLessThanOrEqual(0.1);
      }
    }
  }
  await loader.close();
}

describe.skipIf(noTorch())("the torch engine's data loader matches the tfjs engine's", () => {
  it("unpaired, preprocess crop (no resampling): identical batches, crops, flips and state", async () => {
    const ds = join(root, "unpaired");
    await makeUnpaired(ds, 5, 3, 12, 10);
    await compare(ds, irData({ preprocess: "crop", crop: 8, load: 8 }), 2, true);
  });

  it("unpaired with 1- and 4-channel domains, resize_and_crop: same files and state, pixels within rounding", async () => {
    const ds = join(root, "channels");
    await makeUnpaired(ds, 3, 4, 12, 12);
    // an RGBA image with transparent pixels in domain A (flattened on white for image[1])
    const px: number[] = [];
    for (let y = 0; y < 12; y++) for (let x = 0; x < 12; x++) px.push(x * 20, y * 20, 50, x < 6 ? 0 : 255);
    await writePng(join(ds, "trainA", "z_alpha.png"), 12, 12, 4, px);
    await compare(ds, irData({ domains: [{ name: "A", channels: 1 }, { name: "B", channels: 4 }] }), 1, false);
  });

  it("paired_ab, direction BtoA, preprocess crop: identical", async () => {
    const ds = join(root, "ab");
    mkdirSync(join(ds, "train"), { recursive: true });
    for (let i = 0; i < 5; i++) await writeCoordPng(join(ds, "train", `p${i}.png`), 20, 10, i * 10, 3, 7);
    await compare(ds, irData({ layout: "paired_ab", direction: "BtoA", preprocess: "crop", crop: 8, load: 8 }), 2, true);
  });

  it("paired_folders (names matched without extension), resize_and_crop", async () => {
    const ds = join(root, "folders");
    for (let i = 0; i < 4; i++) {
      await writeCoordPng(join(ds, "trainA", `n${i}.png`), 12, 12, i);
      await writeCoordPng(join(ds, "trainB", `n${i}.png`), 12, 12, 50 + i, 2, 2);
    }
    await compare(ds, irData({ layout: "paired_folders" }), 3, false);
  });
});
