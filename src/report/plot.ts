/**
 * Loss curves as hand-written SVG (and PNG through sharp/librsvg): one chart per loss group
 * (`generator` terms together, `discriminator` terms together), iteration on x.
 *
 * - Each term is drawn twice in its colour: the raw values as a faint thin line, and a
 *   smoothed line over it. Smoothing is a centred moving average over a window of
 *   `options.smoothing` points (the window is cut at the ends, so the last smoothed value
 *   is the mean of the last ⌈window/2⌉ points); by default the window is about n/50 of
 *   the n points (odd, at least 1: no smoothing below 75 points), so a long noisy run gets
 *   about 50 independent averages across the chart. Unlike an exponential average a
 *   centred one does not lag behind a falling curve. Non-finite values are left out.
 * - y scale: `"auto"` (default) is logarithmic when every finite value is > 0 and they span
 *   more than two decades (max/min > 100), linear otherwise; `"log"` forces it (falling
 *   back to linear if some value is ≤ 0). The chosen scale is in the root's `data-yscale`.
 * - NaN/±Infinity values are left out of the lines (the raw line breaks there, the smoothed
 *   one carries on) and marked with a red × at the top (NaN, +Inf) or bottom (-Inf) edge;
 *   the legend counts them. A single point gets a dot; a constant series a flat line in
 *   the middle of a padded range; no data at all a "no data" note.
 * - Long runs are decimated to about two points per pixel column (the raw line keeps each
 *   column's min and max, so spikes stay visible), so the SVG stays small.
 *
 * The SVG elements tests and tools can rely on: `<path class="raw" data-term=…>`,
 * `<path class="smooth" data-term=…>` (one each per term with data),
 * `<path class="nonfinite" data-term=…>` (only when the term has non-finite values).
 */
import { join } from "node:path";
import sharp from "sharp";
import { writeFileAtomic } from "../io/atomic.js";
import { escapeHtml } from "./escape.js";
import type { MetricsRecord } from "./metrics.js";

/** A loss and its logged terms, e.g. `{group: "generator", terms: ["gan_A", "cycle_A", …]}`. */
export interface LossGroup {
  group: string;
  terms: string[];
}

export interface PlotOptions {
  /** SVG size in px (default 640 × 300; the height grows if the legend needs rows) */
  width?: number;
  height?: number;
  /** moving-average window in points (1 = no smoothing); default "auto" (see the file comment) */
  smoothing?: number | "auto";
  /** default "auto" */
  yScale?: "auto" | "linear" | "log";
  /** chart title; default the group name */
  title?: string;
  /** include the xmlns attribute (needed for a standalone .svg file; default true) */
  standalone?: boolean;
}

export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
];
const NONFINITE_COLOR = "#d00000";
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

/** All terms of the records in one group named "losses" (first-seen order), for when the trainer has no grouping. */
export function inferLossGroups(records: readonly MetricsRecord[], group = "losses"): LossGroup[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r.losses)) seen.add(k);
  return seen.size ? [{ group, terms: [...seen] }] : [];
}

/** The automatic moving-average window for n points (odd, ≥ 1). */
export function autoWindow(n: number): number {
  return 2 * Math.floor(Math.max(1, Math.round(n / 50)) / 2) + 1;
}

/**
 * Centred moving average: out[i] = mean(ys[i-h .. i+h]) with h = ⌊window/2⌋, the range cut
 * at both ends. window ≤ 1 returns a copy.
 */
export function movingAverage(ys: readonly number[], window: number): number[] {
  const h = Math.floor(Math.max(1, window) / 2);
  if (h === 0) return [...ys];
  const prefix = new Float64Array(ys.length + 1);
  for (let i = 0; i < ys.length; i++) prefix[i + 1] = prefix[i]! + ys[i]!;
  const out: number[] = [];
  for (let i = 0; i < ys.length; i++) {
    const a = Math.max(0, i - h), b = Math.min(ys.length, i + h + 1);
    out.push((prefix[b]! - prefix[a]!) / (b - a));
  }
  return out;
}

