import { describe, expect, it } from "vitest";
import {
  ProgressReporter,
  formatDuration,
  formatLoss,
  formatLosses,
  formatRate,
} from "../../src/report/progress.js";

/** A stream that records what is written. */
function fakeStream(isTTY: boolean, columns = 160) {
  const chunks: string[] = [];
  return {
    isTTY,
    columns,
    chunks,
    write(s: string) {
      chunks.push(s);
      return true;
    },
    text: () => chunks.join(""),
  };
}

function fakeClock() {
  let t = 0;
  const clock = () => t;
  clock.advance = (ms: number) => (t += ms);
  return clock;
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, "");

describe("formatting", () => {
  it("losses, durations, rates", () => {
    expect(formatLosses({ gan_A: 0.25, cycle_A: 1.3, idt: 12.345, tiny: 0.00001234, nan: NaN, inf: -Infinity })).toBe(
      "gan_A 0.25 cycle_A 1.3 idt 12.3 tiny 1.23e-5 nan NaN inf -inf",
    );
    expect(formatLoss(0)).toBe("0");
    expect(formatLoss(123456)).toBe("1.23e5");
    expect([formatDuration(42), formatDuration(245), formatDuration(3 * 3600 + 21 * 60), formatDuration(50 * 3600), formatDuration(undefined)]).toEqual(
      ["42s", "4m05s", "3h21m", "2d02h", "--"],
    );
    expect([formatRate(16.123), formatRate(3.251), formatRate(0.5), formatRate(undefined)]).toEqual(["16.1 it/s", "3.25 it/s", "2.00 s/it", "-- it/s"]);
  });
});

describe("progress reporter, not a TTY", () => {
  it("prints a line every N iterations, one per epoch end, and a summary", () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const p = new ProgressReporter({ epochs: 2, itersPerEpoch: 4, stream, clock, logEveryIterations: 2, logEverySeconds: 0 });
    expect(p.tty).toBe(false);
    p.start();
    for (let e = 1; e <= 2; e++) {
      for (let i = 1; i <= 4; i++) {
        clock.advance(500); // 2 it/s
        p.update({ epoch: e, iteration: i, losses: { gan_A: 0.25, cycle_A: 1.3 } });
      }
      p.endEpoch();
    }
    p.finish();
    const lines = stream.text().trimEnd().split("\n");
    expect(stream.text()).not.toContain("\x1b"); // no escape codes in a log file
    expect(lines).toEqual([
      "[train] 2 epochs × 4 iterations",
      "[train] epoch 1/2 it 2/4 (2/8, 25.0%) | 2.00 it/s | ETA 3s | gan_A 0.25 cycle_A 1.3",
      "[train] epoch 1/2 it 4/4 (4/8, 50.0%) | 2.00 it/s | ETA 2s | gan_A 0.25 cycle_A 1.3",
      "[train] epoch 1/2 done: 4 it in 2s (2.00 it/s) | gan_A 0.25 cycle_A 1.3",
      "[train] epoch 2/2 it 2/4 (6/8, 75.0%) | 2.00 it/s | ETA 1s | gan_A 0.25 cycle_A 1.3",
      "[train] epoch 2/2 it 4/4 (8/8, 100.0%) | 2.00 it/s | ETA 0s | gan_A 0.25 cycle_A 1.3",
      "[train] epoch 2/2 done: 4 it in 2s (2.00 it/s) | gan_A 0.25 cycle_A 1.3",
      "[train] finished: 2 epochs, 8 iterations in 4s (2.00 it/s) | gan_A 0.25 cycle_A 1.3",
    ]);
  });

  it("prints by time, resumes mid-run, and reports a stop with its error", () => {
    const stream = fakeStream(false);
    const clock = fakeClock();
    const p = new ProgressReporter({ epochs: 10, itersPerEpoch: 100, stream, clock, logEverySeconds: 30, label: "gancc" });
    p.start({ epoch: 3, iteration: 50 });
    for (let i = 51; i <= 60; i++) {
      clock.advance(10_000); // 0.1 it/s: a line every 3 iterations (30 s)
      p.update({ epoch: 3, iteration: i, losses: { D_A: 0.5 } });
    }
    p.finish({ state: "stopped", error: "Error: out of memory\n    at step" });
    const lines = stream.text().trimEnd().split("\n");
    expect(lines[0]).toBe("[gancc] 10 epochs × 100 iterations (resuming at epoch 3, iteration 50)");
    const progress = lines.filter((l) => l.includes(" it "));
    expect(progress).toHaveLength(3); // at 30, 60, 90 s
    expect(progress[0]).toBe("[gancc] epoch 3/10 it 53/100 (253/1000, 25.3%) | 10.00 s/it | ETA 2h04m | D_A 0.5");
    expect(lines.at(-1)).toBe("[gancc] stopped at epoch 3/10, iteration 60/100 after 1m40s (10.00 s/it): Error: out of memory | D_A 0.5");
  });
});

