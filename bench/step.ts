/**
 * Benchmark: one full CycleGAN training iteration (specs/cyclegan.gan, ngf 64, ndf 64, batch 1:
 * generator step, then discriminator step) on each tfjs backend, next to PyTorch's time for the
 * same iteration measured in the same run.
 *
 *   node --import tsx bench/step.ts                                   # sizes 64,128; backends tensorflow,webgpu,wasm,cpu
 *   node --import tsx bench/step.ts --sizes 64,128 --backends wasm,cpu --iters 3
 *   node --import tsx bench/step.ts --sizes 64 --backends wasm --iters 2 --no-torch
 *   node --import tsx bench/step.ts --sizes 64 --backends webgpu,wasm --swiftshader  # webgpu without a GPU
 *
 * Flags: --sizes a,b (default 64,128)   --backends list (default tensorflow,webgpu,wasm,cpu; tensorflow is
 * reported "not installed" where @tensorflow/tfjs-node cannot load, webgpu "not available" with the
 * reason where no WebGPU adapter can be created; a software adapter (SwiftShader, llvmpipe) is
 * labelled as such)   --swiftshader (run the webgpu configurations on the SwiftShader Vulkan driver
 * of Debian's chromium package: LD_LIBRARY_PATH=/usr/lib/chromium
 * VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json in their environment)   --iters N timed iterations
 * after 1 warm-up (default 3)   --skip cpu@128,... (not run; estimated from the same backend at
 * another size, by pixel count)   --max-config-s S (default 900: a configuration whose estimated
 * run time (warm-up + iters + the profiled one) exceeds S is skipped and estimated the same way; 0 = no limit)
 * --ngf/--ndf (default 64)   --torch-threads 1,all (default)   --threads 1,all (default: the wasm
 * backend's kernel threads, one configuration each; all = the core count)   --no-torch   --python /usr/bin/python3
 * --no-profile (skip the extra profiled iteration that gives the peak tensor memory and the
 * per-kernel breakdown)   --timeout-s S per configuration (default 3600)   --no-torch-engine (skip the
 * row of gancc's generated PyTorch code, `--engine torch`: step_torch_engine.ts; it runs with each
 * --torch-threads count next to the hand-written step_torch.py; target ≤ 1.1× its time).
 *
 * Each configuration runs in its own process (tfjs: this file with --child; PyTorch:
 * bench/step_torch.py through /usr/bin/python3, Debian's python3-torch 1.13 CPU), so that peak
 * RSS and the wasm heap (which only grows) are per configuration. PyTorch runs once with
 * torch.set_num_threads(1) — tfjs's cpu backend is plain single-threaded JavaScript, and wasm
 * runs once per --threads count — and once with all cores.
 *
 * Measured per tfjs configuration: wall time (and process CPU time) of each timed
 * `model.trainIteration` (it ends by reading the loss values, so the work is done); the forward
 * pass alone of one generator and one discriminator (training mode, no gradient tape); peak
 * tfjs tensor memory (`tf.memory().numBytes`: sampled before/after every iteration, and the
 * kernel-by-kernel peak of one extra iteration under `tf.profile`, which also gives the time
 * per kernel name); peak process RSS (`process.resourceUsage().maxRSS`); the wasm heap size.
 * `numBytes` counts tensor handles, so handles sharing one buffer (a reshape, a variable and the
 * tensor it was made from) count twice; the wasm heap (it only grows: its final size is its high-water
 * mark, fragmentation included) and RSS are physical. A configuration that fails part-way (e.g. the
 * wasm heap reaching its 4 GiB wasm32 limit) is reported with how far it got.
 *
 * Prints Markdown tables (for the README) and writes everything to bench/results/step-<date>.json
 * (gitignored). No assertions: the numbers are for reading. Not part of npm test.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../src/compiler/compile.js";
import { selectBackend, type BackendKind } from "../src/runtime/backend.js";
import { wasmHeapBytes } from "../src/runtime/heap_meter.js";
import { Model } from "../src/runtime/model.js";
import type { WebgpuAdapterDescription } from "../src/runtime/webgpu.js";
import { runTorchEngine, type EngineOutcome } from "./step_torch_engine.js";
import { median } from "./stats.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const SPEC = "specs/cyclegan.gan";
const RESULT_TAG = "@@step-result ";

// ---------------------------------------------------------------------------------------------
// configuration and results

interface ChildConfig {
  backend: string;
  /** wasm: kernel threads (selectBackend's `threads`) */
  threads?: number;
  size: number;
  iters: number;
  ngf: number;
  ndf: number;
  profile: boolean;
}

