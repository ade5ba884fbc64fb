/**
 * Starting a run directory, shared by both engines (the tfjs trainer and the torch launcher):
 * checking `--out` before anything is written, creating it, and finding the checkpoint to
 * resume from (which must belong to the same IR).
 */
import { existsSync, readdirSync, rmSync, statfsSync, statSync, realpathSync, writeFileSync, readFileSync, accessSync, constants } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { makeDir, removeStaleTemps } from "../io/atomic.js";
import type { Ir } from "../ir/schema.js";
import { CheckpointError, irHash, loadNewestIntactCheckpoint, type CheckpointManifest, type ResumePoint } from "./checkpoint.js";
import { TrainError } from "./errors.js";

/** Kernel filesystems that hold no files (statfs magic numbers, Linux). */
const SPECIAL_FILESYSTEMS = new Map<number, string>([
  [0x9fa0, "proc"],
  [0x62656572, "sysfs"],
  [0x1cd1, "devpts"],
  [0x64626720, "debugfs"],
  [0x74726163, "tracefs"],
  [0x73636673, "securityfs"],
  [0x27e0eb, "cgroup"],
  [0x63677270, "cgroup2"],
  [0xcafe4a11, "bpf"],
]);
const SPECIAL_DIRS = ["/proc", "/sys", "/dev"];

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Fails before anything is written if `runDir` cannot be a run directory: an existing file, a
 * path under a file, a special filesystem (/proc, /sys, /dev), an unwritable place, a non-empty
 * directory (unless resuming) or a nearly full disk. Creates nothing.
 */
export function checkRunDir(runDir: string, resume: boolean, bytesNeeded: number): void {
  const abs = resolve(runDir);
  const cannot = (why: string) => new TrainError(`cannot write to the run directory ${abs}: ${why}; choose a writable --out`, 2);
  // the nearest existing ancestor (or runDir itself)
  let anc = abs;
  for (;;) {
    try {
      statSync(anc);
      break;
    } catch (e) {
      const code = errnoOf(e);
      if (code === "ENOTDIR") throw cannot(`a part of the path is a file, not a directory`);
      if (code !== "ENOENT") throw cannot((e as Error).message);
      if (dirname(anc) === anc) throw cannot("no part of the path exists");
      anc = dirname(anc);
    }
  }
  let real = anc;
  try {
    real = realpathSync(anc);
  } catch {
    /* keep the path as given */
  }
  const special = SPECIAL_DIRS.find((d) => real === d || real.startsWith(d + "/"));
  let fsType: string | undefined;
  try {
    fsType = SPECIAL_FILESYSTEMS.get(Number(statfsSync(anc).type));
  } catch {
    /* statfs unsupported */
  }
  if (special || fsType) {
    throw new TrainError(
      `cannot use ${abs} as a run directory: it is on ${fsType ? `a ${fsType} filesystem` : special}, a special filesystem of the kernel that holds no ordinary files; choose --out on a normal disk (e.g. runs/NAME)`,
      2,
    );
  }
  const st = statSync(anc);
  if (!st.isDirectory()) {
    throw anc === abs
      ? new TrainError(`cannot write to the run directory ${abs}: it exists and is a file, not a directory; choose another --out (a new or empty directory)`, 2)
      : cannot(`${anc} is a file, not a directory`);
  }
  if (anc === abs && !resume && readdirSync(abs).length > 0) {
    throw new TrainError(`the run directory ${runDir} already exists and is not empty; choose another --out, or continue it with --resume ${runDir}`, 2);
  }
  try {
    accessSync(anc, constants.W_OK);
  } catch (e) {
    throw cannot((e as Error).message);
  }
  try {
    const s = statfsSync(anc);
    const free = Number(s.bavail) * Number(s.bsize);
    if (free < bytesNeeded) {
      throw new TrainError(
        `only ${(free / 2 ** 20).toFixed(0)} MiB free under ${runDir}, and this run needs about ${(bytesNeeded / 2 ** 20).toFixed(0)} MiB (checkpoints: weights + optimizer state, kept twice, plus samples); free some space or choose another --out`,
        2,
      );
    }
  } catch (e) {
    if (e instanceof TrainError) throw e;
    // statfs unsupported: go on, writes will report a full disk themselves
  }
}

/** Creates the run directory (checked by checkRunDir) and probes it; returns the topmost directory created, if any. */
export function createRunDir(runDir: string): string | undefined {
  let created: string | undefined;
  try {
    created = makeDir(runDir);
    const probe = join(runDir, `.write-test-${process.pid}`);
    writeFileSync(probe, "ok");
    rmSync(probe, { force: true });
    return created;
  } catch (e) {
    if (created) rmSync(created, { recursive: true, force: true });
    throw new TrainError(`cannot write to the run directory ${runDir}: ${(e as Error).message}; choose a writable --out`, 2);
  }
}

/**
 * Resuming `runDir`: deletes the temporary files killed writes left, then takes the newest
 * intact checkpoint (saying which and why, through `warn`), which must belong to `ir`.
 * Undefined for a run stopped before its first checkpoint (it starts again from iteration 0).
 */
