/**
 * Multi-threaded wasm in Node: loads tfjs-backend-wasm's threaded SIMD build
 * (`wasm-out/tfjs-backend-wasm-threaded-simd.js` + `.wasm`) ourselves, because
 * tfjs 4.22 turns threads off under Node (`WASM_HAS_MULTITHREAD_SUPPORT` is
 * false there, tfjs issue #3830). Three things stand in the way, all handled
 * here at load time, in memory (no file in node_modules is changed):
 *
 * 1. The pthread worker. tfjs hands Emscripten a `blob:` URL for it, which
 *    Node's worker_threads rejects. Emscripten's own Node branch starts
 *    `new Worker(locateFile("…worker.js"))`, so `locateFile` returns a
 *    `data:` URL (Node accepts those as ES-module workers) holding the
 *    package's worker source (`wasmWorkerContents`) behind a two-line
 *    prelude that gives it the CommonJS `require` / `__filename` it expects.
 *    The worker then evaluates the glue from its real file path
 *    (`mainScriptUrlOrBlob`), not a blob.
 * 2. The thread count. The C++ side caps XNNPACK's pool at
 *    `emscripten_num_logical_cores() / 2` ("2 hyper-threads per core"), and in
 *    Node that import returns `os.cpus().length`: on a 2-core machine the cap
 *    is 1, which is why an earlier attempt loaded this build and still got 1
 *    thread. `instantiateWasm` (an Emscripten hook) instantiates the module
 *    with that one import answering `2 × threads`, so the cap is the count
 *    asked for. The other cap, 8 (the 8 workers Emscripten pre-starts), stays:
 *    `TFJS_WASM_MAX_THREADS`.
 * 3. Exiting. Emscripten `ref()`s a worker while its pthread runs, and
 *    XNNPACK's pool threads run for ever, so the process would never exit;
 *    `releaseWorkers` unrefs them (and ends the pre-started workers the pool
 *    did not take).
 *
 * Anything unexpected (a file missing, the glue changed shape, a worker that
 * fails to start, a timeout) rejects with a one-line reason; ./backend.ts
 * then uses the stock single-threaded SIMD build and says why.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** tfjs-backend-wasm's own ceiling on XNNPACK threads (init_with_threads_count; 8 pre-started workers). */
export const TFJS_WASM_MAX_THREADS = 8;

/**
 * The default thread count: `GANCC_THREADS` when set (like OMP_NUM_THREADS: a whole number ≥ 1,
 * for a machine shared with other jobs, or a test runner that runs files in parallel), else the
 * cores this process may use (`os.availableParallelism()`).
 */
export function defaultThreadCount(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.GANCC_THREADS?.trim();
  if (set) {
    if (!/^[1-9][0-9]*$/.test(set)) throw new RangeError(`GANCC_THREADS must be a whole number ≥ 1, got "${set}"`);
    return Number(set);
  }
  const n = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, n);
}

/** A Node `worker_threads` Worker as Emscripten keeps it. */
interface PthreadWorker {
  unref(): void;
  terminate(): Promise<number>;
  onerror?: (e: unknown) => void;
}

/** The parts of the Emscripten module (threaded build) that gancc and tfjs's BackendWasm use. */
export interface ThreadedWasmModule {
  cwrap(name: string, ret: string | null, args: string[]): (...a: number[]) => number;
  PThread: { unusedWorkers: PthreadWorker[]; runningWorkers: PthreadWorker[] };
  /** set here as tfjs's own init() does: BackendWasm calls these */
  tfjs?: Record<string, unknown>;
}

type Factory = (config: Record<string, unknown>) => Promise<ThreadedWasmModule>;

