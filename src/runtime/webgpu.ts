/**
 * The optional WebGPU backend in Node: @tensorflow/tfjs-backend-webgpu on Dawn through the
 * `webgpu` npm package (dawn.node; an optional dependency).
 *
 * Node has no `navigator.gpu`; `webgpu`'s `create([])` gives one. We request the adapter
 * ourselves (so its description — vendor, architecture, driver, software or not — can be
 * reported and `auto` can refuse a software adapter), then register tfjs's `webgpu` backend
 * with a factory that builds `WebGPUBackend` on that adapter.
 *
 * Without a GPU, WebGPU still works through a software Vulkan driver: Debian's chromium
 * package ships SwiftShader (`apt-get install chromium`), used with
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
 * (LD_LIBRARY_PATH must be set before the process starts: the dynamic loader reads it once).
 * That adapter is software and slow; `auto` never picks it, `--backend webgpu` does.
 *
 * In Node, tfjs-backend-webgpu cannot read tensors synchronously (`dataSync()` goes through
 * `OffscreenCanvas`, which Node lacks): use `await t.data()`.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";

/** What the adapter says about itself (WebGPU `GPUAdapterInfo`, plus whether it is software). */
export interface WebgpuAdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** `GPUAdapterInfo.isFallbackAdapter` (or the older `GPUAdapter.isFallbackAdapter`) */
  isFallbackAdapter: boolean;
  /** a CPU implementation: a fallback adapter, or SwiftShader / llvmpipe / lavapipe / softpipe / WARP */
  software: boolean;
}

export type WebgpuProbe =
  | { ok: true; adapter: WebgpuAdapterDescription }
  | { ok: false; missingPackage?: string; why: string };

/** Names of CPU implementations of Vulkan / D3D / GL that adapters report. */
const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|software|\bwarp\b|basic render/i;

export function isSoftwareAdapter(info: Omit<WebgpuAdapterDescription, "software">): boolean {
  return info.isFallbackAdapter || SOFTWARE_NAMES.test([info.vendor, info.architecture, info.device, info.description].join(" "));
}

/** "google swiftshader, SwiftShader driver 5.0.0 (software)" — for the backend line and run.json. */
export function describeAdapter(a: WebgpuAdapterDescription): string {
  const name = [a.vendor, a.architecture].filter(Boolean).join(" ") || "unknown adapter";
  const parts = [name];
  if (a.description && a.description !== name) parts.push(a.description);
  return `${parts.join(", ")}${a.software ? " (software)" : ""}`;
}

/** How to get a WebGPU adapter on a machine without a GPU (Linux). */
export const SWIFTSHADER_HINT =
  "without a GPU, install Debian's chromium (apt-get install chromium: SwiftShader, a software Vulkan driver) and run with " +
  "LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (slow; for tests)";

export const WEBGPU_PACKAGE = "webgpu";
export const TFJS_WEBGPU_PACKAGE = "@tensorflow/tfjs-backend-webgpu";

interface GpuAdapterLike {
  info?: Partial<Record<"vendor" | "architecture" | "device" | "description", string>> & { isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  features: { has(name: string): boolean };
  limits: Record<string, number>;
  requestDevice(descriptor?: unknown): Promise<GpuDeviceLike>;
}
interface GpuDeviceLike {
  lost?: Promise<{ reason?: string; message?: string }>;
}
interface GpuLike {
  requestAdapter(options?: unknown): Promise<GpuAdapterLike | null>;
}
interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface TfjsWebgpuModule {
  WebGPUBackend: new (device: GpuDeviceLike, adapterInfo?: unknown) => tf.KernelBackend;
}

function errMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split("\n")[0]!.slice(0, 300);
}

/** Imports a module by a computed specifier (so TypeScript does not need its types). */
async function importOptional(spec: string): Promise<unknown> {
  return import(spec);
}

const isModuleNotFound = (e: unknown) =>
  ["ERR_MODULE_NOT_FOUND", "MODULE_NOT_FOUND"].includes((e as { code?: string }).code ?? "") ||
  /Cannot find (package|module)/.test(errMessage(e));

/**
 * On Linux, Dawn's Vulkan backend dlopen()s libvulkan.so.1 and, when that fails, prints a warning
 * straight to stderr. `auto` looks for the loader first so that machines without Vulkan (most
 * servers without a GPU) stay quiet. A heuristic over the usual library directories: when it
 * says no, only the quiet probe is skipped (an explicit `--backend webgpu` still asks Dawn).
 */
