/** selectBackend: explicit kinds, auto fallback, the tensorflow and webgpu error messages, webgpu adapters. */
import { existsSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { BackendUnavailableError, selectBackend, wasmDistDir } from "../../../src/runtime/backend.js";
import { isKernelFixActive, kernelFixesRegistered } from "../../../src/runtime/kernels/index.js";
import {
  describeAdapter,
  isSoftwareAdapter,
  probeWebgpu,
  vulkanLoaderFound,
  webgpuUnavailableMessage,
  type WebgpuAdapterDescription,
} from "../../../src/runtime/webgpu.js";
import { BACKENDS, BACKEND_INDEPENDENT_TESTS } from "./setup.js";

async function canImport(spec: string): Promise<boolean> {
  try {
    await import(spec);
    return true;
  } catch {
    return false;
  }
}

/** Whether `auto` finds a hardware WebGPU adapter here (it would then take webgpu before wasm). */
async function hardwareWebgpu(): Promise<boolean> {
  if (!vulkanLoaderFound()) return false;
  const p = await probeWebgpu();
  return p.ok && !p.adapter.software;
}

describe.runIf(BACKEND_INDEPENDENT_TESTS)("selectBackend", () => {
  it("cpu", async () => {
    const r = await selectBackend("cpu");
    expect(r.name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(r.reason).toMatch(/cpu/);
    expect(kernelFixesRegistered()).toBe(true);
    expect(isKernelFixActive("Conv2DBackpropFilter", "cpu")).toBe(true);
  });

  it("wasm (SIMD, with the wasm kernel fixes applied after the package loads)", async () => {
    const r = await selectBackend("wasm");
    expect(r.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(r.reason).toMatch(/SIMD/);
    expect(r.reason).toMatch(/thread/);
    expect(isKernelFixActive("Conv2DBackpropFilter", "wasm")).toBe(true);
    expect(isKernelFixActive("Conv2DBackpropInput", "wasm")).toBe(true);
    expect(wasmDistDir()).toMatch(/tfjs-backend-wasm[\\/]dist[\\/]$/);
    // a conv trains on wasm
    const g = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, "same")))(tf.ones([3, 3, 2, 2])));
    expect(g.shape).toEqual([3, 3, 2, 2]);
    g.dispose();
  });

  it("switching back and forth keeps the fixes installed", async () => {
    await selectBackend("cpu");
    await selectBackend("wasm");
    expect(kernelFixesRegistered()).toBe(true);
  });

  it("tensorflow: a helpful BackendUnavailableError when tfjs-node is missing", async () => {
    const present = (await canImport("@tensorflow/tfjs-node-gpu")) || (await canImport("@tensorflow/tfjs-node"));
    if (present) {
      const r = await selectBackend("tensorflow");
      expect(r.name).toBe("tensorflow");
      return;
    }
    const err = await selectBackend("tensorflow").then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const msg = (err as Error).message;
    expect(msg).toContain("npm install @tensorflow/tfjs-node");
    expect(msg).toContain("npm install @tensorflow/tfjs-node-gpu");
    expect(msg).toMatch(/downloads the libtensorflow/);
    expect((err as BackendUnavailableError).causes.length).toBe(2);
  });

  it("auto: tensorflow if loadable, else webgpu on a hardware adapter, else wasm", async () => {
    const present = (await canImport("@tensorflow/tfjs-node-gpu")) || (await canImport("@tensorflow/tfjs-node"));
    const gpu = !present && (await hardwareWebgpu());
    const r = await selectBackend("auto");
    expect(r.name).toBe(present ? "tensorflow" : gpu ? "webgpu" : "wasm");
    expect(r.reason).toMatch(/^auto: /);
    if (!present) expect(r.reason).toMatch(/tfjs-node/);
  });
});