interface KernelStat {
  name: string;
  ms: number;
  calls: number;
  /** false for op scopes that run other kernels (customGrad's "forward", "fusedConv2d__op"): their time includes their kernels' */
  kernel: boolean;
}

interface TfjsResult {
  runtime: "tfjs";
  backend: string;
  reason: string;
  /** wasm: the kernel threads XNNPACK runs on; cpu: 1 */
  threads?: number;
  /** webgpu: the adapter (vendor, architecture, description, software or not) */
  adapter?: WebgpuAdapterDescription;
  size: number;
  iters: number;
  warmup_s: number;
  times_s: number[];
  cpu_s: number[];
  median_s: number;
  min_s: number;
  g_fwd_s: number;
  d_fwd_s: number;
  params: number;
  /** tf.memory().numBytes before any model was built, after the warm-up, and the max sampled around iterations */
  tensor_bytes_base: number;
  tensor_bytes_steady: number;
  tensor_bytes_sampled_max: number;
  /** kernel-granular peak of tf.memory().numBytes during one profiled iteration */
  tensor_bytes_peak?: number;
  profiled_s?: number;
  kernels?: KernelStat[];
  /** the 40 costliest (kernel name, input shapes → output shape) groups of the profiled iteration: which layers */
  kernels_by_shape?: { key: string; ms: number; calls: number }[];
  rss_base_bytes: number;
  peak_rss_bytes: number;
  wasm_heap_bytes?: number;
  loadavg: number[];
}

interface TorchResult {
  runtime: "pytorch";
  torch: string;
  threads: number;
  size: number;
  iters: number;
  warmup_s: number;
  times_s: number[];
  cpu_s?: number[];
  median_s: number;
  g_fwd_s: number;
  d_fwd_s: number;
  peak_rss_bytes: number;
  params: number;
}

type Outcome<T> = { ok: true; result: T } | { ok: false; why: string; estimate_s?: number; partial?: Progress };

/** How far a tfjs child got (reported when it fails part-way, e.g. when the wasm heap runs out). */
interface Progress {
  phase: string;
  backend?: string;
  warmup_s?: number;
  times_s: number[];
  wasm_heap_bytes?: number;
  peak_rss_bytes?: number;
}
const progress: Progress = { phase: "setup", times_s: [] };
const WASM_HEAP_MAX = 4294901760; // tfjs-backend-wasm's Emscripten getHeapMax(): the wasm32 limit, 4 GiB - 64 KiB

// ---------------------------------------------------------------------------------------------
// child: one tfjs configuration

