/**
 * Before/after benchmark of the gancc kernel fixes (src/runtime/kernels).
 *
 *   npx tsx bench/kernels.ts                 # cpu + wasm, CycleGAN@128px layer shapes
 *   npx tsx bench/kernels.ts --quick         # smaller shapes (CycleGAN@64px)
 *   npx tsx bench/kernels.ts --backends wasm
 *
 * "stock" = tfjs 4.22 kernels (fixes unregistered), "fixed" = with
 * registerKernelFixes().  Each cell is the median wall time of repeated
 * synchronous kernel calls (the output is disposed, not read back).  Stock
 * cpu Conv2DBackpropFilter runs at ~0.01 GFLOP/s, so it is skipped where it
 * would take longer than --max-stock-s (default 20) and estimated instead.
 * Prints a table; not a test.
 */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../src/runtime/backend.js";
import { isKernelFixActive, registerKernelFixes, unregisterKernelFixes } from "../src/runtime/kernels/index.js";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const backendsArg = argv.includes("--backends") ? argv[argv.indexOf("--backends") + 1]! : "cpu,wasm";
const maxStockS = argv.includes("--max-stock-s") ? Number(argv[argv.indexOf("--max-stock-s") + 1]) : 20;

interface Layer {
  name: string;
  x: [number, number, number, number];
  k: number;
  co: number;
  s: number;
  pad: "same" | "valid";
}

// CycleGAN (ResNet generator + PatchGAN) layer shapes at 128px (or 64px with --quick), batch 1.
const R = quick ? 64 : 128;
const layers: Layer[] = [
  { name: `G c7s1-64   ${R}x${R}x3`, x: [1, R, R, 3], k: 7, co: 64, s: 1, pad: "same" },
  { name: `G d128 s2   ${R}x${R}x64`, x: [1, R, R, 64], k: 3, co: 128, s: 2, pad: "same" },
  { name: `G R256      ${R / 4}x${R / 4}x256`, x: [1, R / 4, R / 4, 256], k: 3, co: 256, s: 1, pad: "same" },
  // ConvTranspose k3 s2 (u128): its forward is Conv2DBackpropInput of this conv, its dW is Conv2DBackpropFilter
  { name: `G u128 convT ${R / 4}->${R / 2}`, x: [1, R / 2, R / 2, 128], k: 3, co: 256, s: 2, pad: "same" },
  { name: `G c7s1-3    ${R}x${R}x64`, x: [1, R, R, 64], k: 7, co: 3, s: 1, pad: "same" },
  { name: `D c4s2-64   ${R}x${R}x3`, x: [1, R, R, 3], k: 4, co: 64, s: 2, pad: "same" },
];

function median(a: number[]): number {
  const b = [...a].sort((p, q) => p - q);
  return b[Math.floor(b.length / 2)]!;
}

/** Median ms of fn (≥3 runs, ≤ ~1.5 s). fn must dispose what it creates. */
function time(fn: () => void, budgetMs = 1500): number {
  fn(); // warm-up (XNNPACK operator creation, JIT)
  const ts: number[] = [];
  const t0 = performance.now();
  while (ts.length < 3 || (performance.now() - t0 < budgetMs && ts.length < 30)) {
    const s = performance.now();
    fn();
    ts.push(performance.now() - s);
  }
  return median(ts);
}

type Cell = { ms: number; note?: string } | { na: string };

function fmt(c: Cell, flops: number): string {
  if ("na" in c) return c.na;
  const g = flops / c.ms / 1e6;
  return `${c.ms >= 100 ? c.ms.toFixed(0) : c.ms.toFixed(1)} ms (${g >= 10 ? g.toFixed(0) : g.toFixed(2)} GF/s)${c.note ?? ""}`;
}

const rows: string[][] = [];
const header = ["backend", "kernel", "layer", "GFLOP", "stock tfjs 4.22", "gancc fixed", "speed-up"];

function runKernel(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): void {
  const out = tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  out.dispose();
}

for (const backend of backendsArg.split(",")) {
  await selectBackend(backend as "cpu" | "wasm");
  let stockFilterGflops: number | undefined; // measured throughput of stock cpu filter kernel
  for (const L of layers) {
    const [n, h, w, ci] = L.x;
    const x = tf.randomNormal(L.x) as tf.Tensor4D;
    const wt = tf.randomNormal([L.k, L.k, ci, L.co]) as tf.Tensor4D;
    const y = tf.conv2d(x, wt, L.s, L.pad);
    const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
    const flops = 2 * y.size * L.k * L.k * ci;
    const common = { strides: [L.s, L.s], pad: L.pad, dataFormat: "NHWC", dimRoundingMode: undefined };
    const filterAttrs = { ...common, filterShape: wt.shape };
    const inputAttrs = { ...common, inputShape: x.shape };
    const measure = (fixed: boolean, kernel: "F" | "I" | "C"): Cell => {
      if (fixed) registerKernelFixes();
      else unregisterKernelFixes();
      try {
        if (kernel === "C") return { ms: time(() => runKernel("Conv2D", { x, filter: wt }, { ...common, dilations: [1, 1] })) };
        if (kernel === "I") return { ms: time(() => runKernel("Conv2DBackpropInput", { dy, filter: wt }, inputAttrs)) };
        if (tf.getKernel("Conv2DBackpropFilter", backend) == null) return { na: "not implemented" };
        if (!fixed && backend === "cpu") {
          const est = stockFilterGflops ? flops / (stockFilterGflops * 1e9) : 0;
          if (est > maxStockS) return { ms: est * 1000, note: " est." };
          const t0 = performance.now();
          runKernel("Conv2DBackpropFilter", { x, dy }, filterAttrs); // single run: it is slow
          const ms = performance.now() - t0;
          stockFilterGflops = flops / ms / 1e6;
          return { ms };
        }
        return { ms: time(() => runKernel("Conv2DBackpropFilter", { x, dy }, filterAttrs)) };
      } finally {
        registerKernelFixes();
      }
    };
    const gf = (flops / 1e9).toFixed(2);
    const fwd = measure(true, "C");
    rows.push([backend, "Conv2D (forward, reference)", L.name, gf, fmt(fwd, flops), "", ""]);
    for (const [label, k] of [
      ["Conv2DBackpropFilter (dW)", "F"],
      ["Conv2DBackpropInput (dx, = conv2dTranspose fwd)", "I"],
    ] as const) {
      const kernelName = k === "F" ? "Conv2DBackpropFilter" : "Conv2DBackpropInput";
      const before = measure(false, k);
      if (!isKernelFixActive(kernelName, backend)) {
        rows.push([backend, label, L.name, gf, fmt(before, flops), "(stock kept)", ""]);
        continue;
      }
      const after = measure(true, k);
      const speed = "ms" in before && "ms" in after ? `${(before.ms / after.ms).toFixed(1)}x` : "";
      rows.push([backend, label, L.name, gf, fmt(before, flops), fmt(after, flops), speed]);
    }
    tf.dispose([x, wt, y, dy]);
    void n;
    void h;
    void w;
  }
}

const widths = header.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(" | ");
console.log(`\ngancc kernel fixes — tfjs ${tf.version_core}, node ${process.version}, batch 1${quick ? " (quick)" : ""}`);
console.log(line(header));
console.log(widths.map((wd) => "-".repeat(wd)).join("-|-"));
for (const r of rows) console.log(line(r));
