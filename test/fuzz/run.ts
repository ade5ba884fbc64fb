// The long fuzz run:  npm run fuzz -- --cases 100000 --seed 7 [--out fuzz-out] [--from 0]
// Each failing case (exception, broken diagnostic, > 1 s) is minimized and written to the
// output folder as NAME.gan (the reproducer) and NAME.txt (how it failed, how to re-create it).
// Copy a reproducer to test/fuzz/regressions/ (with a `# ` comment first line) once fixed.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCase } from "./check.js";
import { minimize } from "./minimize.js";
import { loadBases, makeCase } from "./mutate.js";

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

const cases = Number(arg("cases", "10000"));
const seed = Number(arg("seed", String(Date.now() % 100000)));
const from = Number(arg("from", "0"));
const out = arg("out", "fuzz-out");
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed) || !Number.isInteger(from)) {
  process.stderr.write("usage: npm run fuzz -- [--cases N] [--seed N] [--from N] [--out DIR]\n");
  process.exit(2);
}

const bases = loadBases();
const kinds = new Map<string, number>();
let failed = 0;
let slowest = { ms: 0, index: -1 };
let totalMs = 0;
const t0 = Date.now();
process.stdout.write(`fuzz: ${cases} cases, seed ${seed}, from ${from}, ${bases.length} base specs, reproducers to ${out}/\n`);
for (let i = from; i < from + cases; i++) {
  const c = makeCase(bases, seed, i);
  const r = runCase(c.text, c.set);
  totalMs += r.ms;
  if (r.ms > slowest.ms) slowest = { ms: r.ms, index: i };
  if (r.failures.length) {
    failed++;
    const kind = r.failures[0]!.kind;
    const seen = kinds.get(kind) ?? 0;
    kinds.set(kind, seen + 1);
    // minimize and write the first few of each kind
    if (seen < 3) {
      const sameFailure = (t: string) => runCase(t, c.set).failures.some((f) => f.kind === kind);
      const small = kind === "slow" ? c.text : minimize(c.text, sameFailure);
      mkdirSync(out, { recursive: true });
      const name = `seed${seed}-case${i}`;
      writeFileSync(join(out, `${name}.gan`), small);
      writeFileSync(
        join(out, `${name}.txt`),
        [`seed ${seed}, case ${i} (base ${c.base}, mutations ${c.mutations.join(", ")})`, c.set ? `--set ${JSON.stringify(c.set)}` : "", ...r.failures.map((f) => `${f.kind}\n${f.detail}`)].join("\n") + "\n",
      );
      process.stdout.write(`case ${i}: ${kind} -> ${join(out, `${name}.gan`)} (${small.length} chars)\n`);
    }
  }
  if ((i - from + 1) % 5000 === 0) process.stdout.write(`  ${i - from + 1} cases, ${failed} failing, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
}
process.stdout.write(
  `fuzz: ${cases} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s (mean ${(totalMs / cases).toFixed(1)} ms, slowest ${slowest.ms.toFixed(0)} ms: case ${slowest.index}), ${failed} failing\n`,
);
for (const [k, n] of kinds) process.stdout.write(`  ${n} × ${k}\n`);
process.exit(failed ? 1 : 0);
