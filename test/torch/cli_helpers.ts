// Running `gancc train --engine torch` from the sources in a child process (as test/cli does),
// with a chosen environment, waited for or in the background (to interrupt it or kill a rank).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  err: string;
  out: string;
}

const ENTRY = ["--import", "tsx", "src/cli/main.ts"];

/** The environment of a test run: one torch thread per process (2 cores shared by everyone). */
export function testEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: "1", OMP_NUM_THREADS: "1", ...extra };
}

/** `gancc …args`, waited for. */
export function gancc(args: string[], env: NodeJS.ProcessEnv = testEnv(), timeoutMs = 300_000): CliRun {
  const r = spawnSync(process.execPath, [...ENTRY, ...args], { encoding: "utf8", env, timeout: timeoutMs });
  return { code: r.status, signal: r.signal, out: r.stdout ?? "", err: r.stderr ?? "" };
}

/** `gancc …args` in the background; `done` resolves when it exits. */
export function ganccBackground(args: string[], env: NodeJS.ProcessEnv = testEnv()): { proc: ChildProcess; done: Promise<CliRun>; err: () => string } {
  const proc = spawn(process.execPath, [...ENTRY, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (err += d));
  const done = new Promise<CliRun>((res) => proc.on("exit", (code, signal) => res({ code, signal, out, err })));
  return { proc, done, err: () => err };
}

/** Polls `cond` every 100 ms for up to `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Checkpoint manifests (iter-*.json) in a run directory, sorted. */
export function checkpoints(runDir: string): string[] {
  const d = join(runDir, "checkpoints");
  return existsSync(d) ? readdirSync(d).filter((f) => /^iter-\d+\.json$/.test(f)).sort() : [];
}

/** Process ids whose command line contains `needle` (read from /proc; Linux). */
export function pidsWith(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0").join(" ");
      if (cmd.includes(needle)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/**
 * A fake interpreter: answers gancc's probe (`-c …`) as a Python with `torch` version, and
 * otherwise (running train.py) prints `lines` and exits with `exit`.
 */
export function fakePython(path: string, o: { torch?: string; lines?: string[]; exit?: number; stderr?: string }): string {
  const probe = JSON.stringify({ python: "3.11.2", torch: o.torch ?? "1.13.1", missing: [], cuda: { available: false, devices: 0, names: [], version: null } });
  const body = [
    "#!/bin/sh",
    'if [ "$1" = "-c" ]; then',
    `  echo '${probe}'`,
    "  exit 0",
    "fi",
    ...(o.lines ?? []).map((l) => `echo '${l.replace(/'/g, "'\\''")}'`),
    ...(o.stderr ? [`echo '${o.stderr}' >&2`] : []),
    `exit ${o.exit ?? 0}`,
    "",
  ].join("\n");
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}
