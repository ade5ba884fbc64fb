/** selectBackend: explicit kinds, auto fallback, and the tensorflow error message. */
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { BackendUnavailableError, selectBackend, wasmDistDir } from "../../../src/runtime/backend.js";
import { isKernelFixActive, kernelFixesRegistered } from "../../../src/runtime/kernels/index.js";

async function canImport(spec: string): Promise<boolean> {
  try {
    await import(spec);
    return true;
  } catch {
    return false;
  }
}

describe("selectBackend", () => {
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

  it("auto: tensorflow if loadable, else wasm", async () => {
    const present = (await canImport("@tensorflow/tfjs-node-gpu")) || (await canImport("@tensorflow/tfjs-node"));
    const r = await selectBackend("auto");
    expect(r.name).toBe(present ? "tensorflow" : "wasm");
    expect(r.reason).toMatch(/^auto: /);
    if (!present) expect(r.reason).toMatch(/tfjs-node/);
  });
});