describe("progress reporter, on a TTY", () => {
  it("draws a cli-progress bar in place with epoch, iteration, it/s, ETA and losses", () => {
    const stream = fakeStream(true, 120);
    const clock = fakeClock();
    const p = new ProgressReporter({ epochs: 2, itersPerEpoch: 10, stream, clock, fps: 5 });
    expect(p.tty).toBe(true);
    try {
      p.start();
      for (let i = 1; i <= 10; i++) {
        clock.advance(100); // 10 it/s; with fps 5 a redraw every other iteration
        p.update({ epoch: 1, iteration: i, losses: { gan_A: 0.25, cycle_A: 1.3 } });
      }
      p.message("saved checkpoint epoch_1");
      p.endEpoch();
      clock.advance(100);
      p.update({ epoch: 2, iteration: 1, losses: { gan_A: 0.2, cycle_A: 1.1 } });
    } finally {
      p.finish();
    }
    const raw = stream.text();
    expect(raw).toContain("\x1b["); // cursor movement / line clearing: drawn in place
    expect(raw).not.toContain("\x1b[?7l"); // never disables line wrapping
    const draws = stream.chunks.map(stripAnsi).filter((c) => c.startsWith("epoch "));
    expect(draws).toContain("epoch 1/2 [########------------] 4/10 | 10.0 it/s | ETA 2s | gan_A 0.25 cycle_A 1.3");
    expect(draws).toContain("epoch 1/2 [####################] 10/10 | 10.0 it/s | ETA 1s | gan_A 0.25 cycle_A 1.3");
    expect(draws).toContain("epoch 2/2 [##------------------] 1/10 | 10.0 it/s | ETA 1s | gan_A 0.2 cycle_A 1.1");
    expect(draws.filter((d) => d.includes("/10 |")).length).toBeLessThan(10); // throttled by the fake clock
    const text = stripAnsi(raw);
    expect(text).toContain("saved checkpoint epoch_1\n");
    expect(text).toContain("epoch 1/2 done: 10 it in 1s (10.0 it/s) | gan_A 0.25 cycle_A 1.3\n");
    expect(text.trimEnd().split("\n").at(-1)).toBe("finished: 2 epochs, 11 iterations in 1s (10.0 it/s) | gan_A 0.2 cycle_A 1.1");
    expect(raw).not.toMatch(/\x1b[78]/); // no cursor save/restore (it would overwrite the message lines)
  });

  it("cuts the bar line to the terminal width", () => {
    const stream = fakeStream(true, 50);
    const clock = fakeClock();
    const p = new ProgressReporter({ epochs: 1, itersPerEpoch: 2, stream, clock });
    try {
      p.start();
      clock.advance(1000);
      p.update({ epoch: 1, iteration: 1, losses: { a_very_long_term_name: 1, another_long_one: 2 } });
    } finally {
      p.finish();
    }
    for (const c of stream.chunks.map(stripAnsi).filter((c) => c.startsWith("epoch "))) expect(c.length).toBeLessThanOrEqual(49);
  });

  it("tty can be forced either way", () => {
    expect(new ProgressReporter({ epochs: 1, itersPerEpoch: 1, stream: fakeStream(true), tty: false }).tty).toBe(false);
    expect(new ProgressReporter({ epochs: 1, itersPerEpoch: 1, stream: fakeStream(false), tty: true }).tty).toBe(true);
  });
});
