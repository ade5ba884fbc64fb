/**
 * The one atomic writer (src/io/atomic.ts): content, no temporary file left, fsync of the file
 * and of its directory (checked by wrapping node:fs), temporary names recognised and removed
 * at the next start, and every other writer going through it.
 */
import * as realFs from "node:fs";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";

const calls = vi.hoisted(() => ({ opened: new Map<number, string>(), synced: [] as string[] }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  return {
    ...fs,
    openSync: (p: string, ...rest: unknown[]) => {
      const fd = (fs.openSync as (...a: unknown[]) => number)(p, ...rest);
      calls.opened.set(fd, String(p));
      return fd;
    },
    fsyncSync: (fd: number) => {
      calls.synced.push(calls.opened.get(fd) ?? `fd ${fd}`);
      return fs.fsyncSync(fd);
    },
  };
});

const { isTempName, makeDir, removeStaleTemps, writeFileAtomic, writeFileAtomicAsync } = await import("../../src/io/atomic.js");
const { writeSafetensorsFileSync } = await import("../../src/io/safetensors.js");

const dir = mkdtempSync(join(tmpdir(), "gancc-atomic-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  calls.opened.clear();
  calls.synced.length = 0;
});

describe("writeFileAtomic", () => {
  it("writes, replaces, leaves no temporary file, and fsyncs the file and then its directory", () => {
    const f = join(dir, "a", "x.json");
    writeFileAtomic(f, "one");
    writeFileAtomic(f, "two, longer than one chunk? ".repeat(2000));
    expect(readFileSync(f, "utf8")).toBe("two, longer than one chunk? ".repeat(2000));
    expect(readdirSync(join(dir, "a"))).toEqual(["x.json"]);
    // per write: the temporary file, then the directory
    const tmpSyncs = calls.synced.filter((p) => /\.x\.json\.tmp-\d+-\d+$/.test(p));
    const dirSyncs = calls.synced.filter((p) => p === join(dir, "a"));
    expect(tmpSyncs.length).toBe(2);
    expect(dirSyncs.length).toBeGreaterThanOrEqual(2);
    expect(calls.synced.indexOf(tmpSyncs[1]!)).toBeLessThan(calls.synced.lastIndexOf(join(dir, "a")));
  });

  it("the async form and the safetensors writer fsync the file and the directory too", async () => {
    mkdirSync(join(dir, "b"));
    writeSafetensorsFileSync(join(dir, "b", "t.safetensors"), { x: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) } });
    expect(calls.synced.some((p) => /\.t\.safetensors\.tmp-/.test(p))).toBe(true);
    expect(calls.synced).toContain(join(dir, "b"));
    calls.synced.length = 0;
    await writeFileAtomicAsync(join(dir, "b", "y.txt"), "y");
    expect(readFileSync(join(dir, "b", "y.txt"), "utf8")).toBe("y");
    expect(calls.synced).toContain(join(dir, "b")); // the file's fsync goes through the FileHandle
    expect(readdirSync(join(dir, "b")).sort()).toEqual(["t.safetensors", "y.txt"]);
  });

  it("with mkdir: false a missing directory is an error and leaves nothing", () => {
    expect(() => writeFileAtomic(join(dir, "missing", "z"), "z", { mkdir: false })).toThrow(/ENOENT/);
    expect(realFs.existsSync(join(dir, "missing"))).toBe(false);
  });
});

describe("makeDir", () => {
  it("creates the missing levels, fsyncing each parent, and returns the topmost one created", () => {
    const top = join(dir, "m1");
    expect(makeDir(join(top, "a", "b"))).toBe(top);
    expect(realFs.statSync(join(top, "a", "b")).isDirectory()).toBe(true);
    expect(calls.synced).toEqual([dir, top, join(top, "a")]);
    expect(makeDir(join(top, "a", "b"))).toBeUndefined();
  });
  it("fails at once under /proc and under a file (node's recursive mkdir loops forever on /proc)", () => {
    if (process.platform !== "linux") return;
    const t0 = Date.now();
    expect(() => makeDir("/proc/gancc-nope/x")).toThrow(/ENOENT/);
    expect(() => writeFileAtomic("/proc/gancc-nope/x/f.json", "{}")).toThrow(/ENOENT/);
    expect(Date.now() - t0).toBeLessThan(2000);
    writeFileSync(join(dir, "plain"), "x");
    expect(() => makeDir(join(dir, "plain", "sub"))).toThrow(/ENOTDIR/);
    expect(() => makeDir(join(dir, "plain"))).toThrow(/EEXIST/); // like mkdir -p
  });
});