/** The files of the threaded SIMD build inside the installed tfjs-backend-wasm. */
export function threadedWasmFiles(): { glue: string; worker: string; wasm: string } {
  const req = createRequire(import.meta.url);
  const dir = path.dirname(req.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  const out = path.join(dir, "wasm-out");
  const files = {
    glue: path.join(out, "tfjs-backend-wasm-threaded-simd.js"),
    worker: path.join(out, "tfjs-backend-wasm-threaded-simd.worker.js"),
    wasm: path.join(dir, "dist", "tfjs-backend-wasm-threaded-simd.wasm"),
  };
  for (const f of Object.values(files)) if (!existsSync(f)) throw new Error(`${f} is missing from @tensorflow/tfjs-backend-wasm`);
  return files;
}

/**
 * The pthread worker as a `data:` URL (an ES module): the package's worker
 * source after a prelude defining the CommonJS names it uses. Its syntax is
 * checked here, because a worker that fails to parse would surface as an
 * uncaught 'error' event before Emscripten listens for one.
 */
function workerUrl(files: { glue: string; worker: string }): URL {
  const req = createRequire(import.meta.url);
  const contents = (req(files.worker) as { wasmWorkerContents?: unknown }).wasmWorkerContents;
  if (typeof contents !== "string" || !contents.includes("WasmBackendModuleThreadedSimd")) {
    throw new Error(`${files.worker} no longer exports the pthread worker source (wasmWorkerContents)`);
  }
  // As tfjs does before making its blob: the template literal turned the
  // source's "\n" escapes into newlines inside string literals.
  const body = contents.replace(/\n/g, "\\n");
  new Function("require", "__filename", body); // parse only, never called
  const prelude =
    `import { createRequire } from "node:module";\n` +
    `const require = createRequire(${JSON.stringify(pathToFileURL(files.glue).href)});\n` +
    `const __filename = ${JSON.stringify(files.glue)};\n`;
  return new URL(`data:text/javascript;base64,${Buffer.from(prelude + body).toString("base64")}`);
}

/**
 * Instantiates the threaded SIMD module with XNNPACK allowed `threads`
 * threads (the caller passes the same count to tfjs's `setThreadsCount`).
 * Rejects with a one-line reason on any failure, or after `timeoutMs`.
 */
export async function loadThreadedWasmModule(threads: number, timeoutMs = 120_000): Promise<ThreadedWasmModule> {
  const files = threadedWasmFiles();
  const url = workerUrl(files);
  const factory = createRequire(import.meta.url)(files.glue) as unknown;
  if (typeof factory !== "function") throw new Error(`${files.glue} does not export the Emscripten module factory`);
  const bytes = await readFile(files.wasm);

  let settled = false;
  let unguard = () => {};
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = (e) => {
      if (!settled) reject(e);
    };
  });
  const config: Record<string, unknown> = {
    mainScriptUrlOrBlob: files.glue,
    locateFile: (p: string, prefix: string) => (p.endsWith(".worker.js") ? url : p.endsWith(".wasm") ? files.wasm : prefix + p),
    onAbort: (what: unknown) => fail(new Error(`the threaded wasm module aborted: ${String(what)}`)),
    instantiateWasm(info: { env?: Record<string, unknown> }, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      const env = info.env;
      if (env == null || typeof env["emscripten_num_logical_cores"] !== "function") {
        fail(new Error("the threaded wasm module no longer imports emscripten_num_logical_cores (tfjs-backend-wasm changed)"));
        return {};
      }
      // read once, by the C++ global that caps the pool at cores / 2
      env["emscripten_num_logical_cores"] = () => 2 * threads;
      WebAssembly.instantiate(bytes, info as WebAssembly.Imports).then(
        (r) => {
          receive(r.instance, r.module); // posts the module to the pre-started workers
          unguard = guardWorkers(config, fail);
        },
        (e: unknown) => fail(new Error(`could not instantiate ${path.basename(files.wasm)}: ${String(e)}`)),
      );
      return {};
    },
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`its pthread workers did not start within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`)), timeoutMs);
    timer.unref();
  });
  try {
    const mod = await Promise.race([(factory as Factory)(config), failed, timeout]);
    settled = true;
    unguard();
    mod.tfjs = {
      init: mod.cwrap("init", null, []),
      initWithThreadsCount: mod.cwrap("init_with_threads_count", null, ["number"]),
      getThreadsCount: mod.cwrap("get_threads_count", "number", []),
      registerTensor: mod.cwrap("register_tensor", null, ["number", "number", "number"]),
      disposeData: mod.cwrap("dispose_data", null, ["number"]),
      dispose: mod.cwrap("dispose", null, []),
    };
    return mod;
  } catch (e) {
    settled = true;
    const pt = (config as { PThread?: ThreadedWasmModule["PThread"] }).PThread;
    for (const w of [...(pt?.unusedWorkers ?? []), ...(pt?.runningWorkers ?? [])]) void w.terminate();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Until the module is up, a worker error rejects the load (and so falls back
 * to one thread) instead of Emscripten's handler throwing it at top level.
 * Returns the function that gives the workers Emscripten's handlers back.
 */
function guardWorkers(config: Record<string, unknown>, fail: (e: Error) => void): () => void {
  const pt = (config as { PThread?: ThreadedWasmModule["PThread"] }).PThread;
  const restore: (() => void)[] = [];
  for (const w of pt?.unusedWorkers ?? []) {
    const emscripten = w.onerror;
    w.onerror = (e: unknown) => {
      const msg = e instanceof Error ? e.message : String((e as { message?: unknown })?.message ?? e);
      fail(new Error(`a pthread worker failed to start: ${msg.split("\n")[0]}`));
    };
    restore.push(() => {
      w.onerror = emscripten;
    });
  }
  return () => restore.forEach((r) => r());
}

/**
 * After XNNPACK made its pool (tfjs's BackendWasm constructor): unref the
 * pool's workers so that they do not keep the process alive, and end the
 * pre-started workers it did not take.
 */
export function releaseWorkers(mod: ThreadedWasmModule): void {
  for (const w of mod.PThread.runningWorkers) w.unref();
  for (const w of mod.PThread.unusedWorkers.splice(0)) void w.terminate();
}
