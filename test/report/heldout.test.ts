// index.html's per-epoch table of held-out measures (L1 and style side by side).
import { describe, expect, it } from "vitest";
import { renderRunReport } from "../../src/report/html.js";
import type { MetricsRecord } from "../../src/report/metrics.js";

const header = { specName: "tiny", specHash: "0".repeat(64), backend: "cpu", startTime: new Date(0) };

describe("held-out evaluation per epoch", () => {
  it("lists every evaluation record (no lr) as a row, each measure as a column", () => {
    const records: MetricsRecord[] = [
      { iteration: 0, epoch: 0, time: 0, losses: { "test_L1 G_AB(A)→B": 0.7, "style G_AB(A)→B": 0.25 } },
      { iteration: 1, epoch: 1, time: 1, lr: 2e-4, losses: { gan_A: 0.5 } },
      { iteration: 1, epoch: 1, time: 2, losses: { "test_L1 G_AB(A)→B": 0.5, "style G_AB(A)→B": 0.75, "classifier accuracy (balanced)": 0.9 } },
    ];
    const html = renderRunReport({ header, status: { state: "running" }, records, refreshSeconds: 0 });
    const table = html.slice(html.indexOf('<h2 id="heldout">'), html.indexOf("</table>", html.indexOf('<h2 id="heldout">')));
    const rows = table.split("\n").filter((l) => l.startsWith("<tr>"));
    expect(rows[0]).toContain("<th><code>test_L1 G_AB(A)→B</code></th><th><code>style G_AB(A)→B</code></th><th><code>classifier accuracy (balanced)</code></th>");
    const cells = (r: string) => [...r.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(rows.slice(1).map(cells)).toEqual([
      ["0", "0", "0.7", "0.25", "—"],
      ["1", "1", "0.5", "0.75", "0.9"],
    ]);
    expect(table).not.toContain("gan_A");
  });
  it("is absent when nothing was evaluated", () => {
    const html = renderRunReport({ header, status: { state: "running" }, records: [{ iteration: 1, epoch: 1, time: 1, lr: 1, losses: { a: 1 } }], refreshSeconds: 0 });
    expect(html).not.toContain('id="heldout"');
  });
});
