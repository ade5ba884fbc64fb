/**
 * Checkpoints of a training run: everything needed to continue exactly where it stopped.
 *
 *   <run>/checkpoints/iter-000120.safetensors   weights (`param/<IR name>`), optimizer slots
 *                                               (`opt<i>/<IR name>/<slot>`), image pools
 *                                               (`pool/<value id>/<k>`), all F32
 *   <run>/checkpoints/iter-000120.json          the manifest (below)
 *   <run>/checkpoints/latest.json               a copy of the newest manifest, written last
 *
 * Every file is written to a temporary name and renamed, and `latest.json` only ever names a
 * checkpoint whose two files are complete, so a crash at any moment leaves the previous
 * checkpoint usable. Older checkpoints beyond `keep` are deleted after the new one is in place.
 */
import type { HostTensor } from "../io/tensor.js";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { Ir } from "../ir/schema.js";
import type { LoaderState } from "../data/index.js";
import type { Model } from "../runtime/model.js";
import type { ProgramState } from "../runtime/program.js";
import { writeFileAtomic } from "../io/atomic.js";
import type { RngState } from "../runtime/rng.js";
import { SafetensorsError, readSafetensorsFileSync, tensorAsFloat32, writeSafetensorsFileSync, type SafeTensor } from "../io/safetensors.js";

export const CHECKPOINT_FORMAT = "gancc-checkpoint";

export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: 1;
  /** training iterations completed */
  iteration: number;
  /** the epoch (0-based) the next iteration belongs to, and its iteration within that epoch */
  epoch: number;
  epochIteration: number;
  specName: string;
  specSha256: string;
  /** sha256 of the IR (spans excluded): a resumed run must have the same */
  irSha256: string;
  /** the tensors file, relative to the checkpoints folder */
  tensors: string;
  optimizers: { t: number }[];
  pools: Record<string, { size: number; swap: number; shape: number[] | null; count: number }>;
  rng: RngState;
  data: LoaderState | null;
  /** the schedule's multiplier in force and the last loss values (for people reading the file) */
  lrScale: number;
  losses: Record<string, Record<string, number>>;
  backend: string;
  savedAt: string;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** sha256 of the IR without source spans (a comment or blank line in the spec does not change it). */
export function irHash(ir: Ir): string {
  const strip = (_k: string, v: unknown) => (_k === "span" ? undefined : v);
  const { spec, ...rest } = ir;
  return createHash("sha256")
    .update(JSON.stringify({ ...rest, spec: { name: spec.name, params: spec.params } }, strip))
    .digest("hex");
}

function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 1) + "\n");
}

export interface SaveCheckpointArgs {
  dir: string;
  model: Model;
  program: ProgramState;
  iteration: number;
  epoch: number;
  epochIteration: number;
  data: LoaderState | null;
  lrScale: number;
  losses: Record<string, Record<string, number>>;
  backend: string;
  keep?: number;
}

export async function saveCheckpoint(a: SaveCheckpointArgs): Promise<CheckpointManifest> {
  mkdirSync(a.dir, { recursive: true });
  const tensors: Record<string, SafeTensor> = {};
  for (const [name, v] of await a.model.read()) tensors[`param/${name}`] = { dtype: "F32", shape: v.shape, data: v.data };
  a.program.optimizers.forEach((o, i) => {
    for (const [name, v] of o.slots) tensors[`opt${i}/${name}`] = { dtype: "F32", shape: v.shape, data: v.data };
  });
  const pools: CheckpointManifest["pools"] = {};
  for (const [id, p] of Object.entries(a.program.pools)) {
    pools[id] = { size: p.size, swap: p.swap, shape: p.shape, count: p.images.length };
    p.images.forEach((img, k) => (tensors[`pool/${id}/${k}`] = { dtype: "F32", shape: p.shape!, data: img }));
  }
  const stem = `iter-${String(a.iteration).padStart(6, "0")}`;
  const ir = a.model.ir;
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: 1,
    iteration: a.iteration,
    epoch: a.epoch,
    epochIteration: a.epochIteration,
    specName: ir.spec.name,
    specSha256: ir.spec.sha256,
    irSha256: irHash(ir),
    tensors: `${stem}.safetensors`,
    optimizers: a.program.optimizers.map((o) => ({ t: o.t })),
    pools,
    rng: a.program.rng,
    data: a.data,
    lrScale: a.lrScale,
    losses: a.losses,
    backend: a.backend,
    savedAt: new Date().toISOString(),
  };
  writeSafetensorsFileSync(join(a.dir, manifest.tensors), tensors, { format: CHECKPOINT_FORMAT, iteration: String(a.iteration) });
  writeJsonAtomic(join(a.dir, `${stem}.json`), manifest);
  writeJsonAtomic(join(a.dir, "latest.json"), manifest);
  prune(a.dir, a.keep ?? 2);
  return manifest;
}

