import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { GridImage } from "../../src/report/grid.js";
import {
  quoteCommand,
  renderRunReport,
  writeRunReport,
  writeTranslatePage,
  type RunHeader,
} from "../../src/report/html.js";
import { readMetrics, type MetricsRecord } from "../../src/report/metrics.js";
import { urlPath } from "../../src/report/escape.js";
import { formatTick } from "../../src/report/plot.js";
import { RunReporter } from "../../src/report/reporter.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gancc-html-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Every src= and href= value of a page (fragment links left out). */
function links(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!).filter((l) => !l.startsWith("#"));
}

/** The links resolve to existing files next to the page, and nothing is fetched from elsewhere. */
function expectSelfContained(html: string, pageDir: string): void {
  expect(html).not.toMatch(/https?:\/\//);
  expect(html).not.toMatch(/<script|<link /);
  const ls = links(html);
  expect(ls.length).toBeGreaterThan(0);
  for (const l of ls) {
    expect(l).not.toMatch(/^[a-z]+:|^\//); // relative
    const file = join(pageDir, decodeURIComponent(l.replace(/&amp;/g, "&")));
    expect(existsSync(file), `${l} → ${file}`).toBe(true);
  }
}

function image(h: number, w: number, v: number): GridImage {
  return { data: new Float32Array(h * w * 3).fill(v), height: h, width: w, channels: 3 };
}

const EVIL = `<script>alert("x")</script> & 'q'`;

const header: RunHeader = {
  specName: `cyclegan ${EVIL}`,
  specHash: "sha256:0123abcd",
  backend: "cpu",
  startTime: new Date("2025-01-02T03:04:05Z"),
  irPath: "build/cyclegan.ir.json",
  command: ["gancc", "train", "specs/cyclegan.gan", "--set", "ngf=8", "--note", EVIL],
};

describe("run report", () => {
  it("renders a fake short run: files exist, links resolve, user strings escaped, nothing external", async () => {
    let t = 0;
    const rep = new RunReporter(dir, {
      header,
      lossGroups: [
        { group: "generator", terms: ["gan_A", "cycle_A"] },
        { group: "discriminator", terms: ["D_A"] },
      ],
      config: { lr: 2e-4, note: EVIL, data: { A: "data/horse", B: "data/zebra" } },
      epochs: 2,
      itersPerEpoch: 3,
      clock: () => t,
    });
    for (let epoch = 1; epoch <= 2; epoch++) {
      for (let i = 1; i <= 3; i++) {
        t += 1000;
        const it = (epoch - 1) * 3 + i;
        rep.log({ iteration: it, epoch, lr: 2e-4, losses: { gan_A: 1 / it, cycle_A: it === 4 ? NaN : 2 / it, D_A: 0.25 } });
      }
      await rep.addSamples(epoch, epoch * 3, [
        { name: "A", labels: ["real_A", "fake_B", "rec_A"], rows: [[image(8, 8, -1), image(8, 8, 0), image(8, 8, 1)]] },
        { name: "B", labels: ["real_B", "fake_A", `rec_B ${EVIL}`], rows: [[image(8, 8, 1), image(8, 8, 0), image(8, 8, -1)]], caption: "B → A → B" },
      ]);
      await rep.write();
    }
    await rep.finish({ state: "stopped", error: `Error: boom ${EVIL}\n    at train (x.ts:1:1)` });

    expect(readdirSync(dir).sort()).toEqual(["curves", "index.html", "metrics.jsonl", "report.json", "samples"]);
    expect(readdirSync(join(dir, "samples")).sort()).toEqual(["epoch_0001_A.png", "epoch_0001_B.png", "epoch_0002_A.png", "epoch_0002_B.png"]);
    expect(readdirSync(join(dir, "curves")).sort()).toEqual(["loss_discriminator.png", "loss_discriminator.svg", "loss_generator.png", "loss_generator.svg"]);
    expect(readdirSync(dir).some((f) => f.includes(".tmp"))).toBe(false);
    expect(readMetrics(join(dir, "metrics.jsonl"))).toHaveLength(6);

    const html = readFileSync(join(dir, "index.html"), "utf8");
    expectSelfContained(html, dir);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
    // header
    expect(html).toContain(`<span class="status stopped">stopped</span>`);
    expect(html).toContain("sha256:0123abcd");
    expect(html).toContain("build/cyclegan.ir.json");
    expect(html).toContain("gancc train specs/cyclegan.gan --set ngf=8 --note");
    expect(html).toContain("Error: boom");
    expect(html).toContain("2025-01-02 03:04:05 UTC");
    expect(html).not.toContain(`http-equiv="refresh"`); // no reloading once stopped
    // curves: one inline chart per group, without xmlns
    expect(html.match(/<svg class="loss-chart"/g)).toHaveLength(2);
    expect(html.match(/<path class="smooth"/g)).toHaveLength(3);
    expect(html).toContain(`<path class="nonfinite" data-term="cycle_A"`);
    // latest losses table: latest gan_A is 1/6
    expect(html).toMatch(/<code>gan_A<\/code><\/td><td class="num">0\.1667<\/td>/);
    // samples newest first, with labels
    expect(html.indexOf(`id="epoch-2"`)).toBeLessThan(html.indexOf(`id="epoch-1"`));
    expect(html).toContain(`>real_A</span>`);
    expect(html).toContain(`>fake_A</span>`);
    expect(html).toContain(`<figcaption>B → A → B</figcaption>`);
    expect(html).toContain(`src="samples/epoch_0002_A.png"`);
    // config
    expect(html).toContain("data/zebra");
  });

  it("resumes: keeps metrics and samples up to the checkpoint", async () => {
    let t = 0;
    const r1 = new RunReporter(dir, { header, clock: () => t });
    for (let it = 1; it <= 6; it++) {
      t += 100;
      r1.log({ iteration: it, epoch: Math.ceil(it / 3), losses: { a: it } });
      if (it % 3 === 0) await r1.addSamples(it / 3, it, [{ name: "A", labels: ["x"], rows: [[image(4, 4, 0)]] }]);
    }
    await r1.write();
    // crash; the checkpoint was at iteration 3 (end of epoch 1)
    const r2 = new RunReporter(dir, { header, resume: { iteration: 3 }, clock: () => 0 });
    expect(r2.records.map((r) => r.iteration)).toEqual([1, 2, 3]);
    const html = readFileSync(await r2.write(), "utf8");
    expect(html).toContain(`id="epoch-1"`);
    expect(html).not.toContain(`id="epoch-2"`);
    expect(html).toContain(`http-equiv="refresh" content="60"`); // running
    expectSelfContained(html, dir);
  });

  it("renders with no metrics and no samples yet", () => {
    const html = renderRunReport({ header: { ...header, command: "gancc train x.gan" }, status: { state: "running" }, refreshSeconds: 0 });
    expect(html).toContain("no metrics yet");
    expect(html).toContain("no samples yet");
    expect(html).not.toContain("refresh");
    const path = writeRunReport(dir, { header, status: { state: "finished", endTime: "2025-01-03" } });
    expect(readFileSync(path, "utf8")).toContain(`<span class="status finished">finished</span>`);
  });

  it("shows every step's learning rate, also when the last record is a held-out evaluation without one", () => {
    const records: MetricsRecord[] = [
      { iteration: 1, epoch: 1, time: 1, lr: { generator: 2e-4, discriminator: 1e-4 }, losses: { gan_A: 1 } },
      { iteration: 2, epoch: 1, time: 2, lr: { generator: 1e-4, discriminator: 5e-5 }, losses: { gan_A: 0.5 } },
      { iteration: 2, epoch: 1, time: 3, losses: { "test_L1 G_AB(A)→B": 0.3 } },
    ];
    const html = renderRunReport({ header, status: { state: "running" }, records, refreshSeconds: 0 });
    const row = html.match(/<tr><th>learning rate<\/th><td>([^<]*)<\/td><\/tr>/);
    expect(row, "no learning rate row").not.toBeNull();
    expect(row![1]).toBe(`generator ${formatTick(1e-4)}, discriminator ${formatTick(5e-5)}`);
  });

  it("quotes argv for display", () => {
    expect(quoteCommand(["gancc", "train", "a b.gan", "--set", "x='y'"])).toBe(`gancc train 'a b.gan' --set 'x='\\''y'\\'''`);
  });
});

describe("translate page", () => {
  it("one row per image with relative, encoded links; names escaped", () => {
    const out = join(dir, "out");
    const names = ["horse 1.jpg", `a&b<"c">.png`, "n#3?.png"];
    const pairs = names.map((n) => {
      const input = join(dir, "in", n); // absolute, outside outDir
      const output = join("images", `${n}.out.png`); // relative to outDir
      for (const f of [input, join(out, output)]) {
        mkdirSync(dirname(f), { recursive: true });
        writeFileSync(f, "x");
      }
      return { name: n, input, output };
    });
    const path = writeTranslatePage(out, pairs, { title: `translate ${EVIL}`, inputLabel: "A", outputLabel: "fake B", info: { spec: EVIL } });
    expect(path).toBe(join(out, "index.html"));
    const html = readFileSync(path, "utf8");
    expectSelfContained(html, out);
    expect(html).not.toContain("<script>");
    expect(html.match(/<tr><td>/g)).toHaveLength(3);
    expect(html).toContain(`src="../in/horse%201.jpg"`);
    expect(html).toContain(`src="images/n%233%3F.png.out.png"`);
    expect(html).toContain("<code>a&amp;b&lt;&quot;c&quot;&gt;.png</code>");
    expect(html).toContain("<th>fake B</th>");
  });
});

describe("file names with a backslash (issue 13)", () => {
  it("a `\\` in a file name is part of the name on POSIX: the link still resolves", () => {
    if (process.platform === "win32") return; // there it is the separator
    const out = join(dir, "out-bs");
    const n = "back\\slash.png";
    const input = join(dir, "in-bs", n);
    const output = join("images", `x\\y.out.png`);
    for (const f of [input, join(out, output)]) {
      mkdirSync(dirname(f), { recursive: true });
      writeFileSync(f, "x");
    }
    const html = readFileSync(writeTranslatePage(out, [{ name: n, input, output }]), "utf8");
    expectSelfContained(html, out);
    expect(html).toContain(`src="../in-bs/back%5Cslash.png"`);
    expect(html).toContain(`src="images/x%5Cy.out.png"`);
  });
  it("urlPath splits on `\\` only for Windows paths", () => {
    expect(urlPath("a\\b/c d.png", false)).toBe("a%5Cb/c%20d.png");
    expect(urlPath("a\\b/c d.png", true)).toBe("a/b/c%20d.png");
  });
});
