import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataError } from "../../src/data/errors.js";
import { openDataset } from "../../src/data/dataset.js";
import { irData, makeUnpaired, tempDir, writeCoordPng, writeSolid, writeText } from "./fixtures.js";
import { freshDirs } from "./fixtures.js";

const tmp = tempDir();
afterAll(tmp.cleanup);
const fresh = freshDirs(tmp.dir);

async function dataError(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error("expected a DataError");
}

describe("unpaired layout", () => {
  it("opens trainA/trainB in sorted order with sizes; length = the larger domain", async () => {
    const root = fresh();
    await makeUnpaired(root, 3, 5);
    await writeCoordPng(join(root, "trainA", "sub", "z.png"), 12, 12); // recursive
    const ds = await openDataset(root, irData());
    expect(ds.domains.map((d) => [d.name, d.folder, d.images.length])).toEqual([
      ["A", "trainA", 4],
      ["B", "trainB", 5],
    ]);
    expect(ds.domains[0]!.images.map((i) => i.rel)).toEqual(["trainA/a000.png", "trainA/a001.png", "trainA/a002.png", "trainA/sub/z.png"]);
    expect(ds.domains[0]!.images[0]).toMatchObject({ width: 12, height: 12 });
    expect(ds.length).toBe(5);
    expect(ds.paired).toBe(false);
    expect(ds.fingerprint).toMatch(/^[0-9a-f]{8}-4-5$/);
  });

  it("opens the test split and honours direction BtoA", async () => {
    const root = fresh();
    await makeUnpaired(root, 2, 3, 12, 12, "test");
    const ds = await openDataset(root, irData({ direction: "BtoA" }), { split: "test" });
    expect(ds.domains.map((d) => [d.name, d.folder, d.images.length])).toEqual([
      ["A", "testB", 3],
      ["B", "testA", 2],
    ]);
  });

  it("a missing root names the path and the expected layout", async () => {
    const root = join(tmp.dir, "nope");
    const e = await dataError(openDataset(root, irData()));
    expect(e.code).toBe("GAN5001");
    expect(e.message).toContain(root);
    expect(e.message).toContain("layout: unpaired");
    expect(e.message).toContain(join(root, "trainA"));
    expect(e.message).toContain(join(root, "trainB"));
  });

  it("a missing trainB folder names it", async () => {
    const root = fresh();
    await writeCoordPng(join(root, "trainA", "a.png"), 8, 8);
    const e = await dataError(openDataset(root, irData()));
    expect(e.message).toContain(`${join(root, "trainB")} (the images of domain B) does not exist`);
    expect(e.message).toContain("holds the folders trainA");
    expect(e.message).toContain("images of domain B");
  });

  it("a root that is a file is an error", async () => {
    const f = writeText(join(tmp.dir, "file-root"), "x");
    expect((await dataError(openDataset(f, irData()))).message).toContain("is not a folder");
  });

  it("an empty folder is an error", async () => {
    const root = fresh();
    await writeCoordPng(join(root, "trainA", "a.png"), 8, 8);
    mkdirSync(join(root, "trainB"));
    writeText(join(root, "trainB", ".DS_Store"), "");
    const e = await dataError(openDataset(root, irData()));
    expect(e.code).toBe("GAN5001");
    expect(e.message).toContain(`${join(root, "trainB")} has no images`);
  });

  it("skips non-images and truncated files with a warning naming each, and a count", async () => {
    const root = fresh();
    await makeUnpaired(root, 3, 2);
    writeText(join(root, "trainA", "notes.txt"), "hello");
    writeText(join(root, "trainA", "fake.png"), "this is not a png");
    const good = await writeSolid(join(root, "trainA", "big.png"), 64, 64, [5, 5, 5]);
    const bytes = readFileSync(good);
    writeFileSync(join(root, "trainA", "truncated.png"), bytes.subarray(0, bytes.length >> 1));
    const warnings: string[] = [];
    const ds = await openDataset(root, irData(), { onWarning: (m) => warnings.push(m) });
    expect(ds.domains[0]!.images.map((i) => i.rel)).toEqual(["trainA/a000.png", "trainA/a001.png", "trainA/a002.png", "trainA/big.png"]);
    expect(ds.skipped).toEqual(["trainA/fake.png", "trainA/truncated.png"]);
    expect(warnings.some((w) => w.includes("skipping trainA/fake.png"))).toBe(true);
    expect(warnings.some((w) => w.includes("skipping trainA/truncated.png"))).toBe(true);
    expect(warnings.some((w) => w.includes("notes.txt") && w.includes("not an image"))).toBe(true);
    expect(warnings.some((w) => w.includes("trainA: skipped 2 of 6 image files"))).toBe(true);
  });

  it("with verify: false only headers are read (a truncated file passes the scan)", async () => {
    const root = fresh();
    await makeUnpaired(root, 1, 1);
    const bytes = readFileSync(await writeSolid(join(root, "big.png"), 64, 64, [5, 5, 5]));
    writeFileSync(join(root, "trainA", "truncated.png"), bytes.subarray(0, bytes.length >> 1));
    const ds = await openDataset(root, irData(), { verify: false });
    expect(ds.domains[0]!.images.length).toBe(2);
  });

  it("a domain whose files are all unreadable is an error", async () => {
    const root = fresh();
    await makeUnpaired(root, 0, 2);
    writeText(join(root, "trainA", "x.png"), "no");
    writeText(join(root, "trainA", "y.jpg"), "no");
    const e = await dataError(openDataset(root, irData(), { onWarning: () => {} }));
    expect(e.message).toContain(`none of the 2 image files in ${join(root, "trainA")} could be read`);
    expect(e.message).toContain("trainA/x.png");
  });

  it("images smaller than the crop: error under crop and none, naming file and sizes; fine under resize_and_crop", async () => {
    const root = fresh();
    await makeUnpaired(root, 2, 2, 12, 12);
    await writeCoordPng(join(root, "trainB", "tiny.png"), 5, 20);
    for (const preprocess of ["crop", "none"] as const) {
      const e = await dataError(openDataset(root, irData({ preprocess })));
      expect(e.code).toBe("GAN5003");
      expect(e.message).toContain("trainB/tiny.png 5×20");
      expect(e.message).toContain("crop size 8×8");
      expect(e.message).toContain("resize_and_crop");
    }
    await expect(openDataset(root, irData({ preprocess: "resize_and_crop" }))).resolves.toBeDefined();
  });

  it("warns once when preprocess none resizes to multiples of 4", async () => {
    const root = fresh();
    await makeUnpaired(root, 1, 1, 12, 12);
    await writeCoordPng(join(root, "trainA", "odd.png"), 10, 13);
    const warnings: string[] = [];
    await openDataset(root, irData({ preprocess: "none" }), { onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringContaining("trainA/odd.png 10×13 → 8×12")]);
  });
});

