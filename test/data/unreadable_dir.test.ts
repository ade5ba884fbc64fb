/**
 * A folder that cannot be listed (EACCES) is reported with its errno: the domain folder as a
 * DataError, a subfolder as a warning. The tests run as root, which bypasses permissions, so
 * readdirSync is wrapped to fail with EACCES for the chosen folders (as it does for a non-root
 * user on a chmod 000 folder).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const denied = vi.hoisted(() => new Set<string>());
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    readdirSync: ((p: string, ...rest: unknown[]) => {
      if (denied.has(String(p))) throw Object.assign(new Error(`EACCES: permission denied, scandir '${p}'`), { code: "EACCES" });
      return (fs.readdirSync as (...a: unknown[]) => unknown)(p, ...rest);
    }) as typeof fs.readdirSync,
  };
});

const { listFiles } = await import("../../src/data/scan.js");
const { DataError } = await import("../../src/data/errors.js");
const { makeUnpaired, tempDir, writeCoordPng } = await import("./fixtures.js");

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = tempDir("gancc-eacces-");
});
afterAll(() => tmp.cleanup());

describe("unlistable folders", () => {
  it("the domain folder: a DataError naming EACCES", async () => {
    const root = join(tmp.dir, "a");
    await makeUnpaired(root, 1, 1);
    denied.add(join(root, "trainA"));
    let err: unknown;
    try {
      listFiles(join(root, "trainA"));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/cannot read the folder .*trainA \(EACCES: permission denied/);
  });
  it("a subfolder: skipped with a warning naming EACCES", async () => {
    const root = join(tmp.dir, "b");
    await makeUnpaired(root, 1, 1);
    await writeCoordPng(join(root, "trainA", "sub", "x.png"), 4, 4, 1);
    denied.add(join(root, "trainA", "sub"));
    const warnings: string[] = [];
    expect(listFiles(join(root, "trainA"), (m) => warnings.push(m), root).images).toEqual([join(root, "trainA", "a000.png")]);
    expect(warnings.join("\n")).toMatch(/trainA: skipping 1 folder that cannot be read: trainA\/sub \(EACCES: permission denied/);
  });
});
