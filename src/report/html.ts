/**
 * HTML pages that open from disk with no server and load nothing from elsewhere: all CSS is
 * inline, the loss curves are inline SVG, images are files next to the page referenced by
 * relative paths. Every user-provided string (spec name, command line, error, labels, config,
 * file names) is escaped.
 *
 * - `writeRunReport(runDir, info)` → `<runDir>/index.html`: run header and status, loss
 *   curves, latest loss values, sample grids by epoch (newest first) with column labels,
 *   and the run's config. Meant to be re-written during training (atomically: temp file +
 *   rename); while the run is `running` the page reloads itself every `refreshSeconds`.
 * - `writeTranslatePage(outDir, pairs)` → `<outDir>/index.html`: one row per image (name,
 *   input, output), like the HTML page of the official CycleGAN test script.
 */
import { isAbsolute, join, relative } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import { escapeHtml, urlPath } from "./escape.js";
import type { GridLayout } from "./grid.js";
import type { MetricsRecord, LearningRate } from "./metrics.js";
import { formatTick, inferLossGroups, renderLossChart, type LossGroup, type PlotOptions } from "./plot.js";

export const REPORT_FILE = "index.html";

export type RunState = "running" | "finished" | "stopped";

export interface RunStatus {
  state: RunState;
  /** for "stopped": what stopped it (an error message or stack, "interrupted (SIGINT)", …) */
  error?: string;
  endTime?: Date | string;
}

export interface RunHeader {
  specName: string;
  specHash: string;
  backend: string;
  startTime: Date | string;
  /** the IR file trained */
  irPath?: string;
  /** the command line, as typed (string) or as argv (quoted for display) */
  command?: string | readonly string[];
}

/** A sample grid PNG in the run directory and what its columns are. */
export interface SampleGridRef {
  /** the PNG, relative to the run directory (an absolute path is made relative) */
  file: string;
  /** column labels, e.g. ["real_A", "fake_B", "rec_A"] */
  labels: readonly string[];
  /** from `writeGridPng`; places the labels over their columns */
  layout: Pick<GridLayout, "width" | "height" | "columns" | "cellWidth" | "gap"> & { scale?: number };
  /** shown under the grid, e.g. "A → B → A" */
  caption?: string;
}

export interface SampleEpoch {
  epoch: number;
  iteration?: number;
  grids: readonly SampleGridRef[];
}

export interface RunProgress {
  epoch: number;
  epochs: number;
  /** global iteration */
  iteration: number;
  totalIterations?: number;
}

export interface RunReportInfo {
  header: RunHeader;
  status: RunStatus;
  records?: readonly MetricsRecord[];
  /** default: all logged terms in one group */
  lossGroups?: readonly LossGroup[];
  samples?: readonly SampleEpoch[];
  /** the run's configuration (any JSON-able value), shown as JSON */
  config?: unknown;
  progress?: RunProgress;
  /** chart files to link next to each inline chart (paths relative to the run directory) */
  curveFiles?: readonly { group: string; svg?: string; png?: string }[];
  plot?: PlotOptions;
  /** while running, reload every N seconds (default 60; 0 = never) */
  refreshSeconds?: number;
  /** when the page was written (default now) */
  updated?: Date;
}

