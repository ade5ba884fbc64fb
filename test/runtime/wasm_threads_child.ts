/**
 * Child process of wasm_threads.test.ts (each thread count needs a fresh process: the wasm
 * module, its workers and its thread pool are per process). Prints one JSON line.
 *
 *   node --import tsx test/runtime/wasm_threads_child.ts cpu THREADS
 *     a 3×3 conv (64→64 channels, 64×64) repeated until the main thread has spent ≥ 1.5 s of CPU;
 *     { threads, reason, mainCpuS, otherCpuS }: CPU seconds of the main thread and of all other
 *     threads of this process, from /proc/self/task/<tid>/stat (Linux)
 *   node --import tsx test/runtime/wasm_threads_child.ts train THREADS
 *     3 training iterations of specs/tiny.gan (nf 4, 32×32, seeded batches);
 *     { threads, losses: [...per iteration, term values], weights: [...every parameter] }
 *   node --import tsx test/runtime/wasm_threads_child.ts timeout 2
 *     the threaded module's loader given 1 ms: { error } (it must reject), then the wasm backend
 *     on 1 thread: { error, threads }
 *
 * None of them calls process.exit: the test checks that the process ends by itself (no worker
 * keeps it alive).
 */
import { readFileSync, readdirSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../src/compiler/compile.js";
import { selectBackend } from "../../src/runtime/backend.js";
import { Model } from "../../src/runtime/model.js";
import { loadThreadedWasmModule } from "../../src/runtime/wasm_threads.js";

const [mode, threadsArg] = process.argv.slice(2);
let loadError: string | undefined;
if (mode === "timeout") {
  loadError = await loadThreadedWasmModule(Number(threadsArg), 1).then(
    () => "(resolved)",
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
}
const sel = await selectBackend("wasm", { threads: mode === "timeout" ? 1 : Number(threadsArg) });

/** utime + stime of one thread, in clock ticks (fields 14 and 15 of /proc/…/stat, after the parenthesised name). */
function ticks(tid: string): number {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0; // the thread ended meanwhile
  }
}

function threadTicks(): Map<string, number> {
  return new Map(readdirSync("/proc/self/task").map((t) => [t, ticks(t)]));
}

if (mode === "cpu") {
  const x = tf.randomNormal<tf.Rank.R4>([1, 64, 64, 64], 0, 1, "float32", 1);
  const w = tf.randomNormal<tf.Rank.R4>([3, 3, 64, 64], 0, 1, "float32", 2);
  // warm-up: XNNPACK's operator, V8's optimising tier for the hot wasm functions
  for (let i = 0; i < 3; i++) {
    const y = tf.conv2d(x, w, 1, "same");
    y.dataSync();
    y.dispose();
  }
  const main = String(process.pid);
  const before = threadTicks();
  for (;;) {
    // (not tf.tidy(() => ….dataSync()): tidy would walk the returned array's million elements)
    const y = tf.conv2d(x, w, 1, "same");
    y.dataSync();
    y.dispose();
    if (ticks(main) - (before.get(main) ?? 0) >= 150) break;
  }
  const after = threadTicks();
  let other = 0;
  for (const [t, v] of after) if (t !== main) other += v - (before.get(t) ?? 0);
  const hz = 100; // USER_HZ: 100 on every Linux ABI node supports
  console.log(JSON.stringify({ threads: sel.threads, reason: sel.reason, mainCpuS: (ticks(main) - (before.get(main) ?? 0)) / hz, otherCpuS: other / hz }));
} else if (mode === "train") {
  const r = compileSource(readFileSync("specs/tiny.gan", "utf8"), "specs/tiny.gan", { set: { nf: 4, size: 32 } });
  if (!r.ir) throw new Error("specs/tiny.gan does not compile");
  const ir = r.ir;
  const model = new Model(ir);
  const losses: number[][] = [];
  for (let i = 0; i < 3; i++) {
    const b = Object.fromEntries(ir.data.domains.map((d, j) => [d.name, tf.randomUniform([ir.train.batch, ir.data.crop, ir.data.crop, d.channels], -1, 1, "float32", 10 * i + j)]));
    const res = await model.trainIteration(b);
    losses.push(Object.values(res.losses).flatMap((terms) => Object.values(terms)));
    tf.dispose(Object.values(b));
  }
  const weights: number[] = [];
  for (const [, v] of [...(await model.read())].sort(([a], [b]) => a.localeCompare(b))) weights.push(...v.data);
  console.log(JSON.stringify({ threads: sel.threads, losses, weights }));
} else if (mode === "timeout") {
  console.log(JSON.stringify({ error: loadError, threads: sel.threads }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
