/**
 * Benchmark: the memory of one CycleGAN training iteration (specs/cyclegan.gan, ngf 64, ndf 64,
 * batch 1) on the wasm backend — measured peak against `gancc summary`'s estimate, the wasm heap
 * against its 4 GiB limit, and peak RSS against PyTorch's for the same iteration.
 *
 *   npm run bench:memory                                  # sizes 64,128,256; modes plain,residual
 *   node --import tsx bench/memory.ts --sizes 64,128 --modes tape,plain,residual --iters 2
 *   node --import tsx bench/memory.ts --sizes 256 --modes plain,residual --warmup 0   # a 256² iteration takes minutes
 *
 * Modes: plain = the default schedule (each independent part of a loss on its own tape, memory
 * released as the backward pass goes: src/runtime/backprop.ts); residual = plain + `--recompute
 * residual` (gradient checkpointing of the residual blocks); tape = the schedule before (one
 * tf.variableGrads over the whole loss), for comparison — it does not fit at 256².
 *
 * Each configuration runs in its own process (the wasm heap only grows, so its size is per
 * process): --warmup iterations (default 1; the optimizer creates its state in the first — kept
 * outside the wasm heap on wasm, so 0 measures the same peak there, one slow 256² iteration less),
 * then --iters measured ones (default 1). Measured:
 * - peak tensor memory: the high-water mark of live tensor buffers in the wasm heap during the
 *   measured iterations (TensorBufferMeter: every buffer once, however many tensor handles share
 *   it — tf.memory().numBytes counts a clone or reshape twice and misses kernel temporaries). This
 *   is what the estimate predicts (`summary`'s "peak tensor memory").
 * - wasm heap: the module's linear memory at the end; it never shrinks, so this is the high-water
 *   mark of everything the module held, fragmentation and XNNPACK's packed weights and scratch
 *   included — the number that has to stay under the 4 GiB wasm32 limit (the target: ≤ 3.2 GiB,
 *   20% headroom).
 * - peak RSS of the process (process.resourceUsage().maxRSS), next to PyTorch's
 *   (bench/step_torch.py through /usr/bin/python3, 1 thread, same size, 1 timed iteration).
 *
 * Prints a Markdown table and writes bench/results/memory-<date>.json (gitignored). No
 * assertions. The machine is shared: times are noisy, memory is not.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../src/compiler/compile.js";
import { summarize } from "../src/compiler/summary.js";
import type { Ir } from "../src/ir/schema.js";
import { selectBackend } from "../src/runtime/backend.js";
import { TensorBufferMeter, wasmHeapBytes } from "../src/runtime/heap_meter.js";
import { Model } from "../src/runtime/model.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(HERE);
const SPEC = "specs/cyclegan.gan";
const TAG = "@@memory-result ";
const MODES = { tape: { backward: "tape", recompute: "none" }, plain: { backward: "parts", recompute: "none" }, residual: { backward: "parts", recompute: "residual" } } as const;
type Mode = keyof typeof MODES;
const HEAP_LIMIT = 4294901760; // tfjs-backend-wasm's Emscripten heap maximum (4 GiB − 64 KiB)

interface Child {
  size: number;
  mode: Mode;
  iters: number;
  warmup: number;
  ngf: number;
}

interface Result extends Child {
  ok: boolean;
  error?: string;
  estimate_bytes: number;
  peak_bytes?: number;
  wasm_heap_bytes?: number;
  peak_rss_bytes?: number;
  iter_s?: number[];
}

function compile(size: number, ngf: number): Ir {
  const r = compileSource(readFileSync(path.join(ROOT, SPEC), "utf8"), SPEC, { set: { ngf, ndf: ngf, size, load_size: size } });
  if (!r.ir) throw new Error(`${SPEC} does not compile: ${r.diagnostics.map((d) => d.message).join("; ")}`);
  return r.ir;
}

function estimate(ir: Ir, mode: Mode): number {
  const p = summarize(ir).peak;
  return mode === "residual" ? p.recompute.bytes : p.plain.bytes;
}

async function child(c: Child): Promise<Result> {
  await selectBackend("wasm");
  const meter = new TensorBufferMeter();
  const ir = compile(c.size, c.ngf);
  const out: Result = { ...c, ok: false, estimate_bytes: estimate(ir, c.mode) };
  const model = new Model(ir, { seed: 0, memory: MODES[c.mode] });
  const A = tf.randomUniform([1, c.size, c.size, 3], -1, 1, "float32", 1);
  const B = tf.randomUniform([1, c.size, c.size, 3], -1, 1, "float32", 2);
  const times: number[] = [];
  try {
    for (let i = 0; i < c.warmup; i++) await model.trainIteration({ A, B }); // creates the optimizer state
    let peak = 0;
    for (let i = 0; i < c.iters; i++) {
      meter.reset();
      const t0 = performance.now();
      await model.trainIteration({ A, B });
      times.push((performance.now() - t0) / 1000);
      peak = Math.max(peak, meter.peak);
    }
    Object.assign(out, { ok: true, peak_bytes: peak });
  } catch (e) {
    out.error = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  }
  Object.assign(out, { iter_s: times, wasm_heap_bytes: wasmHeapBytes(), peak_rss_bytes: process.resourceUsage().maxRSS * 1024 });
  return out;
}

function flag(argv: string[], name: string, def: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] != null ? argv[i + 1]! : def;
}

const MiB = (b?: number) => (b == null ? "—" : `${(b / 2 ** 20).toFixed(0)} MiB`);

async function parent(argv: string[]): Promise<void> {
  const sizes = flag(argv, "--sizes", "64,128,256").split(",").map(Number);
  const modes = flag(argv, "--modes", "plain,residual").split(",") as Mode[];
  for (const m of modes) if (!(m in MODES)) throw new Error(`--modes: unknown mode ${m} (known: ${Object.keys(MODES).join(", ")})`);
  const iters = Number(flag(argv, "--iters", "1"));
  const warmup = Number(flag(argv, "--warmup", "1"));
  const ngf = Number(flag(argv, "--ngf", "64"));
  const python = flag(argv, "--python", "/usr/bin/python3");
  const torch = !argv.includes("--no-torch");
  const results: Result[] = [];
  const torchRss = new Map<number, number | string>();
  for (const size of sizes) {
    for (const mode of modes) {
      process.stderr.write(`[${size}×${size} ${mode}] …\n`);
      const p = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child", JSON.stringify({ size, mode, iters, warmup, ngf })], {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        maxBuffer: 16 * 2 ** 20,
      });
      const line = (p.stdout ?? "").split("\n").find((l) => l.startsWith(TAG));
      const r: Result = line
        ? (JSON.parse(line.slice(TAG.length)) as Result)
        : { size, mode, iters, warmup, ngf, ok: false, error: `exit ${p.status ?? p.signal}`, estimate_bytes: estimate(compile(size, ngf), mode) };
      results.push(r);
      process.stderr.write(`  peak ${MiB(r.peak_bytes)} (estimate ${MiB(r.estimate_bytes)}), heap ${MiB(r.wasm_heap_bytes)}, RSS ${MiB(r.peak_rss_bytes)}${r.error ? `, failed: ${r.error}` : ""}\n`);
    }
    if (torch) {
      const args = [path.join(HERE, "step_torch.py"), "--size", `${size}`, "--threads", "1", "--iters", "1", "--ngf", `${ngf}`, "--ndf", `${ngf}`];
      const p = spawnSync(python, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      try {
        torchRss.set(size, (JSON.parse((p.stdout ?? "").trim().split("\n").pop() ?? "") as { peak_rss_bytes: number }).peak_rss_bytes);
      } catch {
        torchRss.set(size, `failed (exit ${p.status ?? p.signal})`);
      }
      process.stderr.write(`  PyTorch peak RSS ${typeof torchRss.get(size) === "number" ? MiB(torchRss.get(size) as number) : torchRss.get(size)}\n`);
    }
  }
  const out = [
    `CycleGAN iteration (${SPEC}, ngf ${ngf}, batch 1) on wasm: ${iters} measured iteration(s) after ${warmup} warm-up iteration(s), one process per row.`,
    "",
    "| size | schedule | peak tensor memory | estimate (`gancc summary`) | peak ÷ estimate | wasm heap (limit 4 GiB) | peak RSS | PyTorch peak RSS | RSS ÷ PyTorch | s / iteration |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of results) {
    const t = torchRss.get(r.size);
    const heap = r.wasm_heap_bytes != null ? `${MiB(r.wasm_heap_bytes)} (${((100 * r.wasm_heap_bytes) / HEAP_LIMIT).toFixed(0)}%)` : "—";
    out.push(
      // the estimate models the default schedule (with or without recomputation), not the old whole-loss tape
      `| ${r.size}×${r.size} | ${r.mode} | ${r.ok ? MiB(r.peak_bytes) : `failed: ${r.error}`} | ${r.mode === "tape" ? "—" : MiB(r.estimate_bytes)} | ` +
        `${r.ok && r.mode !== "tape" ? (r.peak_bytes! / r.estimate_bytes).toFixed(2) : "—"} | ${heap} | ${MiB(r.peak_rss_bytes)} | ` +
        `${typeof t === "number" ? MiB(t) : (t ?? "—")} | ${typeof t === "number" && r.ok ? `${(r.peak_rss_bytes! / t).toFixed(2)}×` : "—"} | ${r.iter_s?.length ? r.iter_s.map((x) => x.toFixed(1)).join(", ") : "—"} |`,
    );
  }
  console.log(out.join("\n"));
  const dir = path.join(HERE, "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `memory-${new Date().toISOString().replace(/[:]/g, "-").replace(/\..*/, "")}.json`);
  writeFileSync(file, JSON.stringify({ bench: "bench/memory.ts", argv, spec: SPEC, ngf, results, pytorch_peak_rss: Object.fromEntries(torchRss), markdown: out.join("\n") }, null, 1) + "\n");
  process.stderr.write(`wrote ${path.relative(ROOT, file)}\n`);
}

const argv = process.argv.slice(2);
if (argv[0] === "--child") {
  const r = await child(JSON.parse(argv[1]!) as Child);
  process.stdout.write(`${TAG}${JSON.stringify(r)}\n`);
  process.exit(0);
} else {
  await parent(argv);
}
