/**
 * Backend selection for the gancc runtime.
 *
 *   tensorflow  native libtensorflow via @tensorflow/tfjs-node-gpu or
 *               @tensorflow/tfjs-node (optional dependencies; their install
 *               step downloads libtensorflow, which fails offline)
 *   webgpu      @tensorflow/tfjs-backend-webgpu on Dawn (the optional `webgpu`
 *               package; see ./webgpu.ts), on whatever adapter Dawn finds —
 *               a GPU, or a software one such as SwiftShader
 *   wasm        @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD), on every core:
 *               its threaded build, which tfjs itself does not start in
 *               Node, is loaded by ./wasm_threads.ts; `threads: 1` (or a
 *               failure there, with the reason) gives tfjs's single-threaded
 *               SIMD build
 *   cpu         plain-JS reference backend (slow)
 *   auto        tensorflow if loadable, else webgpu on a hardware adapter,
 *               else wasm, else cpu (a software WebGPU adapter is used only
 *               when asked for explicitly)
 *
 * After `tf.setBackend` + `tf.ready()` the kernel fixes are registered.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { registerKernelFixes } from "./kernels/index.js";
import { backendMemory, requireWasmHeap } from "./kernels/heap_backend.js";
import { heapSimdFor, heapSimdStatus } from "./kernels/heap_simd.js";
import { TFJS_WASM_MAX_THREADS, defaultThreadCount, loadThreadedWasmModule, releaseWorkers, type ThreadedWasmModule } from "./wasm_threads.js";
import {
  describeAdapter,
  probeWebgpu,
  registerWebgpuBackend,
  probeWebgpuQuietly,
  vulkanLoaderFound,
  webgpuUnavailableMessage,
  type WebgpuAdapterDescription,
} from "./webgpu.js";

export type { BackendKind } from "./backend_kinds.js";
import type { BackendKind } from "./backend_kinds.js";

export interface BackendSelection {
  /** tfjs backend name now active ("tensorflow" | "webgpu" | "wasm" | "cpu"). */
  name: string;
  /** Human-readable explanation of the choice (incl. what was tried; for webgpu, the adapter). */
  reason: string;
  /** webgpu only: the adapter in use. */
  adapter?: WebgpuAdapterDescription;
  /** wasm: the threads XNNPACK really runs on (its own report); cpu: 1; tensorflow, webgpu: not set (their own pools). */
  threads?: number;
  /** Something the user asked for that could not be done (e.g. wasm threads), with why; the selection still works. */
  warning?: string;
}

export interface BackendOptions {
  /**
   * wasm: threads for XNNPACK (default: the core count, `os.availableParallelism()`;
   * at most 8, tfjs's limit). 1 = tfjs's single-threaded SIMD build. Other backends
   * ignore it. Choose it once per process: switching re-creates the wasm backend,
   * which invalidates its tensors.
   */
  threads?: number;
}

export class BackendUnavailableError extends Error {
  constructor(
    message: string,
    readonly kind: BackendKind,
    readonly causes: string[] = [],
  ) {
    super(message);
    this.name = "BackendUnavailableError";
  }
}

/**
 * Why wasm threads need ./wasm_threads.ts (tfjs 4.22): tfjs forces
 * `WASM_HAS_MULTITHREAD_SUPPORT` to false under Node (tfjs issue #3830), and
 * forcing it on fails: the pthread worker comes from a `blob:` URL, which
 * Node's worker_threads rejects. An earlier attempt that got the threaded
 * module to load still saw XNNPACK report 1 thread: its pool is capped at
 * `emscripten_num_logical_cores() / 2`, i.e. 1 on a 2-core machine, whatever
 * `setThreadsCount` says. wasm_threads.ts starts the worker from a `data:`
 * URL and lifts that cap; this note is the fallback's explanation.
 */
export const wasmThreadsNote =
  "tfjs does not start wasm threads in Node (its pthread worker comes from a blob: URL, which Node's worker_threads rejects); gancc loads the threaded build itself";

const TF_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

function errMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split("\n")[0]!.slice(0, 300);
}

/** Imports a module by a computed specifier (so TypeScript does not need its types). */
async function importOptional(spec: string): Promise<unknown> {
  return import(spec);
}

