/**
 * Training progress on the console.
 *
 * - On a TTY: one `cli-progress` bar, redrawn in place at most `fps` times a second:
 *     epoch 3/200 [########------------] 450/1000 | 16.1 it/s | ETA 3h21m | gan_A 0.25 cycle_A 1.3
 *   (the bar is the current epoch; it/s over the last `rateWindowSeconds`; the ETA is for the
 *   whole run). Lines printed with `message()` and the end-of-epoch lines go above the bar.
 * - Otherwise (CI, output piped to a file): plain lines, every `logEveryIterations`
 *   iterations and/or at most every `logEverySeconds` seconds, with the same information,
 *   a line at the end of each epoch, and a final summary line.
 *
 * Testable: the output stream and the clock are injected; TTY mode is `stream.isTTY === true`
 * unless `tty` says otherwise. `epoch` is 1-based; `iteration` is the number of iterations
 * done in the current epoch (1..itersPerEpoch).
 */
import { createRequire } from "node:module";

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Where progress and warnings go unless the caller gives a stream: the terminal's stderr. */
export function defaultProgressStream(): ProgressStream {
  return process.stderr;
}

export interface ProgressOptions {
  epochs: number;
  itersPerEpoch: number;
  /** default process.stderr */
  stream?: ProgressStream;
  /** milliseconds (default performance.now) */
  clock?: () => number;
  /** default: stream.isTTY === true */
  tty?: boolean;
  /** non-TTY: a line every N iterations (default 0 = only by time) */
  logEveryIterations?: number;
  /** non-TTY: a line when K seconds have passed since the last one (default 30; 0 = only by count) */
  logEverySeconds?: number;
  /** TTY: redraws per second at most (default 5) */
  fps?: number;
  /** it/s is measured over this many seconds (default 20) */
  rateWindowSeconds?: number;
  /** prefix of plain lines (default "train") */
  label?: string;
}

export interface ProgressUpdate {
  /** 1-based */
  epoch: number;
  /** iterations done in this epoch, 1..itersPerEpoch */
  iteration: number;
  losses?: Record<string, number>;
}

export interface ProgressEnd {
  state: "finished" | "stopped";
  /** why it stopped (first line shown) */
  error?: string;
}

// ---------------------------------------------------------------- formatting

