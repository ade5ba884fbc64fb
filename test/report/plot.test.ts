import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import type { MetricsRecord } from "../../src/report/metrics.js";
import {
  autoWindow,
  formatTick,
  linearTicks,
  movingAverage,
  renderLossChart,
  svgToPng,
  writeLossCharts,
} from "../../src/report/plot.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gancc-plot-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function recs(n: number, f: (i: number) => Record<string, number>): MetricsRecord[] {
  return Array.from({ length: n }, (_, k) => ({ iteration: k + 1, epoch: 1, time: k, losses: f(k + 1) }));
}

/** `<path class="…" data-term="…" d="…">` elements of an SVG. */
function paths(svg: string, cls: string): { term: string; d: string }[] {
  const re = new RegExp(`<path class="${cls}" data-term="([^"]*)" d="([^"]*)"`, "g");
  return [...svg.matchAll(re)].map((m) => ({ term: m[1]!, d: m[2]! }));
}

function rootAttr(svg: string, name: string): string | undefined {
  return new RegExp(`<svg[^>]* ${name}="([^"]*)"`).exec(svg)?.[1];
}

const G = { group: "generator", terms: ["gan_A", "gan_B", "cycle_A"] };

describe("loss chart SVG", () => {
  it("has one raw and one smoothed path per term, a legend entry per term, axes and ticks", () => {
    const svg = renderLossChart(recs(200, (i) => ({ gan_A: 0.3 + 0.01 * Math.sin(i), gan_B: 0.25, cycle_A: 2 / Math.sqrt(i) })), G);
    expect(svg.startsWith(`<svg xmlns="http://www.w3.org/2000/svg"`)).toBe(true);
    expect(paths(svg, "smooth").map((p) => p.term)).toEqual(G.terms);
    expect(paths(svg, "raw").map((p) => p.term)).toEqual(G.terms);
    expect(paths(svg, "nonfinite")).toEqual([]);
    for (const t of G.terms) expect(svg).toContain(`>${t}</text>`);
    expect(svg).toContain(">iteration</text>");
    expect(svg).toContain(">200</text>"); // an x tick at the end
    expect(rootAttr(svg, "data-yscale")).toBe("linear");
    expect(rootAttr(svg, "data-smoothing")).toBe(String(autoWindow(200)));
    // every coordinate is a finite number
    for (const p of [...paths(svg, "smooth"), ...paths(svg, "raw")]) {
      expect(p.d).toMatch(/^M/);
      expect(p.d).not.toMatch(/NaN|Infinity/);
    }
  });

  it("skips NaN/Infinity points, breaks the raw line there and marks them", () => {
    const svg = renderLossChart(
      recs(20, (i) => ({ gan_A: i === 5 ? NaN : i === 9 ? -Infinity : 1 + i / 10, gan_B: 0.5, cycle_A: 1 })),
      G,
    );
    expect(svg).not.toMatch(/NaN |Infinity /); // no bad coordinates
    const raw = paths(svg, "raw").find((p) => p.term === "gan_A")!;
    expect(raw.d.match(/M/g)).toHaveLength(3); // three segments: 1-4, 6-8, 10-20
    expect(raw.d.match(/[ML]/g)).toHaveLength(18); // 18 finite points
    const nf = paths(svg, "nonfinite");
    expect(nf.map((p) => p.term)).toEqual(["gan_A"]);
    expect(nf[0]!.d.match(/M/g)).toHaveLength(2); // two markers
    expect(svg).toContain("non-finite (2)");
  });

  it("draws a single point (with a dot) and a constant series", () => {
    const one = renderLossChart(recs(1, () => ({ gan_A: 0.7 })), { group: "g", terms: ["gan_A"] });
    expect(paths(one, "smooth")).toHaveLength(1);
    expect(one).toMatch(/<circle cx="[\d.]+" cy="[\d.]+" r="3"/);
    const flat = renderLossChart(recs(30, () => ({ c: 2 })), { group: "g", terms: ["c"] });
    const d = paths(flat, "smooth")[0]!.d;
    const ys = new Set([...d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => m[1]));
    expect(ys.size).toBe(1); // a flat line
    expect(flat).toContain(">2</text>"); // the value is a tick inside the padded range
  });

  it("all values non-finite, or none: a note instead of lines", () => {
    const bad = renderLossChart(recs(3, () => ({ a: NaN })), { group: "g", terms: ["a"] });
    expect(bad).toContain("no finite values");
    expect(paths(bad, "nonfinite")).toHaveLength(1);
    const empty = renderLossChart([], { group: "g", terms: ["a"] });
    expect(empty).toContain("no data");
  });

  it("uses a log y axis when positive values span more than two decades", () => {
    const svg = renderLossChart(recs(100, (i) => ({ a: 1000 * Math.exp(-i / 10) + 0.01 })), { group: "g", terms: ["a"] });
    expect(rootAttr(svg, "data-yscale")).toBe("log");
    expect(svg).toContain("loss (log scale)");
    const lin = renderLossChart(recs(100, (i) => ({ a: 1000 * Math.exp(-i / 10) + 0.01 })), { group: "g", terms: ["a"] }, { yScale: "linear" });
    expect(rootAttr(lin, "data-yscale")).toBe("linear");
    const neg = renderLossChart(recs(100, (i) => ({ a: i - 50 })), { group: "g", terms: ["a"] }, { yScale: "log" });
    expect(rootAttr(neg, "data-yscale")).toBe("linear"); // log impossible with values ≤ 0
  });

  it("decimates long series but keeps spikes", () => {
    const svg = renderLossChart(recs(50_000, (i) => ({ a: i === 25_000 ? 100 : 1 })), { group: "g", terms: ["a"] }, { yScale: "linear" });
    expect(svg.length).toBeLessThan(200_000);
    const raw = paths(svg, "raw")[0]!.d;
    const ys = [...raw.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    const flat = Math.max(...ys);
    expect(flat - Math.min(...ys)).toBeGreaterThan(150); // the spike survives decimation
  });

  it("escapes group and term names", () => {
    const svg = renderLossChart(recs(3, () => ({ "<b>&": 1 })), { group: `g"<x>`, terms: ["<b>&"] });
    expect(svg).not.toContain("<b>");
    expect(svg).toContain("&lt;b&gt;&amp;");
    expect(svg).toContain(`data-group="g&quot;&lt;x&gt;"`);
  });

  it("renders to PNG of the SVG's size and writes both files", async () => {
    const records = recs(50, (i) => ({ gan_A: 1 / i, gan_B: NaN, cycle_A: 1 }));
    const svg = renderLossChart(records, G, { width: 500, height: 260 });
    const meta = await sharp(await svgToPng(svg)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 500, 260]);
    const files = await writeLossCharts(dir, records, [G, { group: "discriminator", terms: ["D_A"] }]);
    expect(files.map((f) => f.group)).toEqual(["generator", "discriminator"]);
    for (const f of files) {
      expect(existsSync(f.svgPath) && existsSync(f.pngPath)).toBe(true);
      expect(readFileSync(f.svgPath, "utf8")).toContain("<svg");
      expect((await sharp(f.pngPath).metadata()).width).toBe(640);
    }
    expect(files[0]!.pngPath).toBe(join(dir, "loss_generator.png"));
  });
});

describe("plot helpers", () => {
  it("movingAverage is centred and cut at the ends", () => {
    expect(movingAverage([1, 2, 3, 4, 5], 3)).toEqual([1.5, 2, 3, 4, 4.5]);
    expect(movingAverage([1, 2, 3], 1)).toEqual([1, 2, 3]);
    expect(autoWindow(10)).toBe(1);
    expect(autoWindow(5000) % 2).toBe(1);
  });
  it("ticks and labels", () => {
    expect(linearTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(1, 3, 6, 1)).toEqual([1, 2, 3]);
    expect(formatTick(0.0001)).toBe("1e-4");
    expect(formatTick(250000)).toBe("2.5e5");
    expect(formatTick(0.30000000000000004)).toBe("0.3");
  });
});