let tensorflowProbe: Promise<{ ok: true; pkg: string } | { ok: false; causes: string[] }> | undefined;

/** Tries to load tfjs-node-gpu, then tfjs-node (once per process). */
function probeTensorflow(): Promise<{ ok: true; pkg: string } | { ok: false; causes: string[] }> {
  tensorflowProbe ??= (async () => {
    const causes: string[] = [];
    for (const pkg of TF_NODE_PACKAGES) {
      try {
        await importOptional(pkg);
        if (tf.findBackendFactory("tensorflow") != null) return { ok: true as const, pkg };
        causes.push(`${pkg}: loaded but did not register the 'tensorflow' backend`);
      } catch (e) {
        causes.push(`${pkg}: ${errMessage(e)}`);
      }
    }
    return { ok: false as const, causes };
  })();
  return tensorflowProbe;
}

function tensorflowUnavailable(causes: string[]): BackendUnavailableError {
  return new BackendUnavailableError(
    "The 'tensorflow' backend is not available: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded.\n" +
      "Install one of them:\n" +
      "  npm install @tensorflow/tfjs-node       # CPU, native libtensorflow\n" +
      "  npm install @tensorflow/tfjs-node-gpu   # NVIDIA GPU (CUDA + cuDNN required)\n" +
      "Note: their install step downloads the libtensorflow shared library from storage.googleapis.com, " +
      "so it needs network access at install time (and a supported platform).\n" +
      "Alternatively select the 'wasm' backend (portable, no native code).\n" +
      (causes.length ? `Details:\n  ${causes.join("\n  ")}` : ""),
    "tensorflow",
    causes,
  );
}

/** Directory (with trailing separator) holding the installed tfjs-backend-wasm .wasm binaries. */
export function wasmDistDir(): string | undefined {
  try {
    const req = createRequire(import.meta.url);
    const main = req.resolve("@tensorflow/tfjs-backend-wasm");
    return path.dirname(main) + path.sep;
  } catch {
    return undefined;
  }
}

interface WasmModule {
  setWasmPaths(prefix: string): void;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
  BackendWasm: new (module: ThreadedWasmModule) => tf.KernelBackend;
}

/** What the registered 'wasm' factory builds: tfjs's own (1 thread) or the threaded module for N threads. */
let wasmFactoryThreads = 1;
let stockWasmFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | undefined;

/** Re-registers 'wasm' (disposing an initialised instance) with `factory`. */
function registerWasmFactory(factory: () => tf.KernelBackend | Promise<tf.KernelBackend>, threads: number): void {
  if (tf.findBackendFactory("wasm") != null) tf.removeBackend("wasm");
  tf.registerBackend("wasm", factory, 2); // tfjs-backend-wasm's own priority
  wasmFactoryThreads = threads;
}

/** Makes 'wasm' the threaded build with XNNPACK on `threads` threads; rejects (nothing changed) if it cannot load. */
async function useThreadedWasm(mod: WasmModule, threads: number): Promise<void> {
  const m = await loadThreadedWasmModule(threads);
  stockWasmFactory ??= tf.findBackendFactory("wasm");
  let used = false;
  registerWasmFactory(() => {
    // One backend per module: a second thread pool would need new workers, which only start
    // while the main thread is free, and pthreadpool_create blocks it until they do.
    if (used) throw new Error("this threaded wasm module already backed a backend; select the backend again");
    used = true;
    mod.setThreadsCount(threads); // read by BackendWasm's constructor (init_with_threads_count)
    const backend = new mod.BackendWasm(m);
    releaseWorkers(m);
    return backend;
  }, threads);
}

/** Makes 'wasm' tfjs's own single-threaded build again (after a threaded one). */
function useStockWasm(): void {
  if (wasmFactoryThreads !== 1 && stockWasmFactory != null) registerWasmFactory(stockWasmFactory, 1);
}