export function vulkanLoaderFound(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== "linux") return true;
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean),
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/lib/x86_64-linux-gnu",
    "/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/lib64",
    "/usr/lib",
    "/lib",
    "/usr/local/lib",
  ];
  return dirs.some((d) => existsSync(path.join(d, "libvulkan.so.1")));
}

/** What a probe in a child process saw: a hardware or software adapter, or why none. */
export type QuietProbe = { ok: true; adapter: WebgpuAdapterDescription } | { ok: false; why: string };

/**
 * Asks Dawn for an adapter in a child process whose stderr is discarded. Where Mesa's Vulkan
 * drivers are installed without a GPU (Debian pulls them in with python3-torch, for example),
 * Dawn and the drivers print warnings straight to the process's stderr while enumerating
 * adapters ("XDG_RUNTIME_DIR is invalid", "Vulkan shaderUniform*ArrayDynamicIndexing
 * required"), which no JavaScript code can intercept. `auto` asks here first, so a machine
 * without a usable hardware adapter stays quiet; only when one is found is Dawn loaded
 * in-process. Costs one Node start (~0.1–0.3 s), paid by `auto` only.
 */
export function probeWebgpuQuietly(packageName = WEBGPU_PACKAGE, timeoutMs = 30_000): Promise<QuietProbe> {
  let url: string;
  try {
    url = pathToFileURL(createRequire(import.meta.url).resolve(packageName)).href;
  } catch {
    return Promise.resolve({ ok: false, why: `the optional package '${packageName}' (Dawn for Node) is not installed` });
  }
  const script =
    `const d = await import(${JSON.stringify(url)}); const a = await d.create([]).requestAdapter({ powerPreference: "high-performance" });` +
    `const i = a ? (a.info ?? {}) : null;` +
    `process.send(JSON.stringify(i ? { vendor: i.vendor ?? "", architecture: i.architecture ?? "", device: i.device ?? "", description: i.description ?? "", isFallbackAdapter: Boolean(i.isFallbackAdapter ?? a.isFallbackAdapter) } : null), () => process.exit(0));`;
  return new Promise((resolveProbe) => {
    // the answer comes over the IPC channel; stdout and stderr (the drivers' noise) are discarded
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "ignore", "ignore", "ipc"], timeout: timeoutMs });
    let out = "";
    child.on("message", (m) => (out = String(m)));
    child.on("error", (e) => resolveProbe({ ok: false, why: `the adapter probe could not start: ${errMessage(e)}` }));
    child.on("close", (code, signal) => {
      let info: Omit<WebgpuAdapterDescription, "software"> | null | undefined;
      try {
        info = JSON.parse(out) as typeof info;
      } catch {
        info = undefined;
      }
      if (info === undefined) resolveProbe({ ok: false, why: `the adapter probe ${signal ? `was stopped (${signal})` : `exited ${code}`} without an answer` });
      else if (info === null) resolveProbe({ ok: false, why: "Dawn found no WebGPU adapter (no Vulkan, Metal or D3D12 device)" });
      else resolveProbe({ ok: true, adapter: { ...info, software: isSoftwareAdapter(info) } });
    });
  });
}

interface WebgpuState {
  probe?: Promise<WebgpuProbe>;
  gpu?: GpuLike;
  adapter?: GpuAdapterLike;
  registered?: boolean;
  /** why the device was lost (a driver reset, out of memory, …), once it has been */
  lost?: string;
}
/** One Dawn instance per process (shared by copies of this module). */
const STATE_KEY = Symbol.for("gancc.runtime.webgpu");
function state(): WebgpuState {
  const g = globalThis as unknown as Record<symbol, WebgpuState | undefined>;
  return (g[STATE_KEY] ??= {});
}