async function runChild(cfg: ChildConfig): Promise<TfjsResult> {
  const rssBase = process.memoryUsage().rss;
  const sel = await selectBackend(cfg.backend as BackendKind, { threads: cfg.threads });
  progress.backend = sel.name;
  const tensorBase = tf.memory().numBytes;
  const text = readFileSync(path.join(ROOT, SPEC), "utf8");
  const r = compileSource(text, SPEC, { set: { ngf: cfg.ngf, ndf: cfg.ndf, size: cfg.size, load_size: cfg.size } });
  if (!r.ir) throw new Error(`${SPEC} does not compile: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  const model = new Model(r.ir, { seed: 0 });
  const params = [...model.nets.values()].reduce((a, n) => a + n.parameterCount(), 0);
  const S = cfg.size;
  const A = tf.randomUniform([1, S, S, 3], -1, 1, "float32", 1);
  const B = tf.randomUniform([1, S, S, 3], -1, 1, "float32", 2);
  const batch = { A, B };
  const log = (m: string) => process.stderr.write(`  [${cfg.backend} ${S}x${S}] ${m}\n`);

  let sampledMax = tf.memory().numBytes;
  const sample = () => (sampledMax = Math.max(sampledMax, tf.memory().numBytes));
  const once = async () => {
    sample();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await model.trainIteration(batch);
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    sample();
    return { wall, cpu: (c.user + c.system) / 1e6 };
  };

  progress.phase = "the warm-up iteration";
  const warm = await once();
  progress.warmup_s = warm.wall;
  log(`warm-up ${warm.wall.toFixed(2)} s`);
  const steady = tf.memory().numBytes;
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < cfg.iters; i++) {
    progress.phase = `timed iteration ${i + 1}`;
    const t = await once();
    times.push(t.wall);
    progress.times_s.push(t.wall);
    cpu.push(t.cpu);
    log(`iteration ${i + 1}/${cfg.iters}: ${t.wall.toFixed(2)} s (cpu ${t.cpu.toFixed(2)} s)`);
  }

  // the forward pass alone (training mode, as the iteration runs it; no tape), median of 3
  // (read back asynchronously: webgpu cannot read synchronously in Node)
  const fwd = async (net: string) => {
    const run = async () => {
      const y = tf.tidy(() => model.net(net).forward(A, { training: true }));
      await y.data();
      y.dispose();
    };
    await run();
    const ts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await run();
      ts.push((performance.now() - t0) / 1000);
    }
    return median(ts);
  };
  progress.phase = "the forward-only timing";
  const gFwd = await fwd("G_AB");
  const dFwd = await fwd("D_A");
  log(`forward alone: G ${gFwd.toFixed(3)} s, D ${dFwd.toFixed(3)} s`);

  let peak: number | undefined;
  let profiled: number | undefined;
  let kernels: KernelStat[] | undefined;
  let byShape: { key: string; ms: number; calls: number }[] | undefined;
  if (cfg.profile) {
    // per-kernel wall time and the kernel-granular memory peak; the NaN check would read every output back
    tf.env().set("CHECK_COMPUTATION_FOR_ERRORS", false);
    progress.phase = "the profiled iteration";
    const t0 = performance.now();
    const info = await tf.profile(() => model.trainIteration(batch) as unknown as Promise<tf.TensorContainer>);
    profiled = (performance.now() - t0) / 1000;
    peak = info.peakBytes;
    const by = new Map<string, KernelStat>();
    for (const k of info.kernels) {
      const s = by.get(k.name) ?? { name: k.name, ms: 0, calls: 0, kernel: tf.getKernel(k.name, sel.name) != null };
      s.ms += Number(k.kernelTimeMs) || 0;
      s.calls += 1;
      by.set(k.name, s);
    }
    kernels = [...by.values()].sort((a, b) => b.ms - a.ms);
    const bs = new Map<string, { key: string; ms: number; calls: number }>();
    for (const k of info.kernels) {
      if (tf.getKernel(k.name, sel.name) == null) continue;
      const key = `${k.name} ${k.inputShapes.map((x) => `[${x ?? ""}]`).join(" ")} -> ${k.outputShapes.map((x) => `[${x}]`).join(" ")}`;
      const g = bs.get(key) ?? { key, ms: 0, calls: 0 };
      g.ms += Number(k.kernelTimeMs) || 0;
      g.calls += 1;
      bs.set(key, g);
    }
    byShape = [...bs.values()].sort((a, b) => b.ms - a.ms).slice(0, 40);
    log(`profiled iteration ${profiled.toFixed(2)} s, peak tensor memory ${(peak / 2 ** 20).toFixed(0)} MiB`);
  }

  // wasm: the Emscripten module's linear memory (it only grows, so its size now is its peak)
  const wasmHeap = sel.name === "wasm" ? wasmHeapBytes() : undefined;
  tf.dispose([A, B]);
  model.dispose();
  return {
    runtime: "tfjs",
    backend: sel.name,
    reason: sel.reason,
    threads: sel.threads,
    adapter: sel.adapter,
    size: S,
    iters: cfg.iters,
    warmup_s: warm.wall,
    times_s: times,
    cpu_s: cpu,
    median_s: median(times),
    min_s: Math.min(...times),
    g_fwd_s: gFwd,
    d_fwd_s: dFwd,
    params,
    tensor_bytes_base: tensorBase,
    tensor_bytes_steady: steady,
    tensor_bytes_sampled_max: sampledMax,
    tensor_bytes_peak: peak,
    profiled_s: profiled,
    kernels,
    kernels_by_shape: byShape,
    rss_base_bytes: rssBase,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    wasm_heap_bytes: wasmHeap,
    loadavg: os.loadavg(),
  };
}

// ---------------------------------------------------------------------------------------------
// parent: orchestration and tables

function flag(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] != null ? argv[i + 1]! : def;
}

/** The SwiftShader Vulkan driver of Debian's chromium package (a software WebGPU adapter for Dawn). */
const SWIFTSHADER_ENV = { LD_LIBRARY_PATH: "/usr/lib/chromium", VK_ICD_FILENAMES: "/usr/lib/chromium/vk_swiftshader_icd.json" };

function spawnTfjs(cfg: ChildConfig, timeoutS: number, swiftshader = false): Outcome<TfjsResult> {
  const env = swiftshader && cfg.backend === "webgpu" ? { ...process.env, ...SWIFTSHADER_ENV } : process.env;
  const p = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child", JSON.stringify(cfg)], {
    env,
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: timeoutS * 1000,
    maxBuffer: 64 * 2 ** 20,
  });
  const line = (p.stdout ?? "").split("\n").find((l) => l.startsWith(RESULT_TAG));
  if (line) {
    const v = JSON.parse(line.slice(RESULT_TAG.length)) as { result?: TfjsResult; error?: string; unavailable?: string; progress?: Progress };
    if (v.result) return { ok: true, result: v.result };
    if (v.unavailable) return { ok: false, why: cfg.backend === "webgpu" ? `not available: ${v.unavailable}` : "not installed" };
    const pr = v.progress;
    let why = `failed in ${pr?.phase ?? "setup"}: ${v.error}`;
    if (pr?.wasm_heap_bytes != null) {
      why += ` (wasm heap ${fmtMiB(pr.wasm_heap_bytes)}${pr.wasm_heap_bytes >= WASM_HEAP_MAX - 2 ** 20 ? ", the 4 GiB wasm32 limit" : ""})`;
    }
    if (pr?.warmup_s != null) why += `; warm-up iteration ${fmtS(pr.warmup_s)}`;
    if (pr?.times_s.length) why += `; timed: ${pr.times_s.map(fmtS).join(", ")}`;
    return { ok: false, why, partial: pr };
  }
  if (p.error && (p.error as NodeJS.ErrnoException).code === "ETIMEDOUT") return { ok: false, why: `timed out (> ${timeoutS} s)` };
  return { ok: false, why: `failed (exit ${p.status ?? p.signal})` };
}

function spawnTorch(python: string, size: number, threads: number, iters: number, ngf: number, ndf: number, timeoutS: number): Outcome<TorchResult> {
  const args = [path.join(HERE, "step_torch.py"), "--size", `${size}`, "--threads", `${threads}`, "--iters", `${iters}`, "--ngf", `${ngf}`, "--ndf", `${ndf}`];
  const p = spawnSync(python, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: timeoutS * 1000 });
  if (p.error) return { ok: false, why: `could not run ${python}: ${p.error.message}` };
  const line = (p.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    return { ok: true, result: JSON.parse(line) as TorchResult };
  } catch {
    return { ok: false, why: `failed (exit ${p.status ?? p.signal})` };
  }
}

const fmtS = (s: number) => (s < 0.1 ? `${(s * 1000).toFixed(1)} ms` : s < 1 ? `${(s * 1000).toFixed(0)} ms` : (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2)) + " s");
const fmtMiB = (b?: number) => (b == null ? "—" : `${(b / 2 ** 20).toFixed(0)} MiB`);
const fmtX = (r: number) => `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×`;

/** The runtime column: webgpu names its adapter, and says when it is software (a CPU). */
function runtimeLabel(t: TfjsResult): string {
  if (t.backend !== "webgpu" || t.adapter == null) return `tfjs ${t.backend}`;
  const a = t.adapter;
  const name = [a.vendor, a.architecture].filter(Boolean).join(" ");
  return a.software ? `tfjs webgpu, software adapter (${name}: runs on the CPU)` : `tfjs webgpu (${name}${a.description ? `, ${a.description}` : ""})`;
}
/** The threads column: tfjs-node is native (multi-threaded), webgpu runs on its adapter, wasm on its kernel threads, cpu on one. */
function threadsLabel(t: TfjsResult): string {
  if (t.backend === "tensorflow") return "native";
  if (t.backend === "webgpu") return t.adapter?.software ? "driver's" : "GPU";
  return `${t.threads ?? 1}`;
}

async function parent(argv: string[]): Promise<void> {
  const sizes = flag(argv, "--sizes", "64,128").split(",").map(Number).sort((a, b) => a - b);
  const backends = flag(argv, "--backends", "tensorflow,webgpu,wasm,cpu").split(",");
  const swiftshader = argv.includes("--swiftshader");
  const iters = Number(flag(argv, "--iters", "3"));
  const ngf = Number(flag(argv, "--ngf", "64"));
  const ndf = Number(flag(argv, "--ndf", "64"));
  const skip = new Set(flag(argv, "--skip", "").split(",").filter(Boolean));
  const maxConfigS = Number(flag(argv, "--max-config-s", "900"));
  const timeoutS = Number(flag(argv, "--timeout-s", "3600"));
  const python = flag(argv, "--python", "/usr/bin/python3");
  const noTorch = argv.includes("--no-torch");
  const noEngine = noTorch || argv.includes("--no-torch-engine");
  const profile = !argv.includes("--no-profile");
  const cores = os.availableParallelism();
  const torchThreads = [
    ...new Set(
      flag(argv, "--torch-threads", "1,all")
        .split(",")
        .map((t) => (t === "all" ? cores : Number(t))),
    ),
  ];
  const wasmThreads = [...new Set(flag(argv, "--threads", "1,all").split(",").map((t) => (t === "all" ? cores : Number(t))))];
  if (!(iters >= 1) || sizes.some((s) => !(s > 0))) throw new Error("--iters must be ≥ 1 and --sizes positive integers");
  if (wasmThreads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error("--threads expects whole numbers ≥ 1 or all, e.g. 1,2");
  // one tfjs configuration per backend, and per thread count for wasm (`name` keys the results)
  const tfjsConfigs = backends.flatMap((b) => (b === "wasm" ? wasmThreads.map((th) => ({ backend: b, threads: th as number | undefined, name: `wasm/${th}` })) : [{ backend: b, threads: undefined, name: b }]));

  const started = new Date();
  const loadStart = os.loadavg();
  process.stderr.write(`bench/step: sizes ${sizes.join(",")}, backends ${backends.join(",")}, ${iters} timed iteration(s) after 1 warm-up; load average ${loadStart.map((l) => l.toFixed(2)).join(" ")}\n`);

  const tfjs = new Map<string, Outcome<TfjsResult>>(); // `${backend}@${size}`
  const torch = new Map<string, Outcome<TorchResult>>(); // `${threads}@${size}`
  const engine = new Map<string, EngineOutcome>(); // `${threads}@${size}`: gancc's generated PyTorch code
  const measuredAt = new Map<string, { size: number; s: number }>(); // backend → first measurement
  const estimate = (backend: string, size: number) => {
    const m = measuredAt.get(backend);
    return m ? m.s * (size / m.size) ** 2 : undefined;
  };

  for (const size of sizes) {
    if (!noTorch) {
      for (const th of torchThreads) {
        process.stderr.write(`PyTorch ${size}x${size}, ${th} thread(s)…\n`);
        const o = spawnTorch(python, size, th, iters, ngf, ndf, timeoutS);
        if (o.ok) process.stderr.write(`  median ${fmtS(o.result.median_s)} (${o.result.times_s.map((t) => t.toFixed(2)).join(", ")})\n`);
        else process.stderr.write(`  ${o.why}\n`);
        torch.set(`${th}@${size}`, o);
        if (noEngine) continue;
        process.stderr.write(`gancc torch engine ${size}x${size}, ${th} thread(s)…\n`);
        const e = runTorchEngine({ root: ROOT, spec: SPEC, python, size, threads: th, iters, ngf, ndf, timeoutS });
        if (e.ok) process.stderr.write(`  median ${fmtS(e.result.median_s)} (${e.result.times_s.map((t) => t.toFixed(2)).join(", ")})${o.ok ? `, ${fmtX(e.result.median_s / o.result.median_s)} the hand-written` : ""}\n`);
        else process.stderr.write(`  ${e.why}\n`);
        engine.set(`${th}@${size}`, e);
      }
    }
    for (const { backend, threads, name } of tfjsConfigs) {
      const key = `${name}@${size}`;
      const est = estimate(name, size);
      if (skip.has(key)) {
        tfjs.set(key, { ok: false, why: "skipped (--skip)", estimate_s: est });
        continue;
      }
      const runs = iters + (profile ? 2 : 1); // warm-up, timed, profiled
      if (est != null && maxConfigS > 0 && est * runs > maxConfigS) {
        tfjs.set(key, { ok: false, why: `skipped: ${runs} iterations ≈ ${fmtS(est * runs)} > --max-config-s ${maxConfigS}`, estimate_s: est });
        continue;
      }
      process.stderr.write(`tfjs ${backend}${threads != null ? `, ${threads} thread(s)` : ""} ${size}x${size}…\n`);
      const o = spawnTfjs({ backend, threads, size, iters, ngf, ndf, profile }, timeoutS, swiftshader);
      if (!o.ok) process.stderr.write(`  ${o.why}\n`);
      if (o.ok && !measuredAt.has(name)) measuredAt.set(name, { size, s: o.result.median_s });
      tfjs.set(key, o);
    }
  }

  // ---- tables
  const torchVersion = [...torch.values()].find((o) => o.ok) as { result: TorchResult } | undefined;
  const tfjsAny = [...tfjs.values()].find((o) => o.ok) as { result: TfjsResult } | undefined;
  const cpuModel = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const out: string[] = [];
  out.push(
    `One CycleGAN training iteration (${SPEC}: ResNet-9 generators ngf ${ngf}, PatchGAN ndf ${ndf}, batch 1; ` +
      `generator step + discriminator step, Adam) — tfjs ${tf.version_core}, node ${process.version}` +
      (torchVersion ? `, PyTorch ${torchVersion.result.torch} CPU` : "") +
      `; ${cpuModel}, ${cores} cores; ${started.toISOString().slice(0, 10)}. ` +
      `Times: wall time, median of ${iters} after 1 warm-up (min in brackets); CPU s: process CPU time (median); ratio = tfjs time ÷ PyTorch time.`,
    "",
  );
  const thCols = noTorch ? [] : torchThreads;
  // CPU time (user + system of the whole process) per iteration: for single-threaded runs it is what the
  // wall time would be on an idle machine, so it is the fairer number when other processes compete for the cores
  const cpuRef = thCols.includes(1);
  out.push(
    `| size | runtime | threads | s / iteration | CPU s / iteration | ${thCols.map((t) => `÷ PyTorch ${t} thr.`).join(" | ")}${thCols.length ? " | " : ""}` +
      `${cpuRef ? "CPU time ÷ PyTorch 1 thr. | " : ""}peak tensor memory | peak RSS | wasm heap |`,
    `|---|---|---:|---:|---:|${thCols.map(() => "---:|").join("")}${cpuRef ? "---:|" : ""}---:|---:|---:|`,
  );
  const nCols = 5 + thCols.length + (cpuRef ? 1 : 0) + 3;
  const medCpu = (r: { cpu_s?: number[] }) => (r.cpu_s?.length ? median(r.cpu_s) : undefined);
  for (const size of sizes) {
    const ref = (th: number) => torch.get(`${th}@${size}`);
    const ref1 = ref(1);
    const ref1Cpu = ref1?.ok ? medCpu(ref1.result) : undefined;
    for (const { backend, threads, name } of tfjsConfigs) {
      const o = tfjs.get(`${name}@${size}`)!;
      const label = `${size}×${size}`;
      if (!o.ok) {
        const est = o.estimate_s != null ? `~${fmtS(o.estimate_s)} (est.) — ` : "";
        const cells = [label, `tfjs ${backend}`, backend === "tensorflow" || backend === "webgpu" ? "" : `${threads ?? 1}`, `${est}${o.why}`, ""];
        for (const th of thCols) {
          const r = ref(th);
          cells.push(o.estimate_s != null && r?.ok ? `~${fmtX(o.estimate_s / r.result.median_s)}` : "");
        }
        while (cells.length < nCols) cells.push("");
        out.push(`| ${cells.join(" | ")} |`);
        continue;
      }
      const t = o.result;
      const c = medCpu(t)!;
      const cells = [label, runtimeLabel(t), threadsLabel(t), `${fmtS(t.median_s)} (${fmtS(t.min_s)})`, fmtS(c)];
      for (const th of thCols) {
        const r = ref(th);
        cells.push(r?.ok ? fmtX(t.median_s / r.result.median_s) : "—");
      }
      if (cpuRef) cells.push(ref1Cpu != null && threadsLabel(t) === "1" ? fmtX(c / ref1Cpu) : "—");
      cells.push(fmtMiB(t.tensor_bytes_peak ?? t.tensor_bytes_sampled_max), fmtMiB(t.peak_rss_bytes), fmtMiB(t.wasm_heap_bytes));
      out.push(`| ${cells.join(" | ")} |`);
    }
    for (const th of thCols) {
      const o = ref(th)!;
      const cells = [`${size}×${size}`, `PyTorch ${torchVersion?.result.torch ?? ""}`.trim(), `${th}`];
      if (!o.ok) cells.push(o.why, "");
      else cells.push(`${fmtS(o.result.median_s)} (${fmtS(Math.min(...o.result.times_s))})`, medCpu(o.result) != null ? fmtS(medCpu(o.result)!) : "—");
      for (const th2 of thCols) {
        const r = ref(th2);
        cells.push(o.ok && r?.ok ? fmtX(o.result.median_s / r.result.median_s) : "—");
      }
      if (cpuRef) cells.push(th === 1 && o.ok ? "1.0×" : "—");
      cells.push("—", o.ok ? fmtMiB(o.result.peak_rss_bytes) : "—", "—");
      out.push(`| ${cells.join(" | ")} |`);
    }
    // gancc's generated PyTorch code (--engine torch), next to the hand-written iteration: target ≤ 1.1×
    for (const th of noEngine ? [] : thCols) {
      const e = engine.get(`${th}@${size}`);
      if (!e) continue;
      const cells = [`${size}×${size}`, `gancc --engine torch (generated)`, `${th}`];
      if (!e.ok) cells.push(e.why, "");
      else cells.push(`${fmtS(e.result.median_s)} (${fmtS(Math.min(...e.result.times_s))})`, medCpu(e.result) != null ? fmtS(medCpu(e.result)!) : "—");
      for (const th2 of thCols) {
        const r = ref(th2);
        cells.push(e.ok && r?.ok ? fmtX(e.result.median_s / r.result.median_s) : "—");
      }
      // CPU time against the hand-written iteration with the same threads (the fairer ratio on a loaded machine)
      const same = ref(th);
      const sameCpu = same?.ok ? medCpu(same.result) : undefined;
      if (cpuRef) cells.push(e.ok && th === 1 && sameCpu != null && medCpu(e.result) != null ? fmtX(medCpu(e.result)! / sameCpu) : "—");
      cells.push("—", "—", "—");
      out.push(`| ${cells.join(" | ")} |`);
    }
  }

  // wasm threads side by side: speed-up of N threads over 1, same size, same run
  const speedups: string[] = [];
  for (const size of sizes) {
    const one = tfjs.get(`wasm/1@${size}`);
    for (const th of wasmThreads.filter((t) => t > 1)) {
      const n = tfjs.get(`wasm/${th}@${size}`);
      if (one?.ok && n?.ok) speedups.push(`${size}×${size}: ${th} threads ${fmtS(n.result.median_s)} vs 1 thread ${fmtS(one.result.median_s)} = ${(one.result.median_s / n.result.median_s).toFixed(2)}× faster`);
    }
  }
  if (speedups.length) out.push("", `wasm threads (median wall time per iteration): ${speedups.join("; ")}.`);

  // where the time goes
  out.push(
    "",
    "Where the time goes: forward pass alone (training mode, no autograd) of one generator and one discriminator; " +
      "an iteration runs 6 generator and 6 discriminator forwards, so 6·(G + D) ÷ iteration is the forward share " +
      "(the rest is backward + Adam + bookkeeping). Kernels: in one extra iteration under tf.profile, the time in all kernels and in the top 6 " +
      "kernel names, as a share of that iteration's wall time (the remainder is JavaScript outside kernels: tape, gradient bookkeeping, the pool's read-back).",
    "",
    "| size | runtime | G forward | D forward | 6·(G+D) ÷ iteration | kernels: all, top 6 (tfjs) |",
    "|---|---|---:|---:|---:|---|",
  );
  for (const size of sizes) {
    for (const { name } of tfjsConfigs) {
      const o = tfjs.get(`${name}@${size}`)!;
      if (!o.ok) continue;
      const t = o.result;
      const ks = (t.kernels ?? []).filter((k) => k.kernel);
      const wall = (t.profiled_s ?? 1) * 1000;
      const pct = (ms: number) => `${((100 * ms) / wall).toFixed(0)}%`;
      const top = ks.slice(0, 6).map((k) => `${k.name} ${pct(k.ms)}`).join(", ");
      const all = ks.reduce((a, k) => a + k.ms, 0);
      const share = (6 * (t.g_fwd_s + t.d_fwd_s)) / t.median_s;
      const prof = t.kernels ? `${pct(all)}: ${top}` : "—";
      out.push(`| ${size}×${size} | ${runtimeLabel(t)}${t.backend === "wasm" ? `, ${threadsLabel(t)} thr.` : ""} | ${fmtS(t.g_fwd_s)} | ${fmtS(t.d_fwd_s)} | ${(100 * share).toFixed(0)}% | ${prof} |`);
    }
    for (const th of thCols) {
      const o = torch.get(`${th}@${size}`)!;
      if (!o.ok) continue;
      const r = o.result;
      const share = (6 * (r.g_fwd_s + r.d_fwd_s)) / r.median_s;
      out.push(`| ${size}×${size} | PyTorch, ${th} thr. | ${fmtS(r.g_fwd_s)} | ${fmtS(r.d_fwd_s)} | ${(100 * share).toFixed(0)}% | |`);
    }
  }
  const loadEnd = os.loadavg();
  out.push("", `Load average at start ${loadStart.map((l) => l.toFixed(2)).join(" ")}, at end ${loadEnd.map((l) => l.toFixed(2)).join(" ")} (${cores} cores).`);
  console.log(out.join("\n"));

  const dir = path.join(HERE, "results");
  mkdirSync(dir, { recursive: true });
  const stamp = started.toISOString().replace(/[:]/g, "-").replace(/\..*/, "");
  const file = path.join(dir, `step-${stamp}.json`);
  const json = {
    bench: "bench/step.ts",
    argv,
    date: started.toISOString(),
    node: process.version,
    tfjs_version: tf.version_core,
    cpu: cpuModel,
    cores,
    loadavg_start: loadStart,
    loadavg_end: loadEnd,
    spec: SPEC,
    ngf,
    ndf,
    batch: 1,
    params: tfjsAny?.result.params ?? torchVersion?.result.params,
    tfjs: Object.fromEntries(tfjs),
    pytorch: Object.fromEntries(torch),
    torch_engine: Object.fromEntries(engine),
    markdown: out.join("\n"),
  };
  writeFileSync(file, JSON.stringify(json, null, 1) + "\n");
  process.stderr.write(`\nwrote ${path.relative(ROOT, file)}\n`);
}

// ---------------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
if (argv[0] === "--child") {
  const cfg = JSON.parse(argv[1]!) as ChildConfig;
  try {
    const result = await runChild(cfg);
    process.stdout.write(`${RESULT_TAG}${JSON.stringify({ result })}\n`);
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    const unavailable = (e as { name?: string }).name === "BackendUnavailableError";
    if (progress.backend === "wasm") progress.wasm_heap_bytes = wasmHeapBytes();
    progress.peak_rss_bytes = process.resourceUsage().maxRSS * 1024;
    const report = unavailable ? { unavailable: m.split("\n")[0] } : { error: m.split("\n")[0], progress };
    process.stdout.write(`${RESULT_TAG}${JSON.stringify(report)}\n`);
    if (!unavailable) process.stderr.write(`${e instanceof Error ? e.stack : m}\n`);
  }
  process.exit(0);
} else {
  await parent(argv);
}
