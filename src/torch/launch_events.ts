/**
 * The events the Python runtime's rank 0 prints on stdout, one JSON object per line starting
 * with `{"gancc":1,` (the contract in /tmp/gancc/torch_protocol.md, python/gancc_torch/main.py).
 * Any other line is the user's to see and is passed through.
 */

export interface StartEvent {
  event: "start";
  torch: string;
  device: string;
  device_name?: string;
  world_size: number;
  dist_backend: string | null;
  dtype: string;
  iteration: number;
  epoch: number;
  iterations_per_epoch: number;
  total_iterations: number;
}

export interface IterationEvent {
  event: "iteration";
  /** iterations completed, in total */
  iteration: number;
  /** 0-based epoch the iteration belonged to */
  epoch: number;
  /** iterations completed in that epoch, 1..iterations_per_epoch */
  epoch_iteration: number;
  losses: Record<string, Record<string, number>>;
  lr_scale: number;
  seconds: number;
}

export interface CheckpointEvent {
  event: "checkpoint";
  iteration: number;
  /** relative to the run directory */
  manifest: string;
}

export interface EpochEndEvent {
  event: "epoch_end";
  /** epochs completed (1-based number of the epoch that ended) */
  epoch: number;
  iteration: number;
  /** params-only snapshot (`param/<IR name>`), relative to the run directory; deleted once rendered */
  weights: string;
}

export interface DoneEvent {
  event: "done";
  state: "finished" | "stopped";
  iteration: number;
  /** relative to the run directory; null when no checkpoint was ever written */
  manifest: string | null;
}

export interface ErrorEvent {
  event: "error";
  /** rank_lost: rank 0 lost a peer (a rank was killed or crashed) */
  kind: "cuda_oom" | "nonfinite" | "data" | "cuda_missing" | "rank_lost" | "internal" | string;
  message: string;
  size?: number;
  batch?: number;
  loss?: string;
  term?: string;
  value?: number | string;
  /** nonfinite: the 1-based iteration that produced it */
  iteration?: number;
}

export type TorchEvent = StartEvent | IterationEvent | CheckpointEvent | EpochEndEvent | DoneEvent | ErrorEvent;

const PREFIX = '{"gancc":1,';
const KINDS = new Set(["start", "iteration", "checkpoint", "epoch_end", "done", "error"]);

/**
 * The event on `line`, undefined for a line that is not one (the user's output). A line with
 * the prefix that is not valid JSON or names no known event is an internal error of the
 * runtime, reported as an `error` event so that it is seen, not silently dropped.
 */
export function parseEventLine(line: string): TorchEvent | undefined {
  const t = line.trim();
  if (!t.startsWith(PREFIX)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch (e) {
    return { event: "error", kind: "internal", message: `the PyTorch runtime printed an unreadable event (${(e as Error).message}): ${t.slice(0, 200)}` };
  }
  const ev = v as { event?: unknown };
  if (typeof ev !== "object" || ev === null || typeof ev.event !== "string" || !KINDS.has(ev.event)) {
    return { event: "error", kind: "internal", message: `the PyTorch runtime printed an unknown event: ${t.slice(0, 200)}` };
  }
  return v as TorchEvent;
}