function adapterDescription(adapter: GpuAdapterLike): WebgpuAdapterDescription {
  const info = adapter.info ?? {};
  const base = {
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    description: info.description ?? "",
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
  return { ...base, software: isSoftwareAdapter(base) };
}

/**
 * Loads `webgpu` (Dawn) and requests a high-performance adapter, once per process. Creates no
 * device and registers nothing. `packageName` is for tests (a package that is not installed).
 */
export function probeWebgpu(packageName = WEBGPU_PACKAGE): Promise<WebgpuProbe> {
  const s = state();
  if (packageName !== WEBGPU_PACKAGE) return probeUncached(packageName);
  s.probe ??= probeUncached(packageName);
  return s.probe;
}

async function probeUncached(packageName: string): Promise<WebgpuProbe> {
  let dawn: DawnModule;
  try {
    dawn = (await importOptional(packageName)) as DawnModule;
  } catch (e) {
    if (isModuleNotFound(e)) return { ok: false, missingPackage: packageName, why: `the optional package '${packageName}' (Dawn for Node) is not installed` };
    return { ok: false, why: `'${packageName}' could not be loaded: ${errMessage(e)}` };
  }
  let gpu: GpuLike;
  let adapter: GpuAdapterLike | null;
  try {
    gpu = dawn.create([]);
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return { ok: false, why: `Dawn could not enumerate adapters: ${errMessage(e)}` };
  }
  if (adapter == null) return { ok: false, why: "Dawn found no WebGPU adapter (no Vulkan, Metal or D3D12 device)" };
  // the globals tfjs-backend-webgpu uses (GPUBufferUsage, GPUMapMode, …), where Node lacks them
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const s = state();
  s.gpu = gpu; // keeps the Dawn instance alive for as long as the backend may use it
  s.adapter = adapter;
  return { ok: true, adapter: adapterDescription(adapter) };
}

function exposeNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu != null) return;
  if (g.navigator == null) {
    Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true, writable: true });
  }
}

/**
 * Registers tfjs's `webgpu` backend on the probed adapter (once). Throws when the probe failed
 * or @tensorflow/tfjs-backend-webgpu cannot be loaded.
 */
export async function registerWebgpuBackend(): Promise<WebgpuAdapterDescription> {
  const p = await probeWebgpu();
  if (!p.ok) throw new Error(p.why);
  const s = state();
  if (s.registered || tf.findBackendFactory("webgpu") != null) {
    s.registered = true;
    return p.adapter;
  }
  // Imported while `navigator.gpu` is absent, the package registers its kernels but not its own
  // backend factory (which would pick an adapter itself); ours uses the probed one.
  const mod = (await importOptional(TFJS_WEBGPU_PACKAGE)) as TfjsWebgpuModule;
  // WebGPUBackend's constructor insists on `navigator.gpu` (Node ≤ 20 has no navigator at all)
  exposeNavigatorGpu(s.gpu!);
  if (tf.findBackendFactory("webgpu") == null) {
    const adapter = s.adapter!;
    tf.registerBackend(
      "webgpu",
      async () => {
        // as tfjs-backend-webgpu's own factory does: its shaders use these limits and features
        const requiredFeatures = ["timestamp-query", "bgra8unorm-storage"].filter((f) => adapter.features.has(f));
        const l = adapter.limits;
        const device = await adapter.requestDevice({
          requiredFeatures,
          requiredLimits: {
            maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
            maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
            maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
            maxBufferSize: l.maxBufferSize,
            maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
            maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
          },
        });
        void device.lost?.then((info) => {
          if (info.reason !== "destroyed") state().lost = info.message || info.reason || "unknown reason";
        });
        return new mod.WebGPUBackend(device, adapter.info);
      },
      // the lowest priority, so that tfjs never picks webgpu by itself (gancc always sets the backend)
      0,
    );
  }
  s.registered = true;
  return p.adapter;
}

/** Why the WebGPU device was lost, if it has been (every later webgpu kernel fails then). */
export function webgpuDeviceLost(): string | undefined {
  return state().lost;
}

/** The message of `--backend webgpu` when it cannot be used. */
export function webgpuUnavailableMessage(p: Extract<WebgpuProbe, { ok: false }>): string {
  const lines = [`The 'webgpu' backend is not available: ${p.why}.`];
  if (p.missingPackage != null) {
    lines.push(
      `Install it (an optional dependency; the package ships a prebuilt dawn.node for linux-x64/arm64, macOS and Windows):`,
      `  npm install ${p.missingPackage}`,
      `then run again; an adapter must exist (a GPU with Vulkan / Metal / D3D12 drivers, or, ${SWIFTSHADER_HINT}).`,
    );
  } else {
    lines.push(`WebGPU needs a GPU with Vulkan (Linux), Metal (macOS) or D3D12 (Windows) drivers; ${SWIFTSHADER_HINT}.`);
  }
  lines.push("Alternatively select the 'wasm' backend (portable, no GPU).");
  return lines.join("\n");
}
