/**
 * The conv kernels of a CycleGAN iteration on gancc's engine, next to their ceiling.
 *
 *   npx tsx bench/kernels.ts                     # wasm, CycleGAN (ngf 64) at 64² and 128², + PyTorch
 *   npx tsx bench/kernels.ts --sizes 64 --no-torch
 *   npx tsx bench/kernels.ts --stock             # adds stock tfjs 4.22 (fixes unregistered) for dx
 *   npx tsx bench/kernels.ts --backend cpu
 *   npx tsx bench/kernels.ts --only R256,convT   # just these layers
 *   npx tsx bench/kernels.ts --clock cpu         # process CPU time instead of wall time
 *
 * Every layer of the ResNet generator and the 70×70 PatchGAN as gancc lowers them (reflect-padded
 * convs are 'valid' convs of the padded input; conv-transposes are PyTorch's k3 s2 p1 op1), each
 * timed as three kernels: fwd, dx (input gradient) and dW (filter gradient).  For a
 * conv-transpose, fwd is Conv2DBackpropInput, dx is a forward Conv2D, dW is Conv2DBackpropFilter.
 *
 * The ceiling, measured in the same run on the same shapes:
 *   - XNNPACK: the backend's forward Conv2D of the layer's (equivalent) conv — what a gradient
 *     kernel built from XNNPACK can hope for;
 *   - PyTorch (bench/kernels_torch.py, /usr/bin/python3): the same three kernels with aten's own
 *     implementations, 1 thread and all cores.
 * Cells are the best-of wall time of repeated synchronous kernel calls (outputs disposed, not
 * read back), on both sides, on the wall clock or (--clock cpu) process CPU time — the steadier
 * measure on a loaded machine for single-threaded code; PyTorch with several threads is always
 * wall time.  The summary weights every layer by how often it occurs in one network (the
 * residual conv 18×) and gives, per kernel, GFLOP/s and the time ratio to PyTorch next to the
 * ceiling ratio (XNNPACK forward against PyTorch forward).  Not a test; numbers on a shared
 * machine are noisy — read the ratios, which are measured side by side.  All numbers also go to
 * bench/results/kernels-<date>.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../src/runtime/backend.js";
import { registerKernelFixes, torchConvTransposeGeometry, unregisterKernelFixes } from "../src/runtime/kernels/index.js";

const argv = process.argv.slice(2);
const opt = (name: string, d: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : d);
const sizes = opt("--sizes", "64,128").split(",").map(Number);
const backendName = opt("--backend", "wasm") as "wasm" | "cpu";
const budgetS = Number(opt("--budget-s", "0.6"));
const withTorch = !argv.includes("--no-torch");
const withStock = argv.includes("--stock");
/** which clock the tables use: wall (default) or process CPU time (steadier on a loaded machine for single-threaded code) */
const clock = opt("--clock", "wall") as "wall" | "cpu";
if (clock !== "wall" && clock !== "cpu") throw new Error(`--clock must be wall or cpu, not '${clock}'`);
const ngf = 64;

type Shape4 = [number, number, number, number];
interface Layer {
  name: string;
  kind: "conv" | "convT";
  /** NHWC input of the layer (for convT: the convT's input) */
  x: Shape4;
  k: number;
  co: number;
  s: number;
  p: number;
  op: number;
  /** occurrences in one network */
  count: number;
}

