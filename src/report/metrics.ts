/**
 * The training log: `<runDir>/metrics.jsonl`, one JSON object per line.
 *
 *   {"iteration":120,"epoch":2,"time":35.2,"lr":{"generator":0.0002,"discriminator":0.0001},"losses":{"gan_A":0.25,"cycle_A":1.3}}
 *
 * - `iteration`: the global iteration count after the step (1-based, keeps counting across
 *   epochs and across a resume); `epoch`: the epoch the iteration belongs to (1-based);
 *   `time`: seconds of training since the run started (a resumed run continues from the
 *   last kept record's time, so downtime is not counted); `lr`: the learning rate, one
 *   number or one per training step keyed by the step's loss name (the trainer writes the
 *   latter: `{"generator": 2e-4, "discriminator": 1e-4}`, see `stepLearningRates`); held-out
 *   evaluation records have no `lr`;
 *   `losses`: every logged loss term by name.
 * - JSON has no NaN/Infinity, so non-finite loss values (a diverging run) are written as the
 *   strings "NaN", "Infinity", "-Infinity" and read back as numbers.
 * - Robustness: each record is one `appendFileSync` of a whole line (one write call), so a
 *   crash leaves at worst a truncated last line; `readMetrics` ignores it and a writer that
 *   re-opens the file cuts it off before appending.
 * - Resume: opening an existing file keeps its records; `truncateAfter(checkpointIteration)`
 *   drops the ones logged after the checkpoint so the resumed run doesn't duplicate them.
 */
import { appendFileSync, existsSync, fsyncSync, openSync, closeSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeDir, writeFileAtomic } from "../io/atomic.js";

export const METRICS_FILE = "metrics.jsonl";

export type LearningRate = number | Record<string, number>;

export interface MetricsRecord {
  iteration: number;
  epoch: number;
  /** seconds of training since the start of the run */
  time: number;
  lr?: LearningRate;
  losses: Record<string, number>;
}

/** What the trainer passes to `append`; `time` defaults to the writer's clock. */
export interface MetricsEntry {
  iteration: number;
  epoch: number;
  time?: number;
  lr?: LearningRate;
  losses: Record<string, number>;
}

export interface MetricsReadResult {
  records: MetricsRecord[];
  /** 1-based line numbers that did not parse as a record (a truncated last line included) */
  skippedLines: number[];
  /** the file did not end with a newline (a crash mid-write) */
  truncatedTail: boolean;
}

function encodeNumber(v: number): number | string {
  return Number.isFinite(v) ? v : String(v); // "NaN" | "Infinity" | "-Infinity"
}

function decodeNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v === "NaN" || v === "Infinity" || v === "-Infinity") return Number(v);
  return undefined;
}

/** One record as one line of JSON, newline included. */
export function formatMetricsLine(r: MetricsRecord): string {
  const losses: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(r.losses)) losses[k] = encodeNumber(v);
  const out: Record<string, unknown> = { iteration: r.iteration, epoch: r.epoch, time: r.time };
  if (r.lr !== undefined) {
    if (typeof r.lr === "number") out.lr = encodeNumber(r.lr);
    else {
      const lr: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(r.lr)) lr[k] = encodeNumber(v);
      out.lr = lr;
    }
  }
  out.losses = losses;
  return JSON.stringify(out) + "\n";
}

/** Parse one line; undefined when it is not a well-formed record. */
export function parseMetricsLine(line: string): MetricsRecord | undefined {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof o !== "object" || o === null || Array.isArray(o)) return undefined;
  const obj = o as Record<string, unknown>;
  const iteration = obj.iteration, epoch = obj.epoch, time = obj.time;
  if (typeof iteration !== "number" || typeof epoch !== "number" || typeof time !== "number") return undefined;
  if (typeof obj.losses !== "object" || obj.losses === null || Array.isArray(obj.losses)) return undefined;
  const losses: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj.losses as Record<string, unknown>)) {
    const n = decodeNumber(v);
    if (n === undefined) return undefined;
    losses[k] = n;
  }
  const rec: MetricsRecord = { iteration, epoch, time, losses };
  if (obj.lr !== undefined) {
    if (typeof obj.lr === "object" && obj.lr !== null && !Array.isArray(obj.lr)) {
      const lr: Record<string, number> = {};
      for (const [k, v] of Object.entries(obj.lr as Record<string, unknown>)) {
        const n = decodeNumber(v);
        if (n === undefined) return undefined;
        lr[k] = n;
      }
      rec.lr = lr;
    } else {
      const n = decodeNumber(obj.lr);
      if (n === undefined) return undefined;
      rec.lr = n;
    }
  }
  return rec;
}

