/**
 * Backend selection for the gancc runtime.
 *
 *   tensorflow  native libtensorflow via @tensorflow/tfjs-node-gpu or
 *               @tensorflow/tfjs-node (optional dependencies; their install
 *               step downloads libtensorflow, which fails offline)
 *   webgpu      @tensorflow/tfjs-backend-webgpu on Dawn (the optional `webgpu`
 *               package; see ./webgpu.ts), on whatever adapter Dawn finds —
 *               a GPU, or a software one such as SwiftShader
 *   wasm        @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD; single-threaded
 *               in Node — see `wasmThreadsNote`)
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
 * What we found about wasm threads in Node (tfjs 4.22): tfjs forces
 * `WASM_HAS_MULTITHREAD_SUPPORT` to false under Node (tfjs issue #3830).
 * Forcing the flag on makes init fail: the pthread worker is created from a
 * `blob:` URL, which Node's worker_threads rejects (ERR_WORKER_PATH), and the
 * worker then evaluates the bundled factory, which references rollup's
 * CommonJS helpers (`require$$0`, `commonjsGlobal`) absent in the worker.
 * Patching all of that makes the threaded-SIMD module load, but XNNPACK
 * still reports 1 thread and throughput is unchanged, so we keep the
 * single-threaded SIMD build.
 */
export const wasmThreadsNote =
  "wasm threads are disabled in Node by tfjs (blob: worker URLs are not supported by Node worker_threads); using single-threaded SIMD";

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
  getThreadsCount?(): number;
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

async function selectWasm(): Promise<BackendSelection | { error: string }> {
  let mod: WasmModule;
  try {
    mod = await loadWasm();
  } catch (e) {
    return { error: `@tensorflow/tfjs-backend-wasm could not be loaded: ${errMessage(e)}` };
  }
  const simd = await trySimd();
  // SIMD on whenever the runtime can validate SIMD wasm (Node ≥ 16 can).
  tf.env().set("WASM_HAS_SIMD_SUPPORT", simd);
  if (!(await activate("wasm"))) return { error: "tf.setBackend('wasm') failed (could not instantiate the .wasm binary)" };
  let threads = 1;
  try {
    threads = mod.getThreadsCount?.() ?? 1;
  } catch {
    /* not initialised */
  }
  return {
    name: "wasm",
    reason: `wasm (XNNPACK${simd ? ", SIMD" : ", no SIMD"}, ${threads} thread${threads === 1 ? "" : "s"}; ${wasmThreadsNote})`,
  };
}

async function selectCpu(): Promise<BackendSelection> {
  if (!(await activate("cpu"))) throw new BackendUnavailableError("tf.setBackend('cpu') failed", "cpu");
  return { name: "cpu", reason: "cpu (pure JavaScript; slow — for tests and tiny models)" };
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
 * be used (`auto` never throws unless even cpu fails).
 */
export async function selectBackend(kind: BackendKind): Promise<BackendSelection> {
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
      const r = await selectWasm();
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
      const w = await selectWasm();
      if (!("error" in w)) return { name: w.name, reason: `auto: ${tfWhy}; ${gpuWhy}; using ${w.reason}` };
      const c = await selectCpu();
      return { name: c.name, reason: `auto: ${tfWhy}; ${gpuWhy}; wasm unavailable (${w.error}); using ${c.reason}` };
    }
    default: {
      const never: never = kind;
      throw new BackendUnavailableError(`unknown backend kind '${String(never)}'`, kind);
    }
  }
}
