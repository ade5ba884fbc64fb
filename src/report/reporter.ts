/**
 * The run directory's report, glued together for the trainer: the metrics log, sample grid
 * PNGs, loss-curve SVG/PNG files and `index.html`, plus `report.json` (the report's own
 * state: header, status, the list of sample grids) so a resumed run keeps the earlier
 * epochs' samples on its page.
 *
 * Files written under the run directory:
 *   metrics.jsonl                  one record per logged iteration (metrics.ts)
 *   samples/epoch_0003_<name>.png  sample grids (grid.ts)
 *   curves/loss_<group>.svg|.png   loss curves (plot.ts)
 *   index.html                     the report (html.ts), also inlines the curves
 *   report.json                    this file's state
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import { writeGridPng, type GridImage, type GridOptions } from "./grid.js";
import { writeRunReport, type RunHeader, type RunStatus, type SampleEpoch, type SampleGridRef } from "./html.js";
import { MetricsWriter, type MetricsEntry, type MetricsRecord } from "./metrics.js";
import { inferLossGroups, slug, writeLossCharts, type LossGroup, type PlotOptions } from "./plot.js";

export const REPORT_STATE_FILE = "report.json";

export interface RunReporterOptions {
  header: RunHeader;
  /** the loss groups and their terms (from the IR); default: all logged terms in one group */
  lossGroups?: LossGroup[];
  /** shown on the page as JSON */
  config?: unknown;
  /** for the page's progress line */
  epochs?: number;
  itersPerEpoch?: number;
  /**
   * Resuming from a checkpoint taken after global iteration `iteration`: keep the metrics and
   * samples up to it, drop later ones. Without it the run starts from scratch (an existing
   * metrics file is emptied).
   */
  resume?: { iteration: number };
  grid?: GridOptions;
  plot?: PlotOptions;
  /** while running, the page reloads every N s (default 60; 0 = never) */
  refreshSeconds?: number;
  /** milliseconds, for metrics `time` (default performance.now) */
  clock?: () => number;
}

export interface SampleGridInput {
  /** file-name part, e.g. "A" or "AtoB" */
  name: string;
  /** column labels, e.g. ["real_A", "fake_B", "rec_A"] */
  labels: string[];
  /** one row per sample; null leaves a cell empty */
  rows: (GridImage | null)[][];
  caption?: string;
}

interface ReportState {
  version: 1;
  header: RunHeader;
  status: RunStatus;
  samples: SampleEpoch[];
}

export class RunReporter {
  readonly runDir: string;
  readonly metrics: MetricsWriter;
  private readonly options: RunReporterOptions;
  private samples: SampleEpoch[] = [];
  private status: RunStatus = { state: "running" };

  constructor(runDir: string, options: RunReporterOptions) {
    this.runDir = runDir;
    this.options = options;
    this.metrics = new MetricsWriter(runDir, { resume: options.resume !== undefined, clock: options.clock });
    if (options.resume) {
      this.metrics.truncateAfter(options.resume.iteration);
      const state = this.loadState();
      const it = options.resume.iteration;
      if (state) this.samples = state.samples.filter((s) => s.iteration === undefined || s.iteration <= it);
    }
  }

  /** Log one iteration's losses (see MetricsWriter.append). */
  log(entry: MetricsEntry): MetricsRecord {
    return this.metrics.append(entry);
  }

  get records(): readonly MetricsRecord[] {
    return this.metrics.records;
  }

  /**
   * Write this epoch's sample grids (`samples/epoch_0003_<name>.png`) and list them on the
   * page (replacing an earlier entry for the same epoch).
   */
  async addSamples(epoch: number, iteration: number | undefined, grids: SampleGridInput[]): Promise<SampleEpoch> {
    const refs: SampleGridRef[] = [];
    for (const g of grids) {
      const file = `samples/epoch_${String(epoch).padStart(4, "0")}_${slug(g.name)}.png`;
      const layout = await writeGridPng(join(this.runDir, file), g.rows, this.options.grid);
      const ref: SampleGridRef = { file, labels: [...g.labels], layout };
      if (g.caption !== undefined) ref.caption = g.caption;
      refs.push(ref);
    }
    const entry: SampleEpoch = { epoch, grids: refs };
    if (iteration !== undefined) entry.iteration = iteration;
    this.samples = this.samples.filter((s) => s.epoch !== epoch);
    this.samples.push(entry);
    this.saveState();
    return entry;
  }

  /** Re-write the curves, `index.html` and `report.json` (call once per epoch, and at the end). */
  async write(status?: RunStatus): Promise<string> {
    if (status) this.status = status;
    const records = this.metrics.records;
    const groups = this.options.lossGroups ?? inferLossGroups(records);
    const curveFiles: { group: string; svg: string; png: string }[] = [];
    if (records.length > 0) {
      const files = await writeLossCharts(join(this.runDir, "curves"), records, groups, this.options.plot);
      for (const f of files) {
        curveFiles.push({ group: f.group, svg: f.svgPath, png: f.pngPath });
      }
    }
    const last = records.at(-1);
    const { epochs, itersPerEpoch } = this.options;
    const path = writeRunReport(this.runDir, {
      header: this.options.header,
      status: this.status,
      records,
      lossGroups: groups,
      samples: this.samples,
      config: this.options.config,
      curveFiles,
      plot: this.options.plot,
      refreshSeconds: this.options.refreshSeconds,
      progress:
        last && epochs !== undefined
          ? {
              epoch: last.epoch,
              epochs,
              iteration: last.iteration,
              ...(itersPerEpoch !== undefined ? { totalIterations: epochs * itersPerEpoch } : {}),
            }
          : undefined,
    });
    this.saveState();
    return path;
  }

  /** Final write with status finished, or stopped with the error. */
  async finish(status: RunStatus = { state: "finished" }): Promise<string> {
    return this.write({ ...status, endTime: status.endTime ?? new Date() });
  }

  private loadState(): ReportState | undefined {
    const path = join(this.runDir, REPORT_STATE_FILE);
    if (!existsSync(path)) return undefined;
    try {
      const s = JSON.parse(readFileSync(path, "utf8")) as ReportState;
      return s && s.version === 1 && Array.isArray(s.samples) ? s : undefined;
    } catch {
      return undefined; // a damaged state only loses the old samples' listing
    }
  }

  private saveState(): void {
    const state: ReportState = { version: 1, header: this.options.header, status: this.status, samples: this.samples };
    writeFileAtomic(join(this.runDir, REPORT_STATE_FILE), JSON.stringify(state, null, 1) + "\n");
  }
}
