// Benchmark: parse + check + lower for every shipped spec and for generated specs of
// growing size (1,250 to 5,000 lines), to show the time per spec and linear growth.
// Run: npm run bench:compile     (not part of npm test; numbers go into README)
import { readFileSync, readdirSync } from "node:fs";
import { compileSource } from "../src/compiler/compile.js";
import { generateSpec } from "./gen_spec.js";
import { median } from "./stats.js";

function time(text: string, file: string, runs: number): { ms: number; errors: number } {
  compileSource(text, file); // warm-up: parser construction, JIT, schema compilation
  const ts: number[] = [];
  let errors = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = compileSource(text, file);
    ts.push(performance.now() - t0);
    errors = r.diagnostics.filter((d) => d.severity === "error").length;
  }
  return { ms: median(ts), errors };
}

export { generateSpec };

const rows: string[] = [];
rows.push("| input | lines | parse + check + lower (median) | errors |", "|---|---:|---:|---:|");
for (const f of readdirSync("specs").filter((x) => x.endsWith(".gan")).sort()) {
  const text = readFileSync(`specs/${f}`, "utf8");
  const r = time(text, `specs/${f}`, 20);
  rows.push(`| specs/${f} | ${text.split("\n").length - 1} | ${r.ms.toFixed(1)} ms | ${r.errors} |`);
}
const growth: { lines: number; ms: number }[] = [];
for (const n of [1250, 2500, 5000]) {
  const text = generateSpec(n);
  const lines = text.split("\n").length - 1;
  const r = time(text, "generated.gan", 5);
  growth.push({ lines, ms: r.ms });
  rows.push(`| generated | ${lines} | ${r.ms.toFixed(1)} ms (${((r.ms / lines) * 1000).toFixed(1)} µs/line) | ${r.errors} |`);
}
console.log(rows.join("\n"));
const first = growth[0]!;
const last = growth[growth.length - 1]!;
console.log(`\ngrowth: ${(last.lines / first.lines).toFixed(1)}× the lines took ${(last.ms / first.ms).toFixed(1)}× the time (linear would be ${(last.lines / first.lines).toFixed(1)}×)`);
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