/** The thread count asked for, checked (an API caller's mistake is reported, not guessed around). */
function wantedThreads(threads: number | undefined): number {
  if (threads === undefined) return defaultThreadCount();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a whole number ≥ 1, got ${String(threads)}`);
  return threads;
}

let wasmLoaded: Promise<WasmModule> | undefined;

async function loadWasm(): Promise<WasmModule> {
  wasmLoaded ??= (async () => {
    const mod = (await importOptional("@tensorflow/tfjs-backend-wasm")) as WasmModule;
    // Point the loader at the installed package's dist/ (file path).  Node's
    // own resolution usually finds it next to the CJS bundle, but bundlers and
    // ESM re-packaging break that; an explicit prefix always works.
    const dir = wasmDistDir();
    if (dir != null && tf.engine().registry["wasm"] == null) {
      try {
        mod.setWasmPaths(dir);
      } catch {
        /* already initialised: the paths are irrelevant then */
      }
    }
    return mod;
  })();
  return wasmLoaded;
}

async function activate(name: string): Promise<boolean> {
  let ok = false;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch {
    ok = false;
  }
  if (ok && tf.getBackend() === name) {
    registerKernelFixes();
    return true;
  }
  return false;
}

async function trySimd(): Promise<boolean> {
  try {
    return Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  } catch {
    return false;
  }
}

async function selectWasm(asked: number | undefined): Promise<BackendSelection | { error: string }> {
  const want = wantedThreads(asked);
  let mod: WasmModule;
  try {
    mod = await loadWasm();
  } catch (e) {
    return { error: `@tensorflow/tfjs-backend-wasm could not be loaded: ${errMessage(e)}` };
  }
  const simd = await trySimd();
  // SIMD on whenever the runtime can validate SIMD wasm (Node ≥ 16 can).
  tf.env().set("WASM_HAS_SIMD_SUPPORT", simd);
  const target = Math.min(want, TFJS_WASM_MAX_THREADS);
  let why: string | undefined; // why fewer threads than asked
  if (target > 1 && !simd) why = "the threaded build needs wasm SIMD, which this runtime lacks";
  else if (target > 1 && (wasmFactoryThreads !== target || tf.engine().registry["wasm"] == null)) {
    // a new module unless one with this count backs the live wasm backend
    try {
      await useThreadedWasm(mod, target);
    } catch (e) {
      why = errMessage(e);
    }
  }
  if (target === 1 || why !== undefined) useStockWasm();
  let active = await activate("wasm");
  if (!active && wasmFactoryThreads > 1) {
    why = "the threaded wasm backend failed to initialise";
    useStockWasm();
    active = await activate("wasm");
  }
  if (!active) return { error: "tf.setBackend('wasm') failed (could not instantiate the .wasm binary)" };
  let threads = 1;
  try {
    threads = mod.getThreadsCount();
  } catch {
    /* not initialised */
  }
  const notes: string[] = [];
  // gancc's SIMD heap loops (./kernels/heap_simd.ts): attached now, before any kernel; said when they are not
  requireWasmHeap(tf.backend(), "wasm backend selection");
  const memory = backendMemory(tf.backend());
  if (memory === undefined || heapSimdFor(memory.buffer) === undefined) notes.push(`gancc's heap loops in JS, slower: ${heapSimdStatus()}`);
  if (why !== undefined) notes.push(`threads unavailable: ${why}; ${wasmThreadsNote}`);
  else if (threads < want) notes.push(want > TFJS_WASM_MAX_THREADS ? `${want} asked for; tfjs caps XNNPACK at ${TFJS_WASM_MAX_THREADS}` : `${want} asked for; XNNPACK made ${threads}`);
  else if (want === 1 && asked === 1) notes.push("threads: 1 asked for");
  const warning = why !== undefined ? `wasm runs on 1 thread instead of ${want}: ${why}` : threads < want && want <= TFJS_WASM_MAX_THREADS ? `wasm runs on ${threads} threads instead of ${want}` : undefined;
  return {
    name: "wasm",
    reason: `wasm (XNNPACK${simd ? ", SIMD" : ", no SIMD"}, ${threads} thread${threads === 1 ? "" : "s"}${notes.length ? `; ${notes.join("; ")}` : ""})`,
    threads,
    ...(warning !== undefined ? { warning } : {}),
  };
}

async function selectCpu(): Promise<BackendSelection> {
  if (!(await activate("cpu"))) throw new BackendUnavailableError("tf.setBackend('cpu') failed", "cpu");
  return { name: "cpu", reason: "cpu (pure JavaScript, 1 thread; slow — for tests and tiny models)", threads: 1 };
}

