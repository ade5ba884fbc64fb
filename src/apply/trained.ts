/**
 * A trained model's IR and weights from where gancc leaves them: a run directory (its final
 * `weights.safetensors`, else its latest checkpoint) or a gancc weights file that carries its IR.
 * Shared by `gancc translate` and the public `loadModel`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Ir } from "../ir/schema.js";
import { readIr } from "../ir/validate.js";
import { loadCheckpoint } from "../train/checkpoint.js";
import { loadWeights } from "../io/weights.js";
import type { HostTensor } from "../io/tensor.js";

export class TrainedModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainedModelError";
  }
}

export interface TrainedModel {
  ir: Ir;
  weights: Map<string, HostTensor>;
  /** where the weights came from, for messages and reports */
  from: string;
}

/** Throws TrainedModelError, WeightsError or CheckpointError with a message for the user. */
export async function loadTrained(path: string): Promise<TrainedModel> {
  if (existsSync(path) && statSync(path).isDirectory()) {
    const w = join(path, "weights.safetensors");
    if (existsSync(w)) return loadTrained(w);
    const irFile = join(path, "ir.json");
    if (!existsSync(irFile)) throw new TrainedModelError(`${path} is not a gancc run directory (no weights.safetensors, no ir.json)`);
    const r = readIr(readFileSync(irFile, "utf8"), irFile);
    if (!r.ir) throw new TrainedModelError(r.error ?? `${irFile} is not a gancc IR file`);
    const c = loadCheckpoint(join(path, "checkpoints"));
    return { ir: r.ir, weights: c.weights, from: `${path} checkpoint at iteration ${c.manifest.iteration}` };
  }
  const l = await loadWeights(path);
  if (!l.ir) throw new TrainedModelError(`${path} holds no IR (saved with --no-ir); use the run directory, or create the model from its spec and call model.load()`);
  return { ir: l.ir, weights: l.tensors as Map<string, HostTensor>, from: path };
}
