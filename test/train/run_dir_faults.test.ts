/**
 * Damaged and odd run directories (issue 13): --out at a file or a kernel filesystem is refused
 * before anything is written; a failed start leaves no directory behind; --resume falls back to
 * the newest intact checkpoint (saying which and why, keeping the damaged files), never reads a
 * tensors file outside checkpoints/, removes the temporary files killed writes left, and starts
 * again from 0 when the run stopped before its first checkpoint.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import type { Ir } from "../../src/ir/schema.js";
import { readSafetensorsFileSync } from "../../src/io/safetensors.js";
import { TrainError, checkRunDir, train, type TrainOptions } from "../../src/train/trainer.js";
import { makeUnpaired, tempDir } from "../data/fixtures.js";
import { useBackend } from "../runtime/kernels/setup.js";

const TINY = readFileSync("specs/tiny.gan", "utf8");
function tiny(): { ir: Ir; specText: string } {
  const r = compileSource(TINY, "specs/tiny.gan", { set: { nf: 2, size: 8 } });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return { ir: r.ir, specText: TINY };
}
const quiet = { write: () => true, isTTY: false };

let tmp: ReturnType<typeof tempDir>;
let data: string;
beforeAll(async () => {
  await useBackend("cpu");
  tmp = tempDir("gancc-rundir-");
  data = join(tmp.dir, "data");
  await makeUnpaired(data, 4, 3, 12, 12);
});
afterAll(() => tmp.cleanup());

function opts(runDir: string, over: Partial<TrainOptions> = {}): TrainOptions & { warnings: string[] } {
  const warnings: string[] = [];
  return { ...tiny(), source: "specs/tiny.gan", data, runDir, backend: { name: "cpu", reason: "test" }, stream: quiet, onWarning: (m) => warnings.push(m), samples: 0, warnings, ...over };
}

const weightsOf = (f: string) => Object.fromEntries(Object.entries(readSafetensorsFileSync(f).tensors).map(([k, t]) => [k, Array.from(t.data as Float32Array)]));

describe("--out validation", () => {
  it("refuses kernel filesystems (/proc, /sys, /dev) and existing files, before writing anything", () => {
    for (const p of ["/proc/gancc-x", "/sys/gancc-x", "/dev/gancc-x", "/proc/self/gancc"]) {
      expect(() => checkRunDir(p, false, 0), p).toThrow(/special filesystem of the kernel/);
      expect(existsSync(p)).toBe(false);
    }
    const file = join(tmp.dir, "a-file");
    writeFileSync(file, "x");
    expect(() => checkRunDir(file, false, 0)).toThrow(/exists and is a file, not a directory/);
    expect(() => checkRunDir(file, true, 0)).toThrow(/exists and is a file, not a directory/);
    expect(() => checkRunDir(join(file, "sub", "run"), false, 0)).toThrow(/cannot write to the run directory .*a part of the path is a file/);
    expect(existsSync(join(tmp.dir, "sub"))).toBe(false);
  });

  it("train() with --out at a file or under /proc fails with a TrainError (exit 2), at once", async () => {
    const file = join(tmp.dir, "b-file");
    writeFileSync(file, "x");
    for (const out of [file, "/proc/gancc-run"]) {
      const t0 = Date.now();
      const e = await train(opts(out)).catch((x) => x);
      expect(e, out).toBeInstanceOf(TrainError);
      expect(e.exitCode).toBe(2);
      expect(Date.now() - t0).toBeLessThan(5000);
    }
    expect(readFileSync(file, "utf8")).toBe("x");
  });

  it("a failed start removes the run directory it created (and only that)", async () => {
    const parent = join(tmp.dir, "fresh-parent");
    const e = await train(opts(join(parent, "run"), { data: join(tmp.dir, "no-data") })).catch((x) => x);
    expect(e).toBeInstanceOf(TrainError);
    expect(existsSync(parent)).toBe(false);
    // an existing empty directory given by the user stays
    const mine = join(tmp.dir, "users-empty-dir");
    mkdirSync(mine);
    await train(opts(mine, { data: join(tmp.dir, "no-data") })).catch(() => undefined);
    expect(existsSync(mine)).toBe(true);
    expect(readdirSync(mine)).toEqual([]);
  });
});

describe("--resume on a damaged run directory", () => {
  /** A run of 3 iterations with a checkpoint after each (2 kept: iterations 2 and 3). */
  const makeRun = async (name: string) => {
    const runDir = join(tmp.dir, name);
    await train(opts(runDir, { maxIterations: 3, checkpointEvery: 1 }));
    return { runDir, ck: join(runDir, "checkpoints") };
  };
  let straight: Record<string, number[]>;
  beforeAll(async () => {
    const runDir = join(tmp.dir, "straight");
    await train(opts(runDir, { maxIterations: 5, checkpointEvery: 1 }));
    straight = weightsOf(join(runDir, "weights.safetensors"));
  });

  it("truncated tensors of the latest checkpoint: resumes from the previous one, says so, keeps the damaged files", async () => {
    const { runDir, ck } = await makeRun("truncated");
    truncateSync(join(ck, "iter-000003.safetensors"), 100);
    const o = opts(runDir, { maxIterations: 5, checkpointEvery: 1, resume: true });
    const r = await train(o);
    expect(r.iterations).toBe(5);
    const w = o.warnings.find((m) => m.includes("newest intact checkpoint"));
    expect(w, o.warnings.join("\n")).toMatch(/latest checkpoint cannot be used: checkpoints\/latest\.json: the checkpoint's tensors cannot be read/);
    expect(w).toContain("Resuming from checkpoints/iter-000002.json (iteration 2)");
    expect(w).toContain("damaged-iter-000003.safetensors");
    // the damaged tensors are kept as they were, not written over
    expect(statSync(join(ck, "damaged-iter-000003.safetensors")).size).toBe(100);
    expect(existsSync(join(runDir, "run.resume-2.json"))).toBe(true);
    // and the run continued exactly from iteration 2
    expect(weightsOf(join(runDir, "weights.safetensors"))).toEqual(straight);
  });

  it("garbage latest.json: falls back to the newest iter-*.json; the message does not suggest --resume-from", async () => {
    const { runDir, ck } = await makeRun("garbage");
    writeFileSync(join(ck, "latest.json"), "\u0000garbage{");
    const o = opts(runDir, { maxIterations: 5, checkpointEvery: 1, resume: true });
    await train(o);
    const w = o.warnings.find((m) => m.includes("newest intact checkpoint"))!;
    expect(w).toContain("latest.json is not valid JSON");
    expect(w).toContain("Resuming from checkpoints/iter-000003.json (iteration 3)");
    expect(w).not.toContain("--resume-from");
    expect(readFileSync(join(ck, "damaged-latest.json"), "utf8")).toBe("\u0000garbage{");
    expect(weightsOf(join(runDir, "weights.safetensors"))).toEqual(straight);
    // nothing intact at all: an error that names each file and no flag that does not exist
    for (const f of readdirSync(ck)) if (f.endsWith(".json")) writeFileSync(join(ck, f), "[]");
    const e = await train(opts(runDir, { resume: true })).catch((x) => x);
    expect(e).toBeInstanceOf(TrainError);
    expect(e.message).toMatch(/no intact checkpoint in .*latest\.json: .*not a gancc checkpoint manifest/s);
    expect(e.message).not.toContain("--resume-from");
  });

  it("latest.json cannot name a tensors file outside checkpoints/", async () => {
    const { runDir, ck } = await makeRun("confined");
    const outside = join(tmp.dir, "outside.safetensors");
    copyFileSync(join(ck, "iter-000003.safetensors"), outside);
    for (const t of ["../../outside.safetensors", outside, "sub/iter-000003.safetensors", "iter-000003.json"]) {
      const m = JSON.parse(readFileSync(join(ck, "iter-000003.json"), "utf8"));
      writeFileSync(join(ck, "latest.json"), JSON.stringify({ ...m, tensors: t }));
      // and every manifest, so that nothing is left to fall back to
      writeFileSync(join(ck, "iter-000002.json"), JSON.stringify({ ...m, tensors: t }));
      writeFileSync(join(ck, "iter-000003.json"), JSON.stringify({ ...m, tensors: t }));
      const e = await train(opts(runDir, { resume: true })).catch((x) => x);
      expect(e, t).toBeInstanceOf(TrainError);
      expect(e.message).toContain("must be a .safetensors file directly inside its checkpoints folder");
      for (const f of ["latest.json", "iter-000002.json", "iter-000003.json"]) writeFileSync(join(ck, f), JSON.stringify({ ...m, tensors: "iter-000003.safetensors" }));
    }
  });

  it("removes the temporary files of killed writes at the next start", async () => {
    const { runDir, ck } = await makeRun("stale");
    const stale = [join(ck, ".iter-000004.safetensors.tmp-4242-3"), join(ck, "iter-000004.safetensors.tmp-4242"), join(runDir, ".index.html.tmp-4242-9"), join(runDir, ".metrics.jsonl.4242.1.tmp")];
    for (const f of stale) writeFileSync(f, "half");
    const o = opts(runDir, { maxIterations: 4, resume: true });
    await train(o);
    for (const f of stale) expect(existsSync(f), f).toBe(false);
    expect(o.warnings.join("\n")).toMatch(/removed 4 temporary files a killed write left behind/);
  });

  it("a run killed before its first checkpoint starts again from iteration 0", async () => {
    const runDir = join(tmp.dir, "no-checkpoint");
    await train(opts(runDir, { maxIterations: 1, checkpointEvery: 1 }));
    // as a kill during the first checkpoint leaves it: no manifest at all, maybe a temporary file
    for (const f of readdirSync(join(runDir, "checkpoints"))) rmSync(join(runDir, "checkpoints", f));
    writeFileSync(join(runDir, "checkpoints", ".iter-000001.safetensors.tmp-4242-0"), "half");
    const o = opts(runDir, { maxIterations: 5, checkpointEvery: 1, resume: true });
    const r = await train(o);
    expect(r.iterations).toBe(5);
    expect(o.warnings.join("\n")).toContain("has no checkpoint yet");
    expect(weightsOf(join(runDir, "weights.safetensors"))).toEqual(straight);
  });
});
