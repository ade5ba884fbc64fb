/** Shared backend setup for the kernel tests. */
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../../../src/runtime/backend.js";

export const BACKENDS = ["cpu", "wasm"] as const;
export type TestBackend = (typeof BACKENDS)[number];

/** Activates `name` (and registers the kernel fixes), quietly. */
export async function useBackend(name: TestBackend): Promise<void> {
  await selectBackend(name);
  if (tf.getBackend() !== name) throw new Error(`backend ${name} not active`);
}
