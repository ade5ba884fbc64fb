/**
 * Identity on wasm without a copy.
 *
 * tfjs's gradient tape keeps every tensor a kernel saves for its backward pass as a *clone*
 * (`Engine.saveTensorsForBackwardMode` → `clone` → the Identity kernel). The cpu backend's
 * Identity shares the buffer (it bumps the buffer's reference count, like Reshape); the wasm
 * backend's copies it. So on wasm every saved tensor existed twice: measured on one CycleGAN
 * generator's forward pass at 64×64, the tape held 81 MiB for 30 MiB of layer outputs. Sharing is
 * safe because no kernel writes into an input's buffer (every wasm kernel, and every gancc kernel
 * that writes the heap directly, writes only into a buffer it just allocated) and a variable's
 * `assign` swaps buffers instead of writing into one.
 */
import type * as tf from "@tensorflow/tfjs";

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

export const wasmIdentityShared: tf.KernelFunc = ({ inputs, backend }) => {
  const x = (inputs as { x: tf.TensorInfo }).x;
  (backend as unknown as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};
