import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  MetricsWriter,
  formatMetricsLine,
  parseMetricsLine,
  readMetrics,
  readMetricsFile,
} from "../../src/report/metrics.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gancc-metrics-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A clock the test moves by hand (ms). */
function fakeClock(start = 1000) {
  let t = start;
  const clock = () => t;
  clock.advance = (ms: number) => (t += ms);
  return clock;
}

describe("metrics", () => {
  it("round-trips records, one line each, with time from the clock", () => {
    const clock = fakeClock();
    const w = new MetricsWriter(dir, { clock });
    clock.advance(1500);
    w.append({ iteration: 1, epoch: 1, lr: 2e-4, losses: { gan_A: 0.25, cycle_A: 1.3 } });
    clock.advance(500);
    w.append({ iteration: 2, epoch: 1, lr: { generator: 2e-4, discriminator: 1e-4 }, losses: { gan_A: 0.2, cycle_A: 1.1 } });
    w.append({ iteration: 3, epoch: 2, time: 9.5, losses: { gan_A: 0.1 } });
    const text = readFileSync(join(dir, "metrics.jsonl"), "utf8");
    expect(text.split("\n")).toHaveLength(4); // 3 lines + final newline
    const recs = readMetrics(w.path);
    expect(recs).toEqual([
      { iteration: 1, epoch: 1, time: 1.5, lr: 2e-4, losses: { gan_A: 0.25, cycle_A: 1.3 } },
      { iteration: 2, epoch: 1, time: 2, lr: { generator: 2e-4, discriminator: 1e-4 }, losses: { gan_A: 0.2, cycle_A: 1.1 } },
      { iteration: 3, epoch: 2, time: 9.5, losses: { gan_A: 0.1 } },
    ]);
    expect(w.records).toEqual(recs);
    expect(w.lastIteration).toBe(3);
  });

  it("keeps NaN and ±Infinity (as strings in the JSON)", () => {
    const line = formatMetricsLine({ iteration: 1, epoch: 1, time: 0, losses: { a: NaN, b: Infinity, c: -Infinity, d: 1 } });
    expect(line).toContain(`"a":"NaN"`);
    const r = parseMetricsLine(line)!;
    expect(r.losses.a).toBeNaN();
    expect(r.losses.b).toBe(Infinity);
    expect(r.losses.c).toBe(-Infinity);
    expect(r.losses.d).toBe(1);
    expect(parseMetricsLine(`{"iteration":1,"epoch":1,"time":0,"losses":{"a":"oops"}}`)).toBeUndefined();
    expect(parseMetricsLine(`{"iteration":1,"epoch":1,"losses":{}}`)).toBeUndefined();
  });

  it("tolerates a truncated last line, and a writer re-opening the file cuts it off", () => {
    const path = join(dir, "metrics.jsonl");
    const full = formatMetricsLine({ iteration: 1, epoch: 1, time: 0.5, losses: { a: 1 } }) +
      formatMetricsLine({ iteration: 2, epoch: 1, time: 1, losses: { a: 2 } });
    const partial = formatMetricsLine({ iteration: 3, epoch: 1, time: 1.5, losses: { a: 3 } }).slice(0, 25);
    writeFileSync(path, full + partial);
    const read = readMetricsFile(path);
    expect(read.records.map((r) => r.iteration)).toEqual([1, 2]);
    expect(read.truncatedTail).toBe(true);
    expect(read.skippedLines).toEqual([3]);

    const clock = fakeClock(0);
    const w = new MetricsWriter(dir, { clock });
    expect(w.records.map((r) => r.iteration)).toEqual([1, 2]);
    expect(readFileSync(path, "utf8")).toBe(full); // the half line is gone
    clock.advance(2000);
    w.append({ iteration: 3, epoch: 1, losses: { a: 3 } });
    const recs = readMetrics(path);
    expect(recs.map((r) => r.iteration)).toEqual([1, 2, 3]);
    expect(recs[2]!.time).toBe(3); // continues from the last kept record's time (1 s) + 2 s
  });

  it("resume: keeps prior records, truncateAfter drops the ones after the checkpoint", () => {
    const clock = fakeClock(0);
    const w1 = new MetricsWriter(dir, { clock });
    for (let i = 1; i <= 10; i++) {
      clock.advance(100);
      w1.append({ iteration: i, epoch: Math.ceil(i / 5), losses: { a: i } });
    }
    // crash after iteration 10; the last checkpoint was at iteration 6
    const w2 = new MetricsWriter(dir, { clock: fakeClock(0) });
    expect(w2.records).toHaveLength(10);
    expect(w2.truncateAfter(6)).toBe(4);
    expect(readMetrics(w2.path).map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6]);
    w2.append({ iteration: 7, epoch: 2, losses: { a: 7 } });
    const recs = readMetrics(w2.path);
    expect(recs.map((r) => r.iteration)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(recs[6]!.time).toBeCloseTo(0.6); // time continues from iteration 6's
    expect(w2.truncateAfter(100)).toBe(0);
  });

  it("resume: false starts an empty file", () => {
    appendFileSync(join(dir, "metrics.jsonl"), formatMetricsLine({ iteration: 1, epoch: 1, time: 0, losses: {} }));
    const w = new MetricsWriter(dir, { resume: false });
    expect(w.records).toHaveLength(0);
    expect(readFileSync(w.path, "utf8")).toBe("");
  });

  it("skips a corrupt line in the middle, and readMetrics throws for a missing file", () => {
    const path = join(dir, "m.jsonl");
    writeFileSync(path, formatMetricsLine({ iteration: 1, epoch: 1, time: 0, losses: {} }) + "garbage\n" +
      formatMetricsLine({ iteration: 2, epoch: 1, time: 0, losses: {} }));
    expect(readMetricsFile(path)).toMatchObject({ skippedLines: [2], truncatedTail: false });
    expect(readMetrics(path).map((r) => r.iteration)).toEqual([1, 2]);
    expect(() => readMetrics(join(dir, "none.jsonl"))).toThrow();
  });
});