/** Parse the text of a metrics file, skipping lines that are not records. */
export function parseMetrics(text: string): MetricsReadResult {
  const records: MetricsRecord[] = [];
  const skippedLines: number[] = [];
  const truncatedTail = text.length > 0 && !text.endsWith("\n");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const r = parseMetricsLine(line);
    if (r) records.push(r);
    else skippedLines.push(i + 1);
  });
  return { records, skippedLines, truncatedTail };
}

/** Read a metrics file with details on what was skipped. Throws if the file cannot be read. */
export function readMetricsFile(path: string): MetricsReadResult {
  return parseMetrics(readFileSync(path, "utf8"));
}

/**
 * The records of a metrics file, in file order. A truncated last line (a crash mid-write)
 * and any other line that is not a record are skipped. Throws if the file cannot be read.
 */
export function readMetrics(path: string): MetricsRecord[] {
  return readMetricsFile(path).records;
}

export interface MetricsWriterOptions {
  /** file name inside the run directory (default `metrics.jsonl`) */
  fileName?: string;
  /** keep the records of an existing file (default true); false starts an empty file */
  resume?: boolean;
  /** milliseconds, for `time` (default `performance.now`) */
  clock?: () => number;
  /** fsync after each line (survives power loss, costs a disk flush per record; default false) */
  fsync?: boolean;
}

/**
 * Appends records to `<runDir>/metrics.jsonl` and keeps them in memory (`records`) so the
 * report can be drawn without re-reading the file.
 */
export class MetricsWriter {
  readonly path: string;
  private readonly clock: () => number;
  private readonly fsync: boolean;
  private readonly recs: MetricsRecord[];
  /** `time` = timeOffset + (clock() - t0) / 1000 */
  private timeOffset = 0;
  private t0: number;

  constructor(runDir: string, options: MetricsWriterOptions = {}) {
    makeDir(runDir);
    this.path = join(runDir, options.fileName ?? METRICS_FILE);
    this.clock = options.clock ?? (() => performance.now());
    this.fsync = options.fsync ?? false;
    this.t0 = this.clock();
    const resume = options.resume ?? true;
    if (resume && existsSync(this.path)) {
      const read = readMetricsFile(this.path);
      this.recs = read.records;
      // cut off a half-written line (or junk) so the next append starts on a clean line
      if (read.truncatedTail || read.skippedLines.length > 0) this.rewrite();
    } else {
      this.recs = [];
      writeFileAtomic(this.path, "");
    }
    this.rebase();
  }

  /** The records so far (prior ones of a resumed run included), in order. */
  get records(): readonly MetricsRecord[] {
    return this.recs;
  }

  /** The last record's iteration, or undefined when there are none. */
  get lastIteration(): number | undefined {
    return this.recs.at(-1)?.iteration;
  }

  /** Seconds of training time now (what `append` records when no `time` is given). */
  elapsed(): number {
    return this.timeOffset + (this.clock() - this.t0) / 1000;
  }

  /** Append one record (one whole line, one write). Returns the record as stored. */
  append(entry: MetricsEntry): MetricsRecord {
    const rec: MetricsRecord = {
      iteration: entry.iteration,
      epoch: entry.epoch,
      time: entry.time ?? Math.round(this.elapsed() * 1000) / 1000,
      losses: { ...entry.losses },
    };
    if (entry.lr !== undefined) rec.lr = typeof entry.lr === "number" ? entry.lr : { ...entry.lr };
    const line = formatMetricsLine(rec);
    if (this.fsync) {
      const fd = openSync(this.path, "a");
      try {
        appendFileSync(fd, line);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } else {
      appendFileSync(this.path, line);
    }
    this.recs.push(rec);
    return rec;
  }

  /**
   * fsync the file: the lines appended so far survive a power loss (the trainer calls this
   * before each checkpoint, so that a durable checkpoint never has metrics missing before it).
   */
  sync(): void {
    const fd = openSync(this.path, "r+");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Drop the records with `iteration > iteration` (those logged after the checkpoint a run
   * resumes from), rewriting the file atomically. Later `time` values continue from the last
   * kept record. Returns how many were dropped.
   */
  truncateAfter(iteration: number): number {
    const keep = this.recs.filter((r) => r.iteration <= iteration);
    const dropped = this.recs.length - keep.length;
    if (dropped > 0) {
      this.recs.length = 0;
      this.recs.push(...keep);
      this.rewrite();
    }
    this.rebase();
    return dropped;
  }

  private rewrite(): void {
    writeFileAtomic(this.path, this.recs.map(formatMetricsLine).join(""));
  }

  private rebase(): void {
    this.timeOffset = this.recs.at(-1)?.time ?? 0;
    this.t0 = this.clock();
  }
}
