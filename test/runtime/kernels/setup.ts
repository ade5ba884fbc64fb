/**
 * Shared backend setup for the backend-parametrized tests (kernels, layers, the training
 * program, CycleGAN parity).
 *
 * The default vitest project runs them on cpu and wasm. The "webgpu" project (vitest.config.ts)
 * runs the same files with GANCC_TEST_BACKENDS=webgpu and the environment WebGPU needs (the
 * SwiftShader Vulkan driver from Debian's chromium package when there is no GPU), so there the
 * list is webgpu alone and the backend-independent tests of those files are not repeated.
 */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend.js";

export type TestBackend = "cpu" | "wasm" | "webgpu";
const ALL: readonly TestBackend[] = ["cpu", "wasm", "webgpu"];

function backendsFromEnv(): readonly TestBackend[] {
  const v = process.env.GANCC_TEST_BACKENDS;
  if (v == null || v === "") return ["cpu", "wasm"];
  const list = v.split(",").map((s) => s.trim()) as TestBackend[];
  const bad = list.filter((b) => !ALL.includes(b));
  if (bad.length) throw new Error(`GANCC_TEST_BACKENDS: unknown backend(s) ${bad.join(", ")} (known: ${ALL.join(", ")})`);
  return list;
}

export const BACKENDS: readonly TestBackend[] = backendsFromEnv();

/** False in the "webgpu" project: tests that do not depend on the backend run in the default project only. */
export const BACKEND_INDEPENDENT_TESTS = !BACKENDS.includes("webgpu") || BACKENDS.includes("cpu");

/** Activates `name` (and registers the kernel fixes), quietly. */
export async function useBackend(name: TestBackend): Promise<void> {
  await selectBackend(name);
  if (tf.getBackend() !== name) throw new Error(`backend ${name} not active`);
}