/** Loss value, short: 3 significant digits, exponent when tiny or huge. */
export function formatLoss(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

/** `gan_A 0.25 cycle_A 1.3` */
export function formatLosses(losses: Record<string, number> | undefined): string {
  if (!losses) return "";
  return Object.entries(losses)
    .map(([k, v]) => `${k} ${formatLoss(v)}`)
    .join(" ");
}

/** `42s`, `4m05s`, `3h21m`, `2d03h`; `--` when unknown. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

/** `16.1 it/s`, `3.25 it/s`, `2.40 s/it`; `-- it/s` when unknown. */
export function formatRate(itPerSec: number | undefined): string {
  if (itPerSec === undefined || !Number.isFinite(itPerSec) || itPerSec <= 0) return "-- it/s";
  if (itPerSec >= 1) return `${itPerSec.toFixed(itPerSec < 10 ? 2 : 1)} it/s`;
  return `${(1 / itPerSec).toFixed(2)} s/it`;
}

// ---------------------------------------------------------------- cli-progress (no bundled types)

interface CliBar {
  start(total: number, startValue: number, payload?: object): void;
  update(value: number, payload?: object): void;
  setTotal(total: number): void;
  stop(): void;
  /** internal: draw now (SingleBar.render) */
  render(): void;
  /** internal: the last line drawn; cleared to force a redraw after a message */
  lastDrawnString: string | null;
}
interface CliProgressModule {
  SingleBar: new (options: object) => CliBar;
  Format: { BarFormat: (progress: number, options: object) => string };
}
const cliProgress = createRequire(import.meta.url)("cli-progress") as CliProgressModule;

// ---------------------------------------------------------------- the reporter

export class ProgressReporter {
  readonly tty: boolean;
  private readonly stream: ProgressStream;
  private readonly clock: () => number;
  private readonly epochs: number;
  private readonly ipe: number;
  private readonly everyIt: number;
  private readonly everyMs: number;
  private readonly frameMs: number;
  private readonly windowMs: number;
  private readonly label: string;

  private bar: CliBar | undefined;
  private started = false;
  private ended = false;
  private t0 = 0;
  private doneAtStart = 0;
  private epoch = 1;
  private iteration = 0;
  private losses: Record<string, number> | undefined;
  private samples: [number, number][] = []; // [time ms, global iterations done]
  private lastLog = 0;
  private lastDraw = -Infinity;
  private epochT0 = 0;
  private epochDone0 = 0;
  private epochEnded = false;
  /** the snapshot the bar shows: set together at each draw */
  private text = "";
  private barEpoch = 1;

  constructor(options: ProgressOptions) {
    this.stream = options.stream ?? defaultProgressStream();
    this.clock = options.clock ?? (() => performance.now());
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.epochs = Math.max(1, options.epochs);
    this.ipe = Math.max(1, options.itersPerEpoch);
    this.everyIt = Math.max(0, Math.floor(options.logEveryIterations ?? 0));
    this.everyMs = Math.max(0, (options.logEverySeconds ?? 30) * 1000);
    this.frameMs = 1000 / Math.max(0.1, options.fps ?? 5);
    this.windowMs = Math.max(1, (options.rateWindowSeconds ?? 20) * 1000);
    this.label = options.label ?? "train";
  }

  /** The total number of iterations of the run. */
  get totalIterations(): number {
    return this.epochs * this.ipe;
  }

  private get done(): number {
    return (this.epoch - 1) * this.ipe + this.iteration;
  }

  /**
   * Start (or resume at `at`: the epoch and the iterations already done in it; a run resumed
   * at the start of epoch 4 is `{epoch: 4, iteration: 0}`).
   */
  start(at: { epoch: number; iteration: number } = { epoch: 1, iteration: 0 }): void {
    if (this.started) return;
    this.started = true;
    this.epoch = at.epoch;
    this.iteration = at.iteration;
    const now = this.clock();
    this.t0 = this.lastLog = this.epochT0 = now;
    this.doneAtStart = this.epochDone0 = this.done;
    this.samples = [[now, this.done]];
    const resumed = this.done > 0 ? ` (resuming at epoch ${this.epoch}, iteration ${this.iteration})` : "";
    const intro = `${this.epochs} epochs × ${this.ipe} iterations${resumed}`;
    if (this.tty) {
      this.stream.write(`${intro}\n`);
      // cli-progress saves the cursor position at start and restores it at stop; after
      // message lines were printed above the bar that would jump back up and overwrite them,
      // so those two escapes are dropped on their way to the terminal.
      const real = this.stream;
      const barStream = {
        isTTY: true,
        get columns() {
          return real.columns;
        },
        write: (s: string) => (s === "\x1b7" || s === "\x1b8" ? true : real.write(s)),
      };
      this.bar = new cliProgress.SingleBar({
        stream: barStream,
        format: (options: object, params: { progress: number }) =>
          this.fit(`epoch ${this.barEpoch}/${this.epochs} [${cliProgress.Format.BarFormat(params.progress, options)}] ${this.text}`),
        barsize: 20,
        barCompleteChar: "#",
        barIncompleteChar: "-",
        fps: 1000 / this.frameMs,
        synchronousUpdate: false, // we decide when to draw, by the injected clock
        linewrap: true, // don't send the disable-wrapping escape (a crash would leave it set)
        hideCursor: false,
        gracefulExit: false,
        clearOnComplete: false,
      });
      this.snapshot();
      this.bar.start(this.ipe, this.iteration);
      this.lastDraw = now;
    } else {
      this.stream.write(`[${this.label}] ${intro}\n`);
    }
  }

  /** After each iteration. */
  update(u: ProgressUpdate): void {
    if (!this.started) this.start({ epoch: u.epoch, iteration: Math.max(0, u.iteration - 1) });
    if (this.ended) return;
    if (u.epoch !== this.epoch && !this.epochEnded) {
      // a new epoch without endEpoch(): the new epoch started at the previous update
      this.epochT0 = this.samples.at(-1)?.[0] ?? this.clock();
      this.epochDone0 = (u.epoch - 1) * this.ipe;
    }
    this.epochEnded = false;
    this.epoch = u.epoch;
    this.iteration = u.iteration;
    if (u.losses) this.losses = u.losses;
    const now = this.clock();
    this.samples.push([now, this.done]);
    while (this.samples.length > 2 && now - this.samples[1]![0] >= this.windowMs) this.samples.shift();

    if (this.tty) {
      if (now - this.lastDraw >= this.frameMs || u.iteration >= this.ipe) {
        this.snapshot();
        this.bar!.update(this.iteration);
        this.bar!.render();
        this.lastDraw = now;
      }
      // between draws the bar is left alone, so its own timer redraws the same snapshot
    } else {
      const byCount = this.everyIt > 0 && this.done % this.everyIt === 0;
      const byTime = this.everyMs > 0 && now - this.lastLog >= this.everyMs;
      if (byCount || byTime) {
        this.stream.write(`[${this.label}] ${this.statusText(true)}\n`);
        this.lastLog = now;
      }
    }
  }

  /** At the end of an epoch: one line with the epoch's time, speed and the latest losses. */
  endEpoch(losses?: Record<string, number>): void {
    if (!this.started || this.ended) return;
    if (losses) this.losses = losses;
    const now = this.clock();
    const n = this.done - this.epochDone0;
    const secs = (now - this.epochT0) / 1000;
    const rate = secs > 0 ? n / secs : undefined;
    const l = formatLosses(this.losses);
    this.message(`epoch ${this.epoch}/${this.epochs} done: ${n} it in ${formatDuration(secs)} (${formatRate(rate)})${l ? ` | ${l}` : ""}`);
    this.epochT0 = now;
    this.epochDone0 = this.done;
    this.epochEnded = true;
    this.lastLog = now;
  }

  /** Print a line (above the bar on a TTY). */
  message(text: string): void {
    if (this.tty && this.bar && !this.ended) {
      this.stream.write(`\r\x1b[2K${text}\n`);
      this.bar.lastDrawnString = ""; // force the bar to be drawn again under the message
      this.snapshot();
      this.bar.update(this.iteration);
      this.bar.render();
      this.lastDraw = this.clock();
    } else {
      this.stream.write(this.tty ? `${text}\n` : `[${this.label}] ${text}\n`);
    }
  }

  /** Stop the bar and print the summary line. Call it in a `finally` (the bar holds a timer). */
  finish(end: ProgressEnd = { state: "finished" }): void {
    if (this.ended) return;
    const now = this.clock();
    if (this.bar) {
      this.snapshot();
      this.bar.update(this.iteration);
      this.bar.stop(); // final draw + newline, clears its timer
      this.bar = undefined;
    }
    this.ended = true;
    const secs = (now - this.t0) / 1000;
    const n = this.done - this.doneAtStart;
    const rate = secs > 0 ? n / secs : undefined;
    const l = formatLosses(this.losses);
    let line: string;
    if (end.state === "finished") {
      line = `finished: ${this.epochs} epochs, ${n} iterations in ${formatDuration(secs)} (${formatRate(rate)})`;
    } else {
      const why = end.error ? `: ${end.error.split("\n")[0]}` : "";
      line = `stopped at epoch ${this.epoch}/${this.epochs}, iteration ${this.iteration}/${this.ipe} after ${formatDuration(secs)} (${formatRate(rate)})${why}`;
    }
    if (l) line += ` | ${l}`;
    this.stream.write(this.tty ? `${line}\n` : `[${this.label}] ${line}\n`);
  }

  /** it/s over the rate window, undefined before the first timed iteration. */
  rate(): number | undefined {
    const a = this.samples[0], b = this.samples.at(-1);
    if (!a || !b || b[0] <= a[0] || b[1] <= a[1]) return undefined;
    return ((b[1] - a[1]) * 1000) / (b[0] - a[0]);
  }

  /** Seconds left for the whole run at the current rate. */
  eta(): number | undefined {
    const r = this.rate();
    return r ? (this.totalIterations - this.done) / r : undefined;
  }

  private statusText(plain = false): string {
    const l = formatLosses(this.losses);
    const pct = ((100 * this.done) / this.totalIterations).toFixed(1);
    const head = plain
      ? `epoch ${this.epoch}/${this.epochs} it ${this.iteration}/${this.ipe} (${this.done}/${this.totalIterations}, ${pct}%) | `
      : `${this.iteration}/${this.ipe} | `;
    return `${head}${formatRate(this.rate())} | ETA ${formatDuration(this.eta())}${l ? ` | ${l}` : ""}`;
  }

  private snapshot(): void {
    this.text = this.statusText();
    this.barEpoch = this.epoch;
  }

  /** Cut a bar line to the terminal width (no wrapping). */
  private fit(s: string): string {
    const cols = this.stream.columns && this.stream.columns > 10 ? this.stream.columns : 80;
    return s.length > cols - 1 ? s.slice(0, Math.max(1, cols - 2)) + "…" : s;
  }
}
