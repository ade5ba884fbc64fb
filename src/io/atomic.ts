/**
 * The one atomic file writer of gancc. Every file a run writes (checkpoints, weights, the
 * report, metrics rewrites, run metadata) goes through here:
 *
 *   1. the bytes go to a temporary file `.<name>.tmp-<pid>-<n>` in the target's directory;
 *   2. the temporary file is fsynced and closed;
 *   3. it is renamed over the target;
 *   4. the directory is fsynced, so that the rename itself survives a power loss.
 *
 * A reader (a browser refreshing the report, a resume after a crash) sees either the old file
 * or the new one, never half of one. A process killed mid-write leaves at most a temporary
 * file, which `removeStaleTemps` deletes at the next start (`isTempName` recognises it).
 *
 * Fault injection (tests only): with `GANCC_TEST_KILL_AT=<n>` in the environment the process
 * kills itself with SIGKILL at the n-th write step (1-based) counted over the whole process:
 * after opening the temporary file, after each 16 KiB chunk written, after its fsync, after
 * the rename (before the directory fsync) and after the directory fsync; callers can add
 * their own points with `testKillPoint` (checkpoint pruning does). `GANCC_TEST_KILL_IN=<s>`
 * counts only writes whose path contains `s`. Before dying it appends
 * `SIGKILL at write step <n>: <what> <path>` to the file `GANCC_TEST_KILL_LOG`, if set.
 */
import { promises as fsp, appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

let counter = 0;
let killSteps = 0;
const CHUNK = 16 * 1024;

/** The temporary file names this writer uses (and the names older versions used). */
const TEMP_NAMES = [/^\..+\.tmp-\d+-\d+$/, /\.tmp-\d+$/, /^\..+\.\d+\.\d+\.tmp$/, /^\.write-test-\d+$/];

/** Whether `name` (a file name, not a path) is a temporary file of an atomic write. */
export function isTempName(name: string): boolean {
  return TEMP_NAMES.some((r) => r.test(name));
}

function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter++}`);
}

/**
 * Fault-injection point (see the file comment): a no-op unless GANCC_TEST_KILL_AT is set. Kills
 * the process with SIGKILL when this is the n-th counted step.
 */
export function testKillPoint(what: string, path: string): void {
  const at = process.env.GANCC_TEST_KILL_AT;
  if (!at) return;
  const filter = process.env.GANCC_TEST_KILL_IN;
  if (filter && !path.includes(filter)) return;
  killSteps += 1;
  if (killSteps === Number(at)) {
    const log = process.env.GANCC_TEST_KILL_LOG;
    if (log) appendFileSync(log, `SIGKILL at write step ${killSteps}: ${what} ${path}\n`);
    process.kill(process.pid, "SIGKILL");
  }
}

/** fsync a directory (makes renames and new entries in it durable). Filesystems that cannot are skipped. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Windows cannot open directories; some filesystems refuse fsync on them
    if (!(process.platform === "win32" || code === "EINVAL" || code === "EISDIR" || code === "EPERM" || code === "ENOTSUP")) throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Publishes a finished directory under its final name: one rename (atomic within a filesystem),
 * then an fsync of the parent so the new name survives a crash. For a directory built under a
 * temporary name (a cached classifier's run): readers see the whole directory or none of it.
 * `to` must not exist.
 */
export function publishDir(from: string, to: string): void {
  renameSync(from, to);
  fsyncDir(dirname(to));
}

/**
 * mkdir -p, one level at a time, fsyncing the parent of each directory created; returns the
 * topmost directory created, if any. (Node's own `mkdirSync(…, { recursive: true })` loops
 * forever on /proc, where mkdir fails with ENOENT under an existing parent; here that is an
 * error.) Like `mkdir -p`, an existing file at `dir` is an error (EEXIST).
 */
export function makeDir(dir: string): string | undefined {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" || dirname(d) === d) throw e;
      missing.push(d);
      continue;
    }
    if (!isDir) throw Object.assign(new Error(`EEXIST: file already exists and is not a directory, mkdir '${d}'`), { code: "EEXIST", path: d });
    break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e; // made meanwhile by another writer
      continue;
    }
    fsyncDir(dirname(d));
  }
  return missing[0];
}

function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? Buffer.from(data, "utf8") : data;
}

export interface AtomicWriteOptions {
  /** create the directory if needed (default true) */
  mkdir?: boolean;
}

/** Write `data` to `path` atomically and durably (creates the directory unless `mkdir: false`). */
export function writeFileAtomic(path: string, data: string | Uint8Array, o: AtomicWriteOptions = {}): void {
  const dir = dirname(path);
  if (o.mkdir ?? true) makeDir(dir);
  const bytes = bytesOf(data);
  const tmp = tempPath(path);
  try {
    const fd = openSync(tmp, "w");
    try {
      testKillPoint("opened", tmp);
      for (let off = 0; off < bytes.length || off === 0; ) {
        const n = bytes.length ? writeSync(fd, bytes, off, Math.min(CHUNK, bytes.length - off)) : 0;
        off += n;
        testKillPoint(`wrote ${off} of ${bytes.length} bytes of`, tmp);
        if (n === 0) break;
      }
      fsyncSync(fd);
      testKillPoint("fsynced", tmp);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  testKillPoint("renamed (directory not yet fsynced)", path);
  fsyncDir(dir);
  testKillPoint("fsynced the directory of", path);
}

/** The asynchronous form of `writeFileAtomic` (same steps, same durability). */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array, o: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  if (o.mkdir ?? true) makeDir(dir);
  const bytes = bytesOf(data);
  const tmp = tempPath(path);
  try {
    const fh = await fsp.open(tmp, "w");
    try {
      testKillPoint("opened", tmp);
      for (let off = 0; off < bytes.length; ) {
        const { bytesWritten } = await fh.write(bytes, off, Math.min(CHUNK, bytes.length - off));
        off += bytesWritten;
        testKillPoint(`wrote ${off} of ${bytes.length} bytes of`, tmp);
      }
      await fh.sync();
      testKillPoint("fsynced", tmp);
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  testKillPoint("renamed (directory not yet fsynced)", path);
  fsyncDir(dir);
  testKillPoint("fsynced the directory of", path);
}

/**
 * Deletes the temporary files that killed writes left in each of `dirs` (not in their
 * subfolders: a caller names the folders it writes to); returns their paths. A missing folder
 * is not an error.
 */
export function removeStaleTemps(dirs: readonly string[]): string[] {
  const removed: string[] = [];
  for (const d of dirs) {
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of ents) {
      if (!e.isFile() || !isTempName(e.name)) continue;
      const p = join(d, e.name);
      rmSync(p, { force: true });
      removed.push(p);
    }
  }
  return removed.sort();
}
