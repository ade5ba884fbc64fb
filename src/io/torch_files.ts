/**
 * PyTorch state_dict files: safetensors with torch names and layouts (what
 * `safetensors.torch.save_file(model.state_dict())` writes). gancc never reads pickles (.pth);
 * the error for one says how to convert it.
 */
import { SafetensorsError, readSafetensorsFileSync, writeSafetensorsFileSync, type SafeTensor, type SafetensorsContents } from "./safetensors.js";
import type { TorchStateDict } from "./torch_names.js";

export class TorchFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TorchFileError";
  }
}

const PICKLE = /\.(pth?|ckpt|bin|tar)$/i;

/** A safetensors file's contents; a pickle or an unreadable file throws TorchFileError. */
export function readTorchFile(path: string): SafetensorsContents {
  if (PICKLE.test(path)) {
    throw new TorchFileError(
      `${path}: gancc reads PyTorch weights as safetensors, not pickles. Convert it once with Python:\n` +
        `  python -c "import torch; from safetensors.torch import save_file; ` +
        `sd = torch.load('${path}', map_location='cpu'); save_file({k: v.contiguous() for k, v in sd.items()}, '${path.replace(/\.[^.]+$/, "")}.safetensors')"`,
    );
  }
  try {
    return readSafetensorsFileSync(path);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new TorchFileError(e.message);
    throw e;
  }
}

/**
 * The float tensors of a state_dict (F64 converted to F32; `num_batches_tracked` dropped). A
 * non-float tensor under one of `prefixes` (the keys being imported) is an error; elsewhere it
 * is ignored.
 */
export function torchStateDict(contents: SafetensorsContents, prefixes: string[], file: string): TorchStateDict {
  const sd: TorchStateDict = {};
  for (const [k, t] of Object.entries(contents.tensors)) {
    if (t.data instanceof Float32Array) sd[k] = { shape: t.shape, data: t.data };
    else if (t.data instanceof Float64Array) sd[k] = { shape: t.shape, data: Float32Array.from(t.data) };
    else if (k.endsWith("num_batches_tracked")) continue;
    else if (prefixes.some((p) => k.startsWith(p))) {
      throw new TorchFileError(`${file}: tensor ${k} is ${t.dtype}; only float tensors (F32, F64) can be imported as weights`);
    }
  }
  return sd;
}

/** Reads a state_dict file: `readTorchFile` then `torchStateDict`. */
export function readTorchStateDict(path: string, prefixes: string[] = [""]): TorchStateDict {
  return torchStateDict(readTorchFile(path), prefixes, path);
}

/** Writes a state_dict as safetensors (F32), loadable with `safetensors.torch.load_file`. */
export function writeTorchStateDict(path: string, sd: TorchStateDict, metadata: Record<string, string> = {}): void {
  const tensors: Record<string, SafeTensor> = {};
  for (const [k, v] of Object.entries(sd)) tensors[k] = { dtype: "F32", shape: v.shape, data: v.data };
  try {
    writeSafetensorsFileSync(path, tensors, metadata);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new TorchFileError(e.message);
    throw e;
  }
}
