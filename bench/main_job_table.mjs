// Per-epoch held-out measures of a run (metrics.jsonl records without `lr`) as a Markdown table:
// for each translation the L1 to ground truth and the style score, each next to the untranslated
// input's; the training time and iteration of each evaluation. Used by bench/main_job.sh.
import { readFileSync } from "node:fs";

const file = process.argv[2];
const records = readFileSync(file, "utf8").trim().split("\n").flatMap((l) => {
  try {
    return [JSON.parse(l)];
  } catch {
    return []; // a truncated last line
  }
});
const evals = records.filter((r) => r.lr === undefined);
if (!evals.length) {
  console.log(`${file}: no held-out evaluation records`);
  process.exit(0);
}
const keys = [...new Set(evals.flatMap((r) => Object.keys(r.losses)))];
const nets = [...new Set(keys.map((k) => /^(?:test_L1|style) (\w+\(\w+\)→\w+)$/.exec(k)?.[1]).filter(Boolean))];
const f = (v, d) => (v === undefined ? "—" : v.toFixed(d));
const cols = ["epoch", "iteration", "time (s)"];
for (const n of nets) {
  const [, from, to] = /\((\w+)\)→(\w+)/.exec(n);
  cols.push(`L1 ${n}`, `L1 ${from}→${to} untr.`, `style ${n}`, `style ${from}→${to} untr.`);
}
cols.push("classifier acc.");
console.log(`| ${cols.join(" | ")} |`);
console.log(`|${cols.map(() => "---").join("|")}|`);
for (const r of evals) {
  const L = r.losses;
  const row = [r.epoch, r.iteration, f(r.time, 0)];
  for (const n of nets) {
    const [, from, to] = /\((\w+)\)→(\w+)/.exec(n);
    row.push(f(L[`test_L1 ${n}`], 4), f(L[`test_L1 ${from}→${to} untranslated`], 4), f(L[`style ${n}`], 3), f(L[`style ${from}→${to} untranslated`], 3));
  }
  row.push(f(L["classifier accuracy (balanced)"], 3));
  console.log(`| ${row.join(" | ")} |`);
}