describe.runIf(BACKEND_INDEPENDENT_TESTS)("webgpu adapters and messages (no adapter needed)", () => {
  const info = (vendor: string, architecture: string, description: string, isFallbackAdapter = false) => {
    const base = { vendor, architecture, device: "", description, isFallbackAdapter };
    return { ...base, software: isSoftwareAdapter(base) } satisfies WebgpuAdapterDescription;
  };

  it("tells software adapters (SwiftShader, llvmpipe, lavapipe, fallback) from hardware ones", () => {
    expect(info("google", "swiftshader", "SwiftShader driver 5.0.0", true).software).toBe(true);
    expect(info("google", "swiftshader", "SwiftShader driver 5.0.0").software).toBe(true);
    expect(info("mesa", "", "llvmpipe (LLVM 15.0.6, 256 bits)").software).toBe(true);
    expect(info("mesa", "", "Mesa lavapipe").software).toBe(true);
    expect(info("", "", "", true).software).toBe(true);
    expect(info("nvidia", "hopper", "NVIDIA H200").software).toBe(false);
    expect(info("apple", "metal-3", "Apple M1 Max").software).toBe(false);
    expect(info("intel", "gen-12lp", "Intel(R) UHD Graphics 770").software).toBe(false);
  });

  it("describes the adapter by vendor, architecture and description, marking software", () => {
    expect(describeAdapter(info("google", "swiftshader", "SwiftShader driver 5.0.0", true))).toBe("google swiftshader, SwiftShader driver 5.0.0 (software)");
    expect(describeAdapter(info("nvidia", "hopper", "NVIDIA H200"))).toBe("nvidia hopper, NVIDIA H200");
  });

  it("without the `webgpu` package: says it is missing and how to install it", async () => {
    const p = await probeWebgpu("gancc-test-no-such-webgpu-package");
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.missingPackage).toBe("gancc-test-no-such-webgpu-package");
    const msg = webgpuUnavailableMessage(p);
    expect(msg).toMatch(/^The 'webgpu' backend is not available: the optional package 'gancc-test-no-such-webgpu-package' \(Dawn for Node\) is not installed/);
    expect(msg).toContain("npm install gancc-test-no-such-webgpu-package");
    expect(msg).toContain("wasm");
  });

  it("without an adapter: says what drivers it needs and how to get SwiftShader", () => {
    const msg = webgpuUnavailableMessage({ ok: false, why: "Dawn found no WebGPU adapter (no Vulkan, Metal or D3D12 device)" });
    expect(msg).toContain("no WebGPU adapter");
    expect(msg).toContain("apt-get install chromium");
    expect(msg).toContain("VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json");
    expect(msg).not.toContain("npm install");
  });

  it("the Vulkan loader check looks in LD_LIBRARY_PATH", () => {
    if (process.platform !== "linux") return;
    expect(vulkanLoaderFound({ LD_LIBRARY_PATH: "/nonexistent-gancc" })).toBe(vulkanLoaderFound({}));
    if (existsSync("/usr/lib/chromium/libvulkan.so.1")) expect(vulkanLoaderFound({ LD_LIBRARY_PATH: "/usr/lib/chromium" })).toBe(true);
  });
});

describe.runIf(BACKENDS.includes("webgpu"))("selectBackend on webgpu (an adapter exists here)", () => {
  it("webgpu: names the adapter (vendor, architecture, description) and trains a conv", async () => {
    const r = await selectBackend("webgpu");
    expect(r.name).toBe("webgpu");
    expect(tf.getBackend()).toBe("webgpu");
    const a = r.adapter!;
    expect(a).toBeDefined();
    expect(r.reason).toBe(`webgpu via Dawn on ${describeAdapter(a)}`);
    expect(r.reason).toContain(a.vendor);
    expect(r.reason).toContain(a.description);
    expect(r.reason.endsWith("(software)")).toBe(a.software);
    expect(kernelFixesRegistered()).toBe(true);
    const before = tf.memory().numTensors;
    const g = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, "same")))(tf.ones([3, 3, 2, 2])));
    expect(g.shape).toEqual([3, 3, 2, 2]);
    // each tap sees 1·1 over the positions where it overlaps the 5×5 input: corners 16, edges 20, centre 25
    expect(Array.from(await g.data()).slice(0, 4)).toEqual([16, 16, 16, 16]);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("auto does not take a software adapter (only --backend webgpu does)", async () => {
    const p = await probeWebgpu();
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    const present = (await canImport("@tensorflow/tfjs-node-gpu")) || (await canImport("@tensorflow/tfjs-node"));
    const r = await selectBackend("auto");
    if (present) expect(r.name).toBe("tensorflow");
    else if (p.adapter.software) {
      expect(r.name).toBe("wasm");
      expect(r.reason).toContain(`only a software adapter (${describeAdapter(p.adapter)})`);
    } else expect(r.name).toBe("webgpu");
  });

  it("switching between webgpu, cpu and wasm keeps the fixes installed", async () => {
    await selectBackend("webgpu");
    await selectBackend("cpu");
    await selectBackend("wasm");
    await selectBackend("webgpu");
    expect(tf.getBackend()).toBe("webgpu");
    expect(kernelFixesRegistered()).toBe(true);
  });
});