function cycleganLayers(R: number): Layer[] {
  const g = ngf;
  const L = (name: string, kind: Layer["kind"], x: Shape4, k: number, co: number, s: number, p: number, op = 0, count = 1): Layer =>
    ({ name: `${R}² ${name}`, kind, x, k, co, s, p, op, count });
  return [
    L("G c7s1-64", "conv", [1, R + 6, R + 6, 3], 7, g, 1, 0),
    L("G d128", "conv", [1, R, R, g], 3, 2 * g, 2, 1),
    L("G d256", "conv", [1, R / 2, R / 2, 2 * g], 3, 4 * g, 2, 1),
    L("G R256 (x18)", "conv", [1, R / 4 + 2, R / 4 + 2, 4 * g], 3, 4 * g, 1, 0, 0, 18),
    L("G u128 convT", "convT", [1, R / 4, R / 4, 4 * g], 3, 2 * g, 2, 1, 1),
    L("G u64 convT", "convT", [1, R / 2, R / 2, 2 * g], 3, g, 2, 1, 1),
    L("G c7s1-3", "conv", [1, R + 6, R + 6, g], 7, 3, 1, 0),
    L("D c4s2-64", "conv", [1, R, R, 3], 4, 64, 2, 1),
    L("D c4s2-128", "conv", [1, R / 2, R / 2, 64], 4, 128, 2, 1),
    L("D c4s2-256", "conv", [1, R / 4, R / 4, 128], 4, 256, 2, 1),
    L("D c4s1-512", "conv", [1, R / 8, R / 8, 256], 4, 512, 1, 1),
    L("D c4s1-1", "conv", [1, R / 8 - 1, R / 8 - 1, 512], 4, 1, 1, 1),
  ];
}

const KERNELS = ["fwd", "dx", "dw"] as const;
type KernelId = (typeof KERNELS)[number];

/** Best-of wall and process-CPU milliseconds of one kernel. */
interface Clocks {
  wall: number;
  cpu: number;
}
const pick = (c: Clocks): number => c[clock];

/**
 * Best-of ms of fn (≥ 3 runs, ≤ ~budget), on both clocks: on a shared machine other processes
 * only ever add time, so the minimum is the steadiest estimate of the kernel's own cost.
 */
function time(fn: () => void): Clocks {
  fn(); // warm-up: XNNPACK operator creation, filter caches, JIT
  let wall = Infinity;
  let cpu = Infinity;
  const t0 = performance.now();
  for (let n = 0; n < 3 || (performance.now() - t0 < budgetS * 1000 && n < 30); n++) {
    const w = performance.now();
    const c = process.cpuUsage();
    fn();
    const dc = process.cpuUsage(c);
    wall = Math.min(wall, performance.now() - w);
    cpu = Math.min(cpu, (dc.user + dc.system) / 1000);
  }
  return { wall, cpu };
}

const runKernel = (name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>) =>
  (tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor).dispose();

interface Measured {
  flops: number;
  ms: Record<KernelId, Clocks>;
  /** the backend's forward Conv2D of the (equivalent) conv: the XNNPACK ceiling on wasm */
  ceilingMs: Clocks;
  stockDxMs?: Clocks;
}

/** Times fwd/dx/dW of one layer; tensors live only inside. */
function measureLayer(L: Layer): Measured {
  let m: Measured | undefined;
  tf.tidy(() => {
    m = measureLayerIn(L);
  });
  return m!;
}