/** [min, max] of a non-empty array. */
function extent(values: readonly number[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function roundTo(v: number): number {
  return Number(v.toPrecision(12));
}

/** "Nice" step (1, 2, 5 × 10^k) for about `count` intervals over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/** Ticks at multiples of a nice step inside [lo, hi]. */
export function linearTicks(lo: number, hi: number, count = 5, minStep = 0): number[] {
  if (!(hi > lo)) return [lo];
  const step = Math.max(niceStep(hi - lo, count), minStep);
  const out: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) out.push(roundTo(i * step));
  return out;
}

/** Short tick/number label: `0`, `0.25`, `1200`, `1e-5`, `2.5e6`. */
export function formatTick(v: number): string {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential().replace(/\.?0+e/, "e").replace("e+", "e");
  return String(Number(v.toPrecision(6)));
}

interface Scale {
  kind: "linear" | "log";
  lo: number;
  hi: number;
  ticks: number[];
  map(v: number): number;
}

function yScaleFor(min: number, max: number, kind: "auto" | "linear" | "log", top: number, bottom: number): Scale {
  let lo = min, hi = max;
  const allPositive = lo > 0;
  const useLog = allPositive && (kind === "log" || (kind === "auto" && hi / lo > 100));
  if (useLog) {
    const l0 = Math.floor(Math.log10(lo));
    let l1 = Math.ceil(Math.log10(hi));
    if (l1 === l0) l1 = l0 + 1;
    const ticks: number[] = [];
    const mults = l1 - l0 <= 2 ? [1, 2, 5] : [1];
    for (let k = l0; k <= l1; k++) for (const m of mults) if (k < l1 || m === 1) ticks.push(roundTo(m * 10 ** k));
    const a = l0, b = l1;
    return {
      kind: "log", lo: 10 ** a, hi: 10 ** b, ticks,
      map: (v) => bottom - ((Math.log10(v) - a) / (b - a)) * (bottom - top),
    };
  }
  if (hi === lo) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad;
    hi += pad;
  }
  // a little room so extreme points do not sit on the frame (not below 0 for ≥ 0 data)
  const pad = (hi - lo) * 0.04;
  lo = lo >= 0 ? Math.max(0, lo - pad) : lo - pad;
  hi += pad;
  const step = niceStep(hi - lo, 5);
  lo = roundTo(Math.floor(lo / step) * step);
  hi = roundTo(Math.ceil(hi / step) * step);
  const a = lo, b = hi;
  return {
    kind: "linear", lo: a, hi: b, ticks: linearTicks(a, b, 5),
    map: (v) => bottom - ((v - a) / (b - a)) * (bottom - top),
  };
}