describe("metrics.jsonl", () => {
  it("MetricsWriter.sync fsyncs the appended lines (the trainer calls it before each checkpoint)", async () => {
    const { MetricsWriter } = await import("../../src/report/metrics.js");
    const m = new MetricsWriter(join(dir, "m"));
    m.append({ iteration: 1, epoch: 1, losses: { g: 1 } });
    calls.synced.length = 0;
    m.sync();
    expect(calls.synced).toEqual([join(dir, "m", "metrics.jsonl")]);
  });
});

describe("temporary files", () => {
  it("are recognised, current and older names, and nothing else", () => {
    for (const n of [".x.json.tmp-123-0", "iter-000001.safetensors.tmp-99", ".index.html.12.3.tmp", ".write-test-77"]) expect(isTempName(n), n).toBe(true);
    for (const n of ["x.json", "tmp", "a.tmp-file.png", "iter-000001.safetensors", ".hidden", "notes.tmp"]) expect(isTempName(n), n).toBe(false);
  });

  it("removeStaleTemps deletes them in the folders named (not below) and keeps everything else", () => {
    const d = join(dir, "run");
    mkdirSync(join(d, "checkpoints"), { recursive: true });
    mkdirSync(join(d, "checkpoints", "deeper"));
    const keep = [join(d, "run.json"), join(d, "checkpoints", "iter-000002.json"), join(d, "notes.tmp"), join(d, "checkpoints", "deeper", ".x.tmp-1-1")];
    const stale = [join(d, ".run.json.tmp-1-0"), join(d, "checkpoints", ".iter-000003.safetensors.tmp-5-2"), join(d, "checkpoints", "iter-000003.json.tmp-5")];
    for (const f of [...keep, ...stale]) writeFileSync(f, "x");
    expect(removeStaleTemps([d, join(d, "checkpoints")])).toEqual([...stale].sort());
    for (const f of keep) expect(realFs.existsSync(f), f).toBe(true);
    for (const f of stale) expect(realFs.existsSync(f), f).toBe(false);
    expect(removeStaleTemps([join(dir, "nope")])).toEqual([]);
  });
});

describe("one atomic writer", () => {
  it("no other module renames files into place or writes run files directly", () => {
    const files = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : e.name.endsWith(".ts") ? [join(d, e.name)] : []));
    const bad: string[] = [];
    for (const f of ["src/io", "src/train", "src/report", "src/cli"].flatMap(files)) {
      if (f.endsWith("atomic.ts")) continue;
      const text = readFileSync(f, "utf8");
      // exceptions: the run directory's write probe (deleted at once), moving a damaged
      // checkpoint aside (a rename of an existing file, no new bytes) and `gancc fmt` rewriting
      // the user's spec in place (a rename would turn a symlinked spec into a copy)
      const lines = text
        .split("\n")
        .filter((l) => /\brenameSync\(|\brename\(|\bwriteFileSync\(|\.writeFile\(/.test(l) && !/^\s*(\/\/|\*)/.test(l) && !l.includes("probe") && !l.includes("// in place") && !/renameSync\(.*, aside\)/.test(l));
      bad.push(...lines.map((l) => `${f}: ${l.trim()}`));
    }
    expect(bad).toEqual([]);
  });
});

describe("publishDir", () => {
  it("moves a finished directory under its final name and fsyncs the parent; an existing target is an error", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { publishDir } = await import("../../src/io/atomic.js");
    const root = mkdtempSync(join(tmpdir(), "gancc-publish-"));
    try {
      mkdirSync(join(root, "run.tmp-1"));
      writeFileSync(join(root, "run.tmp-1", "weights.safetensors"), "w");
      publishDir(join(root, "run.tmp-1"), join(root, "run"));
      expect(existsSync(join(root, "run.tmp-1"))).toBe(false);
      expect(readFileSync(join(root, "run", "weights.safetensors"), "utf8")).toBe("w");
      mkdirSync(join(root, "other.tmp"));
      writeFileSync(join(root, "other.tmp", "x"), "x");
      expect(() => publishDir(join(root, "other.tmp"), join(root, "run"))).toThrow(/ENOTEMPTY|EEXIST/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