// ---------------------------------------------------------------- helpers

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 0; color: #222; background: #fafafa; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
nav { font-size: 13px; margin-bottom: 8px; } nav a { margin-right: 12px; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
table.meta th { background: #f3f3f3; font-weight: 600; white-space: nowrap; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
pre { background: #fff; border: 1px solid #ddd; padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; font-size: 12px; }
.status.running { background: #1f6feb; } .status.finished { background: #2da44e; } .status.stopped { background: #cf222e; }
.charts svg { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid #ddd; margin-bottom: 4px; }
.files { font-size: 12px; margin: 0 0 14px; }
figure.grid { margin: 0 0 14px; display: inline-block; vertical-align: top; margin-right: 18px; width: 100%; }
figure.grid .labels { display: flex; font-size: 12px; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
figure.grid .labels span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; text-align: center; flex: none; }
figure.grid img { display: block; width: 100%; height: auto; background: #fff; }
figure.grid img.pixelated { image-rendering: pixelated; }
figcaption { font-size: 12px; color: #555; }
.muted { color: #777; } .nonfinite { color: #cf222e; font-weight: 600; }
table.pairs td { text-align: center; } table.pairs img { display: block; max-width: 100%; height: auto; }
`;

function dateText(d: Date | string | undefined): string {
  if (d === undefined) return "";
  if (typeof d === "string") return d;
  return Number.isNaN(d.getTime()) ? String(d) : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

/** argv as one shell-like line (arguments with special characters single-quoted). */
export function quoteCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

function num(v: number | undefined): string {
  if (v === undefined) return "";
  if (!Number.isFinite(v)) return `<span class="nonfinite">${String(v)}</span>`;
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

function lrText(lr: LearningRate | undefined): string {
  if (lr === undefined) return "";
  if (typeof lr === "number") return formatTick(lr);
  return Object.entries(lr).map(([k, v]) => `${k} ${formatTick(v)}`).join(", ");
}

function duration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return "";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m ${String(sec).padStart(2, "0")}s` : `${sec}s`;
}

function jsonText(v: unknown): string {
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? x.toString() : x), 2);
    return s === undefined ? String(v) : s;
  } catch {
    return String(v);
  }
}

/** A path for an href/src: made relative to `base` when absolute, URL-encoded, escaped. */
function href(path: string, base: string | undefined): string {
  const rel = base !== undefined && isAbsolute(path) ? relative(base, path) : path;
  return escapeHtml(urlPath(rel));
}

function page(title: string, body: string, headExtra = ""): string {
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n${headExtra}` +
    `<title>${escapeHtml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n<main>\n${body}\n</main>\n</body>\n</html>\n`
  );
}

// ---------------------------------------------------------------- run report

function headerSection(info: RunReportInfo): string {
  const { header: h, status, progress, records } = info;
  const rows: [string, string][] = [];
  const statusHtml =
    `<span class="status ${status.state}">${escapeHtml(status.state)}</span>` +
    (status.endTime !== undefined ? ` <span class="muted">at ${escapeHtml(dateText(status.endTime))}</span>` : "");
  rows.push(["status", statusHtml]);
  rows.push(["spec", escapeHtml(h.specName)]);
  rows.push(["spec hash", `<code>${escapeHtml(h.specHash)}</code>`]);
  rows.push(["backend", escapeHtml(h.backend)]);
  rows.push(["started", escapeHtml(dateText(h.startTime))]);
  if (h.irPath !== undefined) rows.push(["IR", `<code>${escapeHtml(h.irPath)}</code>`]);
  if (h.command !== undefined) {
    const cmd = typeof h.command === "string" ? h.command : quoteCommand(h.command);
    rows.push(["command", `<code>${escapeHtml(cmd)}</code>`]);
  }
  if (progress) {
    let p = `epoch ${progress.epoch} / ${progress.epochs}, iteration ${progress.iteration}`;
    if (progress.totalIterations) p += ` / ${progress.totalIterations}`;
    rows.push(["progress", escapeHtml(p)]);
  }
  const last = records?.at(-1);
  if (last) {
    rows.push(["training time", escapeHtml(duration(last.time))]);
    // held-out evaluation records carry no lr: show the latest training record's
    let lr: LearningRate | undefined;
    for (let i = records!.length - 1; i >= 0 && lr === undefined; i--) lr = records![i]!.lr;
    if (lr !== undefined) rows.push(["learning rate", escapeHtml(lrText(lr))]);
  }
  rows.push(["page updated", escapeHtml(dateText(info.updated ?? new Date()))]);
  let out = `<table class="meta">\n${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join("\n")}\n</table>`;
  if (status.state === "stopped" && status.error) out += `\n<h3>error</h3>\n<pre class="error">${escapeHtml(status.error)}</pre>`;
  return out;
}

function curvesSection(info: RunReportInfo, groups: readonly LossGroup[], base: string | undefined): string {
  const records = info.records ?? [];
  if (records.length === 0) return `<p class="muted">no metrics yet</p>`;
  return groups
    .map((g) => {
      const svg = renderLossChart(records, g, { ...info.plot, standalone: false });
      const files = info.curveFiles?.find((f) => f.group === g.group);
      const links: string[] = [];
      if (files?.svg) links.push(`<a href="${href(files.svg, base)}">svg</a>`);
      if (files?.png) links.push(`<a href="${href(files.png, base)}">png</a>`);
      return svg + (links.length ? `<p class="files">${links.join(" · ")}</p>` : "");
    })
    .join("\n");
}

function lossTable(records: readonly MetricsRecord[], groups: readonly LossGroup[]): string {
  if (records.length === 0) return `<p class="muted">no metrics yet</p>`;
  const N = 100;
  const rows: string[] = [];
  for (const g of groups) {
    g.terms.forEach((term, i) => {
      let latest: number | undefined, latestIt: number | undefined, min: number | undefined;
      const recent: number[] = [];
      for (let k = records.length - 1; k >= 0; k--) {
        const v = records[k]!.losses[term];
        if (v === undefined) continue;
        if (latest === undefined) {
          latest = v;
          latestIt = records[k]!.iteration;
        }
        if (Number.isFinite(v) && recent.length < N) recent.push(v);
      }
      for (const r of records) {
        const v = r.losses[term];
        if (v !== undefined && Number.isFinite(v) && (min === undefined || v < min)) min = v;
      }
      const mean = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : undefined;
      rows.push(
        `<tr>${i === 0 ? `<th rowspan="${g.terms.length}">${escapeHtml(g.group)}</th>` : ""}` +
          `<td><code>${escapeHtml(term)}</code></td><td class="num">${num(latest)}</td><td class="num">${num(mean)}</td>` +
          `<td class="num">${num(min)}</td><td class="num">${latestIt ?? ""}</td></tr>`,
      );
    });
  }
  return (
    `<table class="losses">\n<tr><th>loss</th><th>term</th><th>latest</th><th>mean of last ${N}</th><th>min</th><th>iteration</th></tr>\n` +
    rows.join("\n") +
    `\n</table>`
  );
}

/**
 * The held-out evaluation, one row per evaluation (records without `lr`: the test-split L1,
 * style scores, …), so measures can be read side by side per epoch; "—" where one is missing.
 */
function evaluationTable(records: readonly MetricsRecord[]): string {
  const evals = records.filter((r) => r.lr === undefined);
  if (evals.length === 0) return "";
  const terms: string[] = [];
  for (const r of evals) for (const k of Object.keys(r.losses)) if (!terms.includes(k)) terms.push(k);
  const head = `<tr><th>epoch</th><th>iteration</th>${terms.map((t) => `<th><code>${escapeHtml(t)}</code></th>`).join("")}</tr>`;
  const rows = evals.map((r) => `<tr><td class="num">${r.epoch}</td><td class="num">${r.iteration}</td>${terms.map((t) => `<td class="num">${r.losses[t] === undefined ? "—" : num(r.losses[t])}</td>`).join("")}</tr>`);
  return `<h2 id="heldout">Held-out evaluation per epoch</h2>\n<table class="losses heldout">\n${head}\n${rows.join("\n")}\n</table>`;
}

function gridFigure(g: SampleGridRef, base: string | undefined): string {
  const L = g.layout;
  const pct = (v: number) => `${((v / L.width) * 100).toFixed(4)}%`;
  const labels = Array.from({ length: L.columns }, (_, c) => {
    const style = `width:${pct(L.cellWidth)};margin-right:${c < L.columns - 1 ? pct(L.gap) : "0"}`;
    const text = escapeHtml(g.labels[c] ?? "");
    return `<span style="${style}" title="${text}">${text}</span>`;
  }).join("");
  const alt = escapeHtml(g.labels.join(" | "));
  const cls = (L.scale ?? 1) > 1 ? ` class="pixelated"` : "";
  return (
    `<figure class="grid" style="max-width:${L.width}px">` +
    `<div class="labels">${labels}</div>` +
    `<img src="${href(g.file, base)}" width="${L.width}" height="${L.height}" alt="${alt}" loading="lazy"${cls}>` +
    (g.caption !== undefined ? `<figcaption>${escapeHtml(g.caption)}</figcaption>` : "") +
    `</figure>`
  );
}

function samplesSection(samples: readonly SampleEpoch[], base: string | undefined): string {
  if (samples.length === 0) return `<p class="muted">no samples yet</p>`;
  const sorted = [...samples].sort((a, b) => b.epoch - a.epoch || (b.iteration ?? 0) - (a.iteration ?? 0));
  return sorted
    .map((s) => {
      const title = `epoch ${s.epoch}` + (s.iteration !== undefined ? ` · iteration ${s.iteration}` : "");
      return `<section class="epoch" id="epoch-${s.epoch}">\n<h3>${escapeHtml(title)}</h3>\n${s.grids.map((g) => gridFigure(g, base)).join("\n")}\n</section>`;
    })
    .join("\n");
}

/**
 * The run report as an HTML string. `runDir`, when given, is used to make absolute file paths
 * relative.
 */
export function renderRunReport(info: RunReportInfo, runDir?: string): string {
  const records = info.records ?? [];
  const groups = info.lossGroups ?? inferLossGroups(records);
  const refresh = info.refreshSeconds ?? 60;
  const head = info.status.state === "running" && refresh > 0 ? `<meta http-equiv="refresh" content="${Math.round(refresh)}">\n` : "";
  const title = `${info.header.specName} — ${info.status.state}`;
  const body = [
    `<h1>${escapeHtml(info.header.specName)} <span class="status ${info.status.state}">${escapeHtml(info.status.state)}</span></h1>`,
    `<nav><a href="#curves">loss curves</a><a href="#losses">latest losses</a><a href="#samples">samples</a>${info.config !== undefined ? `<a href="#config">config</a>` : ""}</nav>`,
    headerSection(info),
    `<h2 id="curves">Loss curves</h2>`,
    `<div class="charts">\n${curvesSection(info, groups, runDir)}\n</div>`,
    `<h2 id="losses">Latest losses</h2>`,
    lossTable(records, groups),
    evaluationTable(records),
    `<h2 id="samples">Samples</h2>`,
    samplesSection(info.samples ?? [], runDir),
    info.config !== undefined ? `<h2 id="config">Config</h2>\n<pre>${escapeHtml(jsonText(info.config))}</pre>` : "",
  ].join("\n");
  return page(title, body, head);
}

/** Write `<runDir>/index.html` atomically; returns its path. */
export function writeRunReport(runDir: string, info: RunReportInfo): string {
  const path = join(runDir, REPORT_FILE);
  writeFileAtomic(path, renderRunReport(info, runDir));
  return path;
}

// ---------------------------------------------------------------- translate page

export interface TranslatePair {
  /** e.g. the input file's name */
  name: string;
  /** image paths: absolute, or relative to the output directory */
  input: string;
  output: string;
}

export interface TranslatePageOptions {
  title?: string;
  /** column headings (default "input", "output") */
  inputLabel?: string;
  outputLabel?: string;
  /** shown as a table above the images, e.g. {spec: …, checkpoint: …, direction: "A → B"} */
  info?: Record<string, string>;
  /** display width of each image in px (default: natural size, at most the column) */
  imageWidth?: number;
}

/** The translate page as an HTML string. */
export function renderTranslatePage(outDir: string, pairs: readonly TranslatePair[], options: TranslatePageOptions = {}): string {
  const title = options.title ?? "gancc translate";
  const w = options.imageWidth !== undefined ? ` width="${Math.round(options.imageWidth)}"` : "";
  const parts: string[] = [`<h1>${escapeHtml(title)}</h1>`];
  if (options.info && Object.keys(options.info).length) {
    parts.push(
      `<table class="meta">\n${Object.entries(options.info)
        .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
        .join("\n")}\n</table>`,
    );
  }
  parts.push(`<p class="muted">${pairs.length} image${pairs.length === 1 ? "" : "s"}</p>`);
  const rows = pairs.map((p) => {
    const name = escapeHtml(p.name);
    const img = (path: string, what: string) => {
      const src = href(path, outDir);
      return `<a href="${src}"><img src="${src}" alt="${name} ${what}"${w} loading="lazy"></a>`;
    };
    return `<tr><td><code>${name}</code></td><td>${img(p.input, "input")}</td><td>${img(p.output, "output")}</td></tr>`;
  });
  parts.push(
    `<table class="pairs">\n<tr><th>name</th><th>${escapeHtml(options.inputLabel ?? "input")}</th><th>${escapeHtml(options.outputLabel ?? "output")}</th></tr>\n` +
      rows.join("\n") +
      `\n</table>`,
  );
  return page(title, parts.join("\n"));
}

/** Write `<outDir>/index.html` atomically; returns its path. */
export function writeTranslatePage(outDir: string, pairs: readonly TranslatePair[], options: TranslatePageOptions = {}): string {
  const path = join(outDir, REPORT_FILE);
  writeFileAtomic(path, renderTranslatePage(outDir, pairs, options));
  return path;
}
