// Benchmark: parse + check + lower for every shipped spec and for generated specs of
// growing size (1,250 to 5,000 lines), to show the time per spec and linear growth.
// Run: npm run bench:compile     (not part of npm test; numbers go into README)
import { readFileSync, readdirSync } from "node:fs";
import { compileSource } from "../src/compiler/compile.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

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

/** A valid spec of about `lines` lines: many blocks, networks, nets and loss terms. */
export function generateSpec(lines: number): string {
  const out = ["gan generated", "param nf = 8", "param size = 32", ""];
  const units = Math.max(1, Math.floor((lines - 30) / 25));
  for (let i = 0; i < units; i++) {
    out.push(
      `block res${i}(k) residual {`,
      `  reflect_pad(1) conv(k, 3) instance_norm relu`,
      `  reflect_pad(1) conv(k, 3) instance_norm`,
      `}`,
      ``,
      `network Gen${i}(blocks = 2): image[3] -> image[3] {`,
      `  reflect_pad(3)`,
      `  conv(nf, 7)`,
      `  instance_norm relu`,
      `  conv(nf * 2, 3, stride: 2, pad: 1) instance_norm relu`,
      `  repeat blocks { res${i}(nf * 2) }`,
      `  conv_transpose(nf, 3, stride: 2, pad: 1, output_pad: 1)`,
      `  instance_norm relu`,
      `  reflect_pad(3) conv(3, 7) tanh`,
      `}`,
      ``,
      `network Disc${i}: image[3] -> image[1] {`,
      `  conv(nf, 4, stride: 2, pad: 1) leaky_relu(0.2)`,
      `  conv(nf * 2, 4, stride: 2, pad: 1) instance_norm leaky_relu(0.2)`,
      `  conv(1, 4, pad: 1)`,
      `}`,
      ``,
    );
  }
  out.push("nets {");
  for (let i = 0; i < units; i++) out.push(`  G${i} = Gen${i}()`, `  D${i} = Disc${i}()`);
  out.push("}", "", "data {", "  domain A: image[3]", "  domain B: image[3]", "  crop: size", "}", "");
  out.push("loss generator {");
  for (let i = 0; i < units; i++) out.push(`  gan${i}: lsgan(D${i}(G${i}(A)), real)`, `  l1_${i}: 10 * l1(G${i}(A), B)`);
  out.push("}", "", "loss discriminator {");
  for (let i = 0; i < units; i++) out.push(`  d${i}: 0.5 * (lsgan(D${i}(B), real) + lsgan(D${i}(detach(G${i}(A))), fake))`);
  out.push("}", "", "train {");
  out.push(`  step generator updates ${Array.from({ length: units }, (_, i) => `G${i}`).join(", ")} with adam(lr: 2e-4, beta1: 0.5)`);
  out.push(`  step discriminator updates ${Array.from({ length: units }, (_, i) => `D${i}`).join(", ")} with adam(lr: 2e-4, beta1: 0.5)`);
  out.push("}");
  return out.join("\n") + "\n";
}

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