function prune(dir: string, keep: number): void {
  const stems = readdirSync(dir)
    .filter((f) => /^iter-\d+\.json$/.test(f))
    .map((f) => f.slice(0, -5))
    .sort();
  for (const s of stems.slice(0, Math.max(0, stems.length - keep))) {
    for (const ext of [".safetensors", ".json"]) {
      try {
        unlinkSync(join(dir, s + ext));
      } catch {
        /* already gone */
      }
    }
  }
}

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  weights: Map<string, HostTensor>;
  program: ProgramState;
}

/** Reads `<dir>/latest.json` (or a given manifest) and its tensors, checking both thoroughly. */
export function loadCheckpoint(dir: string, manifestFile = join(dir, "latest.json")): LoadedCheckpoint {
  if (!existsSync(manifestFile)) {
    throw new CheckpointError(`no checkpoint in ${dir}: ${manifestFile} does not exist (a run writes one every --checkpoint-every iterations and at the end of each epoch)`);
  }
  let manifest: CheckpointManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as CheckpointManifest;
  } catch (e) {
    throw new CheckpointError(`${manifestFile} is not valid JSON (${(e as Error).message}); the checkpoint is corrupt — use an older iter-*.json in ${dir} with --resume-from`);
  }
  if (manifest?.format !== CHECKPOINT_FORMAT || manifest.version !== 1) {
    throw new CheckpointError(`${manifestFile} is not a gancc checkpoint manifest (format ${JSON.stringify(manifest?.format)}, version ${JSON.stringify(manifest?.version)})`);
  }
  const file = join(dir, manifest.tensors);
  let contents;
  try {
    contents = readSafetensorsFileSync(file);
  } catch (e) {
    const why = e instanceof SafetensorsError ? e.message : String(e);
    throw new CheckpointError(`the checkpoint's tensors cannot be read: ${why}`);
  }
  const weights = new Map<string, HostTensor>();
  const slots = manifest.optimizers.map(() => new Map<string, HostTensor>());
  const pools: ProgramState["pools"] = {};
  for (const [id, p] of Object.entries(manifest.pools)) pools[id] = { size: p.size, swap: p.swap, shape: p.shape, images: new Array(p.count) };
  for (const [name, t] of Object.entries(contents.tensors)) {
    const data = tensorAsFloat32(contents, name, file);
    const value = { shape: t.shape, data };
    const m = /^opt(\d+)\/(.+)$/.exec(name);
    if (name.startsWith("param/")) weights.set(name.slice(6), value);
    else if (m && slots[Number(m[1])]) slots[Number(m[1])]!.set(m[2]!, value);
    else if (name.startsWith("pool/")) {
      const [, id, k] = name.split("/");
      if (!pools[id!] || Number(k) >= pools[id!]!.images.length) throw new CheckpointError(`${file}: unexpected tensor ${name}`);
      pools[id!]!.images[Number(k)] = data;
    } else throw new CheckpointError(`${file}: unexpected tensor ${name}`);
  }
  for (const [id, p] of Object.entries(pools)) {
    if (p.images.some((x) => !x)) throw new CheckpointError(`${file}: the image pool ${id} is incomplete`);
  }
  return {
    manifest,
    weights,
    program: { rng: manifest.rng, optimizers: manifest.optimizers.map((o, i) => ({ t: o.t, slots: slots[i]! })), pools },
  };
}