async function selectTensorflow(): Promise<BackendSelection | { causes: string[] }> {
  const probe = await probeTensorflow();
  if (!probe.ok) return { causes: probe.causes };
  if (!(await activate("tensorflow"))) {
    return { causes: [`${probe.pkg} loaded but tf.setBackend('tensorflow') failed`] };
  }
  const gpu = probe.pkg.endsWith("-gpu");
  return { name: "tensorflow", reason: `tensorflow via ${probe.pkg} (native libtensorflow${gpu ? ", CUDA" : ""})` };
}

async function selectWebgpu(explicit: boolean): Promise<BackendSelection | { error: string; message: string }> {
  if (!explicit && !vulkanLoaderFound()) {
    const why = "no Vulkan loader (libvulkan.so.1) found";
    return { error: why, message: why };
  }
  if (!explicit) {
    // quiet first: Dawn and Mesa print to stderr while enumerating adapters (see probeWebgpuQuietly)
    const q = await probeWebgpuQuietly();
    if (!q.ok) return { error: q.why, message: q.why };
    if (q.adapter.software) {
      const why = `only a software adapter (${describeAdapter(q.adapter)}); --backend webgpu uses it`;
      return { error: why, message: why };
    }
  }
  const p = await probeWebgpu();
  if (!p.ok) return { error: p.why, message: webgpuUnavailableMessage(p) };
  const desc = describeAdapter(p.adapter);
  if (!explicit && p.adapter.software) {
    const why = `only a software adapter (${desc}); --backend webgpu uses it`;
    return { error: why, message: why };
  }
  try {
    await registerWebgpuBackend();
  } catch (e) {
    const why = `@tensorflow/tfjs-backend-webgpu could not be loaded: ${errMessage(e)}`;
    return { error: why, message: `The 'webgpu' backend is not available: ${why}` };
  }
  if (!(await activate("webgpu"))) {
    const why = `tf.setBackend('webgpu') failed on ${desc} (the device could not be created)`;
    return { error: why, message: `The 'webgpu' backend is not available: ${why}` };
  }
  return { name: "webgpu", reason: `webgpu via Dawn on ${desc}`, adapter: p.adapter };
}

/**
 * Selects and initialises the tfjs backend, then registers the kernel fixes.
 * Throws `BackendUnavailableError` if an explicitly requested backend cannot
 * be used (`auto` never throws unless even cpu fails), and a RangeError for
 * `threads` that is not a whole number ≥ 1.
 */
export async function selectBackend(kind: BackendKind, opts: BackendOptions = {}): Promise<BackendSelection> {
  if (opts.threads !== undefined) wantedThreads(opts.threads);
  switch (kind) {
    case "tensorflow": {
      const r = await selectTensorflow();
      if ("causes" in r) throw tensorflowUnavailable(r.causes);
      return r;
    }
    case "webgpu": {
      const r = await selectWebgpu(true);
      if ("error" in r) throw new BackendUnavailableError(r.message, "webgpu", [r.error]);
      return r;
    }
    case "wasm": {
      const r = await selectWasm(opts.threads);
      if ("error" in r) throw new BackendUnavailableError(`The 'wasm' backend is not available: ${r.error}`, "wasm");
      return r;
    }
    case "cpu":
      return selectCpu();
    case "auto": {
      const t = await selectTensorflow();
      if (!("causes" in t)) return { name: t.name, reason: `auto: ${t.reason}` };
      const tfWhy = "tfjs-node not installed/loadable (npm install @tensorflow/tfjs-node for native speed)";
      const g = await selectWebgpu(false);
      if (!("error" in g)) return { ...g, reason: `auto: ${tfWhy}; using ${g.reason}` };
      const gpuWhy = `no webgpu (${g.error})`;
      const w = await selectWasm(opts.threads);
      if (!("error" in w)) return { ...w, reason: `auto: ${tfWhy}; ${gpuWhy}; using ${w.reason}` };
      const c = await selectCpu();
      return { name: c.name, reason: `auto: ${tfWhy}; ${gpuWhy}; wasm unavailable (${w.error}); using ${c.reason}` };
    }
    default: {
      const never: never = kind;
      throw new BackendUnavailableError(`unknown backend kind '${String(never)}'`, kind);
    }
  }
}