describe("spec checks", () => {
  it("rejects a channel count images cannot have", async () => {
    const root = fresh();
    await makeUnpaired(root, 1, 1);
    const e = await dataError(openDataset(root, irData({ domains: [{ name: "A", channels: 3 }, { name: "B", channels: 2 }] })));
    expect(e.message).toContain("domain B is declared image[2]");
    expect(e.message).toContain("image[1], image[3] or image[4]");
  });

  it("paired layouts need exactly two domains", async () => {
    const root = fresh();
    const e = await dataError(openDataset(root, irData({ layout: "paired_ab", domains: [{ name: "A", channels: 3 }] })));
    expect(e.message).toContain("declare exactly two");
  });

  it("a single unpaired domain reads trainA only", async () => {
    const root = fresh();
    await makeUnpaired(root, 2, 0);
    const ds = await openDataset(root, irData({ domains: [{ name: "real", channels: 1 }] }));
    expect(ds.domains.map((d) => [d.name, d.folder, d.channels])).toEqual([["real", "trainA", 1]]);
  });
});

describe("paired_ab layout", () => {
  it("splits each image into halves; BtoA swaps them", async () => {
    const root = fresh();
    await writeCoordPng(join(root, "train", "p1.png"), 16, 8);
    await writeCoordPng(join(root, "train", "p2.png"), 16, 8);
    const ds = await openDataset(root, irData({ layout: "paired_ab" }));
    expect(ds.paired).toBe(true);
    expect(ds.length).toBe(2);
    expect(ds.domains[0]!.images[0]).toMatchObject({ rel: "train/p1.png", width: 8, height: 8, region: { left: 0, top: 0, width: 8, height: 8 } });
    expect(ds.domains[1]!.images[0]!.region).toEqual({ left: 8, top: 0, width: 8, height: 8 });
    const r = await openDataset(root, irData({ layout: "paired_ab", direction: "BtoA" }));
    expect(r.domains[0]!.images[0]!.region!.left).toBe(8);
    expect(r.domains[1]!.images[0]!.region!.left).toBe(0);
  });

  it("odd widths are an error listing the files", async () => {
    const root = fresh();
    await writeCoordPng(join(root, "train", "ok.png"), 16, 8);
    await writeCoordPng(join(root, "train", "odd1.png"), 17, 8);
    await writeCoordPng(join(root, "train", "odd2.png"), 15, 8);
    const e = await dataError(openDataset(root, irData({ layout: "paired_ab" })));
    expect(e.message).toContain("widths must be even; 2 are odd: train/odd1.png (17×8), train/odd2.png (15×8)");
  });

  it("a missing train/ folder names the expected layout", async () => {
    const root = fresh();
    const e = await dataError(openDataset(root, irData({ layout: "paired_ab" })));
    expect(e.message).toContain(join(root, "train"));
    expect(e.message).toContain("layout: paired_ab expects side-by-side images");
  });
});