export function findResumePoint(runDir: string, ir: Ir, specText: string | undefined, warn: (m: string) => void): ResumePoint | undefined {
  let resumed: ResumePoint | undefined;
  // the folders a run writes to, and only in a run directory (not wherever --resume points)
  const isRun = existsSync(join(runDir, "ir.json")) || existsSync(join(runDir, "checkpoints"));
  const removed = isRun ? removeStaleTemps(["", "checkpoints", "samples", "curves"].map((d) => join(runDir, d))) : [];
  if (removed.length) warn(`removed ${removed.length} temporary file${removed.length === 1 ? "" : "s"} a killed write left behind (${removed.map((p) => relative(runDir, p)).join(", ")})`);
  try {
    resumed = loadNewestIntactCheckpoint(join(runDir, "checkpoints"));
  } catch (e) {
    if (e instanceof CheckpointError) throw new TrainError(`cannot resume ${runDir}: ${e.message}`, 1);
    throw e;
  }
  if (!resumed) {
    // stopped before its first checkpoint: nothing was lost, so it starts again from iteration 0
    let old: Ir | undefined;
    try {
      old = JSON.parse(readFileSync(join(runDir, "ir.json"), "utf8")) as Ir;
    } catch {
      throw new TrainError(`cannot resume ${runDir}: it has no checkpoint and no readable ir.json, so it is not a gancc run directory; start a new run (another --out)`, 1);
    }
    checkSameSpec(runDir, ir, specText, { irSha256: irHash(old) } as CheckpointManifest);
    warn(`${runDir} has no checkpoint yet (the run stopped before its first one): starting it again from iteration 0`);
  } else if (resumed.skipped.length) {
    warn(
      `the latest checkpoint cannot be used: ${resumed.skipped.map((k) => `${relative(runDir, k.file)}: ${k.why}`).join("; ")}. ` +
        `Resuming from ${relative(runDir, resumed.from)} (iteration ${resumed.manifest.iteration}), the newest intact checkpoint` +
        (resumed.movedAside.length ? `; the damaged files were kept as ${resumed.movedAside.map((p) => relative(runDir, p)).join(", ")}` : ""),
    );
  }
  if (resumed) checkSameSpec(runDir, ir, specText, resumed.manifest);
  return resumed;
}

/** Refuses to resume a run with a different spec, showing what changed. */
export function checkSameSpec(runDir: string, ir: Ir, specText: string | undefined, m: CheckpointManifest): void {
  if (m.irSha256 === irHash(ir)) return;
  const lines: string[] = [`cannot resume ${runDir}: its checkpoint was trained from a different spec (IR ${m.irSha256.slice(0, 12)}, now ${irHash(ir).slice(0, 12)}).`];
  try {
    const old = JSON.parse(readFileSync(join(runDir, "ir.json"), "utf8")) as Ir;
    for (const k of new Set([...Object.keys(old.spec.params), ...Object.keys(ir.spec.params)])) {
      if (JSON.stringify(old.spec.params[k]) !== JSON.stringify(ir.spec.params[k])) lines.push(`  param ${k}: ${JSON.stringify(old.spec.params[k])} → ${JSON.stringify(ir.spec.params[k])}`);
    }
    const oldNets = new Map(old.nets.map((n) => [n.name, n]));
    for (const n of ir.nets) {
      const o = oldNets.get(n.name);
      if (!o) lines.push(`  net ${n.name}: new`);
      else if (JSON.stringify(o.params.map((p) => [p.name, p.shape])) !== JSON.stringify(n.params.map((p) => [p.name, p.shape]))) lines.push(`  net ${n.name}: its parameters differ`);
    }
    for (const n of old.nets) if (!ir.nets.some((x) => x.name === n.name)) lines.push(`  net ${n.name}: removed`);
    if (JSON.stringify(old.train) !== JSON.stringify(ir.train)) lines.push("  the train section differs");
    if (JSON.stringify(old.losses.map((l) => l.terms.map((t) => t.name))) !== JSON.stringify(ir.losses.map((l) => l.terms.map((t) => t.name)))) lines.push("  the losses differ");
  } catch {
    /* no readable ir.json: the hash line says enough */
  }
  if (specText !== undefined && existsSync(join(runDir, "spec.gan"))) {
    const a = readFileSync(join(runDir, "spec.gan"), "utf8").split("\n");
    const b = specText.split("\n");
    let shown = 0;
    for (let i = 0; i < Math.max(a.length, b.length) && shown < 8; i++) {
      if (a[i] !== b[i]) {
        lines.push(`  line ${i + 1}: - ${a[i] ?? ""}`, `  line ${i + 1}: + ${b[i] ?? ""}`);
        shown++;
      }
    }
  }
  lines.push(`Train the changed spec as a new run (another --out), or resume with the spec in ${join(runDir, "spec.gan")} / ${join(runDir, "ir.json")}.`);
  throw new TrainError(lines.join("\n"), 1);
}