function fmt(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/**
 * Indices of the points of x[from..to) to draw: all of them when there are few, else about
 * two per pixel column (each column's min and max, in x order, so spikes survive).
 */
function decimateRaw(x: readonly number[], y: readonly number[], from: number, to: number, toPx: (x: number) => number, maxPts: number): number[] {
  const out: number[] = [];
  if (to - from <= maxPts) {
    for (let i = from; i < to; i++) out.push(i);
    return out;
  }
  let i = from;
  while (i < to) {
    const col = Math.round(toPx(x[i]!));
    let lo = i, hi = i, j = i;
    while (j < to && Math.round(toPx(x[j]!)) === col) {
      if (y[j]! < y[lo]!) lo = j;
      if (y[j]! > y[hi]!) hi = j;
      j++;
    }
    out.push(Math.min(lo, hi));
    if (hi !== lo) out.push(Math.max(lo, hi));
    i = j;
  }
  return out;
}

/** Indices of x[0..n) to draw for a smooth line: the first point and the last of each pixel column. */
function decimateSmooth(x: readonly number[], toPx: (x: number) => number, maxPts: number): number[] {
  const n = x.length;
  const out: number[] = [];
  if (n <= maxPts) {
    for (let i = 0; i < n; i++) out.push(i);
    return out;
  }
  out.push(0);
  let col = Math.round(toPx(x[1]!));
  for (let i = 1; i < n; i++) {
    const next = i + 1 < n ? Math.round(toPx(x[i + 1]!)) : NaN;
    if (next !== col) out.push(i);
    col = next;
  }
  return out;
}

function pathData(runs: number[][], x: readonly number[], y: readonly number[], mx: (x: number) => number, my: (y: number) => number): string {
  const parts: string[] = [];
  for (const run of runs) {
    run.forEach((k, i) => parts.push(`${i === 0 ? "M" : "L"}${fmt(mx(x[k]!))} ${fmt(my(y[k]!))}`));
  }
  return parts.join("");
}

interface TermData {
  term: string;
  color: string;
  /** the finite points, in x order (plain arrays: long runs have ~10⁵ points per term) */
  x: number[];
  y: number[];
  /** where each unbroken run of finite points starts in x/y (non-finite values break the line) */
  segStart: number[];
  nonFinite: { x: number; value: number }[];
}

function collect(records: readonly MetricsRecord[], terms: string[]): { data: TermData[]; xs: number[] } {
  let sorted = records;
  for (let i = 1; i < records.length; i++) {
    if (records[i]!.iteration < records[i - 1]!.iteration) {
      sorted = [...records].sort((a, b) => a.iteration - b.iteration);
      break;
    }
  }
  const xs: number[] = [];
  const data = terms.map((term, i): TermData => ({
    term, color: PALETTE[i % PALETTE.length]!, x: [], y: [], segStart: [], nonFinite: [],
  }));
  const broken = data.map(() => true); // the next finite point starts a new run
  for (const r of sorted) {
    let any = false;
    for (let i = 0; i < data.length; i++) {
      const d = data[i]!;
      const v = r.losses[d.term];
      if (v === undefined) continue;
      any = true;
      if (Number.isFinite(v)) {
        if (broken[i]) d.segStart.push(d.x.length);
        d.x.push(r.iteration);
        d.y.push(v);
        broken[i] = false;
      } else {
        d.nonFinite.push({ x: r.iteration, value: v });
        broken[i] = true;
      }
    }
    if (any) xs.push(r.iteration);
  }
  return { data, xs };
}

/** Estimated text width in px for the legend layout (no font metrics at hand). */
function textWidth(s: string, size: number): number {
  return s.length * size * 0.6;
}

/** One loss group's chart as an SVG document (string). */
export function renderLossChart(records: readonly MetricsRecord[], group: LossGroup, options: PlotOptions = {}): string {
  const W = options.width ?? 640;
  let H = options.height ?? 300;
  const title = options.title ?? group.group;
  const { data, xs } = collect(records, group.terms);
  const left = 64, right = 16, bottomMargin = 42;

  // legend: items flow in rows under the title
  const nNonFinite = data.reduce((s, d) => s + d.nonFinite.length, 0);
  const legendItems = data.map((d) => ({ label: d.term, color: d.color, nonfinite: false }));
  if (nNonFinite > 0) legendItems.push({ label: `non-finite (${nNonFinite})`, color: NONFINITE_COLOR, nonfinite: true });
  const rowH = 16;
  const legendTop = 36;
  const legendPos: { x: number; row: number }[] = [];
  let lx = left, row = 0;
  for (const it of legendItems) {
    const w = 22 + textWidth(it.label, 12) + 14;
    if (lx + w > W - right && lx > left) {
      row++;
      lx = left;
    }
    legendPos.push({ x: lx, row });
    lx += w;
  }
  const legendRows = legendItems.length ? row + 1 : 0;
  const top = legendTop + legendRows * rowH + 4;
  if (H - top - bottomMargin < 80) H = top + bottomMargin + 80;
  const bottom = H - bottomMargin;
  const plotRight = W - right;

  const out: string[] = [];
  const xmlns = options.standalone === false ? "" : ` xmlns="http://www.w3.org/2000/svg"`;
  const push = (s: string) => out.push(s);

  // scales
  let ylo = Infinity, yhi = -Infinity;
  for (const d of data) {
    if (d.y.length === 0) continue;
    const [a, b] = extent(d.y);
    ylo = Math.min(ylo, a);
    yhi = Math.max(yhi, b);
  }
  let ys: Scale | undefined;
  if (ylo <= yhi) ys = yScaleFor(ylo, yhi, options.yScale ?? "auto", top, bottom);
  let [x0, x1] = xs.length ? extent(xs) : [0, 1];
  if (x1 === x0) {
    x0 -= 1;
    x1 += 1;
  }
  const mx = (x: number) => left + ((x - x0) / (x1 - x0)) * (plotRight - left);
  const n = data.reduce((m, d) => Math.max(m, d.x.length), 0);
  const win =
    options.smoothing === undefined || options.smoothing === "auto" ? autoWindow(n) : Math.max(1, Math.round(options.smoothing));

  push(
    `<svg${xmlns} class="loss-chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="${FONT}" data-group="${escapeHtml(group.group)}" data-yscale="${ys?.kind ?? "linear"}" ` +
      `data-smoothing="${win}" role="img" aria-label="${escapeHtml(`${title} loss curves`)}">`,
  );
  push(`<title>${escapeHtml(title)}</title>`);
  push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  push(`<text x="${left}" y="20" font-size="14" font-weight="bold" fill="#222">${escapeHtml(title)}</text>`);

  // legend
  legendItems.forEach((it, i) => {
    const { x, row } = legendPos[i]!;
    const y = legendTop + row * rowH;
    if (it.nonfinite) {
      push(`<path d="M${x + 7} ${y - 7}l6 6m0 -6l-6 6" stroke="${NONFINITE_COLOR}" stroke-width="1.6" fill="none"/>`);
    } else {
      push(`<line x1="${x}" y1="${y - 4}" x2="${x + 18}" y2="${y - 4}" stroke="${it.color}" stroke-width="2.5"/>`);
    }
    push(`<text x="${x + 22}" y="${y}" font-size="12" fill="#333">${escapeHtml(it.label)}</text>`);
  });

  // frame
  push(`<rect x="${left}" y="${top}" width="${plotRight - left}" height="${bottom - top}" fill="none" stroke="#bbb"/>`);

  if (!ys) {
    push(
      `<text x="${(left + plotRight) / 2}" y="${(top + bottom) / 2}" font-size="13" fill="#888" text-anchor="middle">` +
        `${nNonFinite ? "no finite values" : "no data"}</text>`,
    );
  } else {
    const my = ys.map;
    // y grid + labels
    for (const t of ys.ticks) {
      const y = fmt(my(t));
      push(`<line x1="${left}" y1="${y}" x2="${plotRight}" y2="${y}" stroke="#e6e6e6"/>`);
      push(`<text x="${left - 6}" y="${y}" dy="4" font-size="11" fill="#444" text-anchor="end">${formatTick(t)}</text>`);
    }
    // x ticks + labels (integer iterations)
    for (const t of linearTicks(x0, x1, 6, 1)) {
      const x = fmt(mx(t));
      push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="#888"/>`);
      push(`<text x="${x}" y="${bottom + 17}" font-size="11" fill="#444" text-anchor="middle">${formatTick(t)}</text>`);
    }
    push(`<text x="${(left + plotRight) / 2}" y="${H - 6}" font-size="12" fill="#333" text-anchor="middle">iteration</text>`);
    const yl = ys.kind === "log" ? "loss (log scale)" : "loss";
    push(`<text transform="translate(14 ${(top + bottom) / 2}) rotate(-90)" font-size="12" fill="#333" text-anchor="middle">${yl}</text>`);

    const maxPts = 2 * (plotRight - left);
    // all raw lines first, then the smoothed ones over them
    const smooth: string[] = [];
    for (const d of data) {
      if (d.x.length === 0) continue;
      const term = escapeHtml(d.term);
      const runs = d.segStart.map((a, k) => decimateRaw(d.x, d.y, a, d.segStart[k + 1] ?? d.x.length, mx, maxPts));
      push(
        `<path class="raw" data-term="${term}" d="${pathData(runs, d.x, d.y, mx, my)}" fill="none" stroke="${d.color}" ` +
          `stroke-opacity="0.3" stroke-width="1" stroke-linejoin="round"/>`,
      );
      const sm = movingAverage(d.y, win);
      smooth.push(
        `<path class="smooth" data-term="${term}" d="${pathData([decimateSmooth(d.x, mx, maxPts)], d.x, sm, mx, my)}" ` +
          `fill="none" stroke="${d.color}" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round"/>`,
      );
      // isolated points (a single point, or one between two non-finite values) get a dot
      d.segStart.forEach((a, k) => {
        if ((d.segStart[k + 1] ?? d.x.length) - a === 1) {
          smooth.push(`<circle cx="${fmt(mx(d.x[a]!))}" cy="${fmt(my(d.y[a]!))}" r="3" fill="${d.color}"/>`);
        }
      });
    }
    out.push(...smooth);
  }
  // non-finite markers, also drawn when there is no finite value at all
  for (const d of data) {
    if (d.nonFinite.length === 0) continue;
    const marks = d.nonFinite
      .map((p) => {
        const cx = mx(p.x);
        const cy = p.value === -Infinity ? bottom - 5 : top + 5;
        return `M${fmt(cx - 3.5)} ${fmt(cy - 3.5)}l7 7m0 -7l-7 7`;
      })
      .join("");
    const tip = `${d.term}: ${d.nonFinite.length} non-finite value(s), first at iteration ${d.nonFinite[0]!.x}`;
    push(
      `<path class="nonfinite" data-term="${escapeHtml(d.term)}" d="${marks}" stroke="${NONFINITE_COLOR}" ` +
        `stroke-width="1.6" fill="none"><title>${escapeHtml(tip)}</title></path>`,
    );
  }
  push(`</svg>`);
  return out.join("\n") + "\n";
}

