// Running the CLI from the sources (through tsx) in a child process, as the CLI tests do.
import { spawnSync } from "node:child_process";

export interface GanccRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** `gancc …args`, killed after `timeoutMs` (then `signal` is set) when given. */
export function ganccWithin(timeoutMs: number | undefined, ...args: string[]): GanccRun {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: timeoutMs });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** `gancc …args`, waited for. */
export function gancc(...args: string[]): GanccRun {
  return ganccWithin(undefined, ...args);
}