describe("paired_folders layout", () => {
  it("matches names without extension", async () => {
    const root = fresh();
    await writeCoordPng(join(root, "trainA", "001.png"), 8, 8);
    await writeCoordPng(join(root, "trainA", "002.png"), 8, 8);
    await writeSolid(join(root, "trainB", "001.jpg"), 8, 8, [1, 2, 3], "jpeg");
    await writeCoordPng(join(root, "trainB", "002.png"), 8, 8);
    const ds = await openDataset(root, irData({ layout: "paired_folders", preprocess: "crop" }));
    expect(ds.domains.map((d) => d.images.map((i) => i.rel))).toEqual([
      ["trainA/001.png", "trainA/002.png"],
      ["trainB/001.jpg", "trainB/002.png"],
    ]);
  });

  it("names present in one folder only are an error listing them", async () => {
    const root = fresh();
    for (const f of ["a", "b", "c"]) await writeCoordPng(join(root, "trainA", `${f}.png`), 8, 8);
    for (const f of ["a", "x"]) await writeCoordPng(join(root, "trainB", `${f}.png`), 8, 8);
    const e = await dataError(openDataset(root, irData({ layout: "paired_folders" })));
    expect(e.message).toContain("2 in trainA/ with no partner in trainB/: b, c");
    expect(e.message).toContain("1 in trainB/ with no partner in trainA/: x");
    expect(e.message).toContain("layout: unpaired");
  });

  it("drops the partner of an unreadable image with a warning", async () => {
    const root = fresh();
    for (const f of ["a", "b"]) await writeCoordPng(join(root, "trainA", `${f}.png`), 8, 8);
    await writeCoordPng(join(root, "trainB", "a.png"), 8, 8);
    writeText(join(root, "trainB", "b.png"), "broken");
    const warnings: string[] = [];
    const ds = await openDataset(root, irData({ layout: "paired_folders" }), { onWarning: (m) => warnings.push(m) });
    expect(ds.length).toBe(1);
    expect(warnings.join("\n")).toContain("skipping trainB/b.png");
    expect(warnings.join("\n")).toContain("partner could not be read: trainA/b.png");
  });

  it("pairs of different sizes are an error where the preprocessing keeps sizes", async () => {
    const root = fresh();
    await writeCoordPng(join(root, "trainA", "a.png"), 8, 8);
    await writeCoordPng(join(root, "trainB", "a.png"), 10, 8);
    const e = await dataError(openDataset(root, irData({ layout: "paired_folders", preprocess: "crop" })));
    expect(e.message).toContain("trainA/a.png 8×8 vs trainB/a.png 10×8");
    await expect(openDataset(root, irData({ layout: "paired_folders", preprocess: "resize_and_crop" }))).resolves.toBeDefined();
  });
});

describe("the bundled emoji dataset", () => {
  it("opens for the CycleGAN data section, both splits", async () => {
    const data = irData({ load: 72, crop: 64 });
    const train = await openDataset("data/emoji", data, { verify: false });
    const test = await openDataset("data/emoji", data, { split: "test", verify: false });
    expect(train.domains.map((d) => d.images.length)).toEqual([400, 400]);
    expect(test.domains.map((d) => d.images.length)).toEqual([50, 50]);
    const names = (i: number) => test.domains[i]!.images.map((im) => im.rel.split("/")[1]);
    expect(names(0)).toEqual(names(1));
  });
});

