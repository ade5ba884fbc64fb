/**
 * Odd data folders (issue 13): directory symbolic links are not followed (a loop read each image
 * 41 times, `up -> ..` pulled the other domain's images in), a file reached through two links is
 * read once, broken links and unreadable files are reported with their errno, and an unpaired
 * layout is not called paired_folders in messages.
 *
 * EACCES cannot be produced for real here (the tests run as root, which bypasses file
 * permissions), so that case wraps fs.promises.open to fail with EACCES for one file whose
 * contents are also not an image — what a chmod 000 file looks like to a non-root user: the
 * decoder's own error is vague, and the message must carry the errno instead. ELOOP (a
 * symbolic-link loop) is produced for real.
 */
import { promises as fsp, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { DataError, DataLoader, openDataset } from "../../src/data/index.js";
import { listFiles } from "../../src/data/scan.js";
import { openEvaluationSet } from "../../src/train/evaluate.js";
import { irData, makeUnpaired, tempDir, writeCoordPng } from "./fixtures.js";

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir("gancc-links-");
});
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());

describe("symbolic links in data folders", () => {
  it("trainA/loop -> . is not followed: each image is read once, with a warning", async () => {
    const root = join(tmp.dir, "loop");
    await makeUnpaired(root, 3, 2);
    symlinkSync(".", join(root, "trainA", "loop"));
    const warnings: string[] = [];
    const ds = await openDataset(root, irData(), { onWarning: (m) => warnings.push(m) });
    expect(ds.domains[0]!.images.map((im) => im.rel)).toEqual(["trainA/a000.png", "trainA/a001.png", "trainA/a002.png"]);
    expect(warnings.join("\n")).toMatch(/trainA: not following 1 symbolic link to a directory \(trainA\/loop\)/);
  });

  it("trainA/up -> .. does not pull the other domain's images into A", async () => {
    const root = join(tmp.dir, "up");
    await makeUnpaired(root, 2, 3);
    symlinkSync("..", join(root, "trainA", "up"));
    const warnings: string[] = [];
    const ds = await openDataset(root, irData(), { onWarning: (m) => warnings.push(m) });
    expect(ds.domains[0]!.images.map((im) => im.rel)).toEqual(["trainA/a000.png", "trainA/a001.png"]);
    expect(ds.domains[1]!.images).toHaveLength(3);
    expect(warnings.join("\n")).toContain("trainA/up");
  });

  it("a file reached twice (a link to a file of the folder) is listed once, with a warning", () => {
    const root = join(tmp.dir, "dup");
    mkdirSync(join(root, "sub"), { recursive: true });
    writeFileSync(join(root, "a.png"), "x");
    symlinkSync("../a.png", join(root, "sub", "same.png"));
    const warnings: string[] = [];
    expect(listFiles(root, (m) => warnings.push(m)).images).toEqual([join(root, "a.png")]);
    expect(warnings.join("\n")).toMatch(/1 file is the same file as another one \(links\), read once: sub\/same\.png \(= a\.png\)/);
  });

  it("a broken link (a link loop) is reported with its errno", () => {
    const root = join(tmp.dir, "eloop");
    mkdirSync(root);
    symlinkSync("b.png", join(root, "a.png"));
    symlinkSync("a.png", join(root, "b.png"));
    const warnings: string[] = [];
    expect(listFiles(root, (m) => warnings.push(m)).images).toEqual([]);
    expect(warnings.join("\n")).toMatch(/skipping 2 broken symbolic links: a\.png \(ELOOP: .*\), b\.png \(ELOOP/);
  });
});

describe("unreadable files", () => {
  it("a permission-denied file is reported as EACCES, not as an unsupported image format", async () => {
    const root = join(tmp.dir, "eacces");
    await makeUnpaired(root, 2, 2);
    const locked = join(root, "trainA", "locked.png");
    writeFileSync(locked, "not an image the decoder can read");
    const open = fsp.open.bind(fsp);
    vi.spyOn(fsp, "open").mockImplementation(((p: string, ...rest: unknown[]) => {
      if (String(p) === locked) return Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${locked}'`), { code: "EACCES" }));
      return (open as (...a: unknown[]) => Promise<unknown>)(p, ...rest);
    }) as typeof fsp.open);
    const warnings: string[] = [];
    const ds = await openDataset(root, irData(), { onWarning: (m) => warnings.push(m) });
    expect(ds.skipped).toEqual(["trainA/locked.png"]);
    const w = warnings.find((m) => m.includes("locked.png"))!;
    expect(w).toMatch(/skipping trainA\/locked\.png: cannot read the file \(EACCES: permission denied/);
    expect(w).not.toMatch(/unsupported image format/);
  });

  it("a file that becomes unreadable during the run: the loader's error names EACCES", async () => {
    const root = join(tmp.dir, "eacces-later");
    await makeUnpaired(root, 2, 2);
    const ds = await openDataset(root, irData({ flip: false }));
    const victim = join(root, "trainA", "a000.png");
    writeFileSync(victim, "no longer an image");
    const open = fsp.open.bind(fsp);
    vi.spyOn(fsp, "open").mockImplementation(((p: string, ...rest: unknown[]) => {
      if (String(p) === victim) return Promise.reject(Object.assign(new Error(`EACCES: permission denied, open '${victim}'`), { code: "EACCES" }));
      return (open as (...a: unknown[]) => Promise<unknown>)(p, ...rest);
    }) as typeof fsp.open);
    const loader = new DataLoader(ds, { batch: 2, seed: 1, prefetch: false });
    const err = await loader.next().catch((e: unknown) => e);
    await loader.close();
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/cannot read .*a000\.png \(EACCES: permission denied/);
  });

  it("a file that opens but is not an image keeps the decoder's message", async () => {
    const root = join(tmp.dir, "garbage");
    await makeUnpaired(root, 2, 2);
    writeFileSync(join(root, "trainA", "junk.png"), "junk");
    const warnings: string[] = [];
    await openDataset(root, irData(), { onWarning: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toMatch(/skipping trainA\/junk\.png: not a readable image/);
  });
});

describe("layout names in messages", () => {
  it("an unpaired layout's held-out L1 message does not call it paired_folders", async () => {
    const root = join(tmp.dir, "unpaired-test");
    await makeUnpaired(root, 2, 2);
    await writeCoordPng(join(root, "testA", "x.png"), 12, 12, 1);
    await writeCoordPng(join(root, "testB", "y.png"), 12, 12, 2);
    const r = await openEvaluationSet(root, irData());
    expect(r.set).toBeUndefined();
    expect(r.why).toBeDefined();
    expect(r.why).not.toContain("paired_folders");
    expect(r.why).not.toContain("use layout: unpaired");
    expect(r.why).toContain("held-out L1 on an unpaired dataset needs the same image names");
  });
});
