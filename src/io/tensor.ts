/**
 * A tensor's values on the host: row-major float32 with its shape. The one type for parameter
 * values everywhere outside tfjs: weights files, checkpoints, PyTorch state_dicts, model reads.
 */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}