/** One chart per group. */
export function renderLossCharts(
  records: readonly MetricsRecord[],
  groups: readonly LossGroup[],
  options: PlotOptions = {},
): { group: string; svg: string }[] {
  return groups.map((g) => ({ group: g.group, svg: renderLossChart(records, g, options) }));
}

/** Render an SVG string to PNG bytes (`scale` 2 gives a sharper, twice as large image). */
export async function svgToPng(svg: string, scale = 1): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}

/** A group name as a file-name-safe slug (`generator` → `generator`, `D A/x` → `D_A_x`). */
export function slug(s: string): string {
  const t = s.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  return t || "group";
}

export interface ChartFiles {
  group: string;
  /** absolute or dir-joined paths of the files written */
  svgPath: string;
  pngPath: string;
}

/**
 * Write `loss_<group>.svg` and `loss_<group>.png` per group into `dir` (atomically).
 * Returns the paths, in group order.
 */
export async function writeLossCharts(
  dir: string,
  records: readonly MetricsRecord[],
  groups: readonly LossGroup[],
  options: PlotOptions & { pngScale?: number } = {},
): Promise<ChartFiles[]> {
  const out: ChartFiles[] = [];
  const used = new Set<string>();
  for (const { group, svg } of renderLossCharts(records, groups, { ...options, standalone: true })) {
    let base = `loss_${slug(group)}`;
    for (let i = 2; used.has(base); i++) base = `loss_${slug(group)}_${i}`;
    used.add(base);
    const svgPath = join(dir, `${base}.svg`);
    const pngPath = join(dir, `${base}.png`);
    writeFileAtomic(svgPath, svg);
    writeFileAtomic(pngPath, await svgToPng(svg, options.pngScale ?? 1));
    out.push({ group, svgPath, pngPath });
  }
  return out;
}