function measureLayerIn(L: Layer): Measured {
  const [n, h, w, ci] = L.x;
  const explicit = (top: number, bottom: number) => [[0, 0], [top, bottom], [top, bottom], [0, 0]];
  if (L.kind === "conv") {
    const pad = L.p === 0 ? "valid" : explicit(L.p, L.p);
    const x = tf.randomNormal(L.x);
    const filter = tf.randomNormal([L.k, L.k, ci, L.co]);
    const conv = { strides: [L.s, L.s], pad, dataFormat: "NHWC", dimRoundingMode: undefined };
    const y = tf.engine().runKernel("Conv2D", { x, filter }, { ...conv, dilations: [1, 1] } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const dy = tf.randomNormal(y.shape);
    const fwd = () => runKernel("Conv2D", { x, filter }, { ...conv, dilations: [1, 1] });
    const dx = () => runKernel("Conv2DBackpropInput", { dy, filter }, { ...conv, inputShape: L.x });
    const dw = () => runKernel("Conv2DBackpropFilter", { x, dy }, { ...conv, filterShape: filter.shape });
    const fwdMs = time(fwd);
    return {
      flops: 2 * y.size * L.k * L.k * ci,
      ms: { fwd: fwdMs, dx: time(dx), dw: time(dw) },
      ceilingMs: fwdMs,
      stockDxMs: withStock ? stock(dx) : undefined,
    };
  }
  // conv-transpose = the input gradient of the conv out -> in with the same filter
  const geo = torchConvTransposeGeometry([h, w], [L.k, L.k], { stride: L.s, padding: L.p, outputPadding: L.op });
  const outShape: Shape4 = [n, geo.outHW[0], geo.outHW[1], L.co];
  const xin = tf.randomNormal(L.x);
  const filter = tf.randomNormal([L.k, L.k, L.co, ci]);
  const dOut = tf.randomNormal(outShape);
  const conv = { strides: [L.s, L.s], pad: geo.pad, dataFormat: "NHWC", dimRoundingMode: undefined };
  const fwd = () => runKernel("Conv2DBackpropInput", { dy: xin, filter }, { ...conv, inputShape: outShape });
  const dx = () => runKernel("Conv2D", { x: dOut, filter }, { ...conv, dilations: [1, 1] });
  const dw = () => runKernel("Conv2DBackpropFilter", { x: dOut, dy: xin }, { ...conv, filterShape: filter.shape });
  const dxMs = time(dx);
  return {
    flops: 2 * xin.size * L.k * L.k * L.co,
    ms: { fwd: time(fwd), dx: dxMs, dw: time(dw) },
    ceilingMs: dxMs,
    stockDxMs: withStock ? stock(fwd) : undefined,
  };
}

/** Time with the stock tfjs kernels (fixes unregistered). */
function stock(fn: () => void): Clocks {
  unregisterKernelFixes();
  try {
    return time(fn);
  } finally {
    registerKernelFixes();
  }
}

interface TorchRun {
  threads: number;
  torch: string;
  /** wall-clock best-of ms by "<layer>/<kernel>" */
  ms: Record<string, number>;
  /** process-CPU best-of ms (meaningful with 1 thread) */
  cpu_ms: Record<string, number>;
}

/** PyTorch's time of a kernel on the tables' clock (CPU time only for the 1-thread run). */
const torchMs = (r: TorchRun, key: string): number | undefined => (clock === "cpu" && r.threads === 1 ? r.cpu_ms : r.ms)[key];
const torchLabel = (r: TorchRun) => `PyTorch ${r.threads}T${clock === "cpu" && r.threads > 1 ? " (wall)" : ""}`;

function runTorch(layers: Layer[], threads: number): TorchRun | undefined {
  const r = spawnSync("/usr/bin/python3", [new URL("./kernels_torch.py", import.meta.url).pathname, "--threads", String(threads), "--budget-s", String(budgetS)], {
    input: JSON.stringify(layers),
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) {
    process.stderr.write(`PyTorch run (${threads} threads) failed: ${r.error?.message ?? r.stderr}\n`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as TorchRun;
}

const gfs = (flops: number, ms: number) => flops / ms / 1e6;
const fmtG = (g: number) => (g >= 10 ? g.toFixed(0) : g.toFixed(1));
const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const cell = (flops: number, ms: number | undefined) => (ms == null ? "–" : `${fmtMs(ms)} ms (${fmtG(gfs(flops, ms))})`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((hd, i) => Math.max(hd.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((wd) => "-".repeat(wd + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

await selectBackend(backendName);
const allThreads = cpus().length;
// --only d128,convT: just the layers whose name contains one of these (quick comparisons)
const only = argv.includes("--only") ? opt("--only", "").split(",") : undefined;
const layers = sizes.flatMap(cycleganLayers).filter((L) => only == null || only.some((o) => L.name.includes(o)));
const results = new Map<string, Measured>();
for (const L of layers) {
  process.stderr.write(`${backendName} ${L.name} ...\n`);
  results.set(L.name, measureLayer(L));
}
const torchRuns: TorchRun[] = [];
if (withTorch) {
  for (const t of [...new Set([1, allThreads])]) {
    process.stderr.write(`PyTorch, ${t} thread(s) ...\n`);
    const r = runTorch(layers, t);
    if (r) torchRuns.push(r);
  }
}

const torchHead = torchRuns.map((r) => `${torchLabel(r)} ms (GF/s)`);
const header = ["layer", "GFLOP", "kernel", `gancc ${backendName} ms (GF/s)`, "of XNNPACK fwd", ...(withStock ? ["stock tfjs"] : []), ...torchHead, ...torchRuns.map((r) => `÷ ${torchLabel(r)}`)];
const rows: string[][] = [];
for (const L of layers) {
  const m = results.get(L.name)!;
  for (const k of KERNELS) {
    const tms = torchRuns.map((r) => torchMs(r, `${L.name}/${k}`));
    rows.push([
      L.name,
      (m.flops / 1e9).toFixed(2),
      `${L.kind === "convT" ? "convT " : ""}${k}`,
      cell(m.flops, pick(m.ms[k])),
      `${((100 * pick(m.ceilingMs)) / pick(m.ms[k])).toFixed(0)}%`,
      ...(withStock ? [k === (L.kind === "conv" ? "dx" : "fwd") && m.stockDxMs ? cell(m.flops, pick(m.stockDxMs)) : ""] : []),
      ...tms.map((t) => cell(m.flops, t)),
      ...tms.map((t) => (t == null ? "–" : `${(pick(m.ms[k]) / t).toFixed(2)}×`)),
    ]);
  }
}

// Summary: one network pass of each size, every layer weighted by its count.
const sumHeader = ["size", "kernel", `gancc ${backendName} GF/s`, "XNNPACK fwd GF/s (ceiling)", ...torchRuns.map((r) => `${torchLabel(r)} GF/s`), ...torchRuns.map((r) => `time ÷ ${torchLabel(r)}`), ...torchRuns.map((r) => `ceiling ratio ${r.threads}T`)];
const sumRows: string[][] = [];
const summary: Record<string, unknown>[] = [];
for (const R of sizes) {
  const ls = layers.filter((L) => L.name.startsWith(`${R}² `));
  for (const k of [...KERNELS, "fwd+dx+dw"] as const) {
    const ks = k === "fwd+dx+dw" ? KERNELS : [k];
    let flops = 0;
    let ms = 0;
    let ceilMs = 0;
    const tMs = torchRuns.map(() => 0);
    const tCeil = torchRuns.map(() => 0);
    for (const L of ls) {
      const m = results.get(L.name)!;
      for (const kk of ks) {
        flops += L.count * m.flops;
        ms += L.count * pick(m.ms[kk]);
        ceilMs += L.count * pick(m.ceilingMs);
        torchRuns.forEach((r, i) => {
          tMs[i]! += L.count * torchMs(r, `${L.name}/${kk}`)!;
          // PyTorch's forward of the same (equivalent) conv: for a convT that is its dx
          tCeil[i]! += L.count * torchMs(r, `${L.name}/${L.kind === "conv" ? "fwd" : "dx"}`)!;
        });
      }
    }
    const ratio = tMs.map((t) => ms / t);
    const ceilingRatio = tCeil.map((t) => ceilMs / t);
    summary.push({ size: R, kernel: k, flops, ms, ceilingMs: ceilMs, torchMs: tMs, ratio, ceilingRatio });
    sumRows.push([
      `${R}²`,
      k,
      fmtG(gfs(flops, ms)),
      fmtG(gfs(flops, ceilMs)),
      ...tMs.map((t) => fmtG(gfs(flops, t))),
      ...ratio.map((r) => `${r.toFixed(2)}×`),
      ...ceilingRatio.map((r) => `${r.toFixed(2)}×`),
    ]);
  }
}

const title = `gancc conv kernels — ${backendName}, ${clock === "cpu" ? "process CPU time" : "wall time"}, best of repeated calls, tfjs ${tf.version_core}, node ${process.version}, batch 1, ngf ${ngf}` +
  (torchRuns[0] ? `, PyTorch ${torchRuns[0].torch}` : "") + `, ${allThreads} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`;
console.log(`\n${title}\n`);
console.log(table(header, rows));
console.log(`\nPer network pass (layers weighted by count; "ceiling ratio" = XNNPACK forward time ÷ PyTorch forward time on the same shapes):\n`);
console.log(table(sumHeader, sumRows));

mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
const file = new URL(`./results/kernels-${new Date().toISOString().replace(/[:.]/g, "-")}.json`, import.meta.url);
writeFileSync(file, JSON.stringify({ title, layers, results: Object.fromEntries(results), torch: torchRuns, summary, loadavg: loadavg() }, null, 1));
console.error(`\nwrote ${file.pathname}`);
