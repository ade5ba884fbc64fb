/**
 * Checkpoints of a training run: everything needed to continue exactly where it stopped.
 *
 *   <run>/checkpoints/iter-000120.safetensors   weights (`param/<IR name>`), optimizer slots
 *                                               (`opt<i>/<IR name>/<slot>`), image pools
 *                                               (`pool/<value id>/<k>`), all F32
 *   <run>/checkpoints/iter-000120.json          the manifest (below)
 *   <run>/checkpoints/latest.json               a copy of the newest manifest, written last
 *
 * Every file is written through src/io/atomic.ts (temporary name, fsync, rename, directory
 * fsync), and `latest.json` only ever names a checkpoint whose two files are complete, so a
 * crash at any moment leaves the previous checkpoint usable (test/train/kill_checkpoint.test.ts
 * kills writes at every step). Older checkpoints beyond `keep` are deleted after the new one is
 * in place. A manifest's `tensors` is a plain file name inside the checkpoints folder, nothing
 * else. Resuming (`loadNewestIntactCheckpoint`) takes the newest intact checkpoint: if
 * `latest.json` or its tensors are damaged, the newest intact `iter-*.json`; damaged files are
 * renamed `damaged-<name>`, never written over.
 */
import type { HostTensor } from "../io/tensor.js";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { basename, join } from "node:path";
import type { Ir } from "../ir/schema.js";
import type { LoaderState } from "../data/index.js";
import type { Model } from "../runtime/model.js";
import type { ProgramState } from "../runtime/program.js";
import { fsyncDir, makeDir, testKillPoint, writeFileAtomic } from "../io/atomic.js";
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
  makeDir(a.dir);
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
  const kept = stems.slice(Math.max(0, stems.length - keep));
  if (!kept.length) return;
  // every older checkpoint, and tensors files a killed prune or save left without a manifest
  const old = readdirSync(dir)
    .filter((f) => /^iter-\d+\.(json|safetensors)$/.test(f) && f.replace(/\.(json|safetensors)$/, "") < kept[0]!)
    // the manifest first: a crash in between leaves an orphan tensors file (deleted next time), never a manifest without tensors
    .sort((a, b) => (a.endsWith(".json") === b.endsWith(".json") ? a.localeCompare(b) : a.endsWith(".json") ? -1 : 1));
  for (const f of old) {
    testKillPoint("pruning", join(dir, f));
    try {
      unlinkSync(join(dir, f));
    } catch {
      /* already gone */
    }
  }
  if (old.length) fsyncDir(dir);
}

export interface LoadedCheckpoint {
  manifest: CheckpointManifest;
  weights: Map<string, HostTensor>;
  program: ProgramState;
}

/** A checkpoint's tensors file name: a plain file name in the checkpoints folder, nothing else. */
function checkTensorsName(manifestFile: string, tensors: unknown): string {
  if (typeof tensors !== "string" || tensors !== basename(tensors) || tensors.includes("\\") || tensors.startsWith(".") || !tensors.endsWith(".safetensors")) {
    throw new CheckpointError(
      `${manifestFile} names its tensors file ${JSON.stringify(tensors)}; a checkpoint's tensors must be a .safetensors file directly inside its checkpoints folder`,
    );
  }
  return tensors;
}

function checkManifest(manifestFile: string, m: unknown): CheckpointManifest {
  const c = m as Partial<CheckpointManifest> | null;
  if (typeof c !== "object" || c === null || Array.isArray(c) || c.format !== CHECKPOINT_FORMAT || c.version !== 1) {
    throw new CheckpointError(`${manifestFile} is not a gancc checkpoint manifest (format ${JSON.stringify(c?.format)}, version ${JSON.stringify(c?.version)})`);
  }
  const bad = (what: string) => new CheckpointError(`${manifestFile} is damaged: ${what}`);
  for (const k of ["iteration", "epoch", "epochIteration"] as const) if (!Number.isInteger(c[k]) || (c[k] as number) < 0) throw bad(`\`${k}\` is not a non-negative integer`);
  if (!Array.isArray(c.optimizers) || c.optimizers.some((o) => !o || !Number.isFinite(o.t))) throw bad("`optimizers` is not a list of {t}");
  if (typeof c.pools !== "object" || c.pools === null || Array.isArray(c.pools)) throw bad("`pools` is not an object");
  for (const p of Object.values(c.pools)) if (!p || !Number.isInteger(p.count) || p.count < 0) throw bad("a pool has no valid `count`");
  if (typeof c.rng !== "object" || c.rng === null) throw bad("`rng` is missing");
  if (typeof c.irSha256 !== "string") throw bad("`irSha256` is missing");
  checkTensorsName(manifestFile, c.tensors);
  return c as CheckpointManifest;
}

/** Reads `<dir>/latest.json` (or a given manifest) and its tensors, checking both thoroughly. */
export function loadCheckpoint(dir: string, manifestFile = join(dir, "latest.json")): LoadedCheckpoint {
  if (!existsSync(manifestFile)) {
    throw new CheckpointError(`no checkpoint in ${dir}: ${manifestFile} does not exist (a run writes one every --checkpoint-every iterations and at the end of each epoch)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestFile, "utf8"));
  } catch (e) {
    throw new CheckpointError(`${manifestFile} is not valid JSON (${(e as Error).message}); the checkpoint is corrupt`);
  }
  const manifest = checkManifest(manifestFile, raw);
  const file = join(dir, manifest.tensors);
  try {
    if (lstatSync(file).isSymbolicLink()) throw new CheckpointError(`the checkpoint's tensors file ${file} is a symbolic link; a checkpoint's files must be inside its checkpoints folder`);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    /* missing: reported by the read below */
  }
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
    let data: Float32Array;
    try {
      data = tensorAsFloat32(contents, name, file);
    } catch (e) {
      throw new CheckpointError(e instanceof SafetensorsError ? e.message : String(e));
    }
    const value = { shape: t.shape, data };
    const m = /^opt(\d+)\/(.+)$/.exec(name);
    if (name.startsWith("param/")) weights.set(name.slice(6), value);
    else if (m && slots[Number(m[1])]) slots[Number(m[1])]!.set(m[2]!, value);
    else if (name.startsWith("pool/")) {
      const [, id, k] = name.split("/");
      if (!Object.hasOwn(pools, id!) || !(Number(k) < pools[id!]!.images.length)) throw new CheckpointError(`${file}: unexpected tensor ${name}`);
      pools[id!]!.images[Number(k)] = data;
    } else throw new CheckpointError(`${file}: unexpected tensor ${name}`);
  }
  for (const [id, p] of Object.entries(pools)) {
    for (let k = 0; k < p.images.length; k++) if (!p.images[k]) throw new CheckpointError(`${file}: the image pool ${id} is incomplete`);
  }
  return {
    manifest,
    weights,
    program: { rng: manifest.rng, optimizers: manifest.optimizers.map((o, i) => ({ t: o.t, slots: slots[i]! })), pools },
  };
}

export interface ResumePoint extends LoadedCheckpoint {
  /** the manifest file used */
  from: string;
  /** checkpoints that were tried first and could not be used, newest first, with why */
  skipped: { file: string; why: string }[];
  /** damaged files moved aside (renamed to `damaged-<name>`), so that no new checkpoint writes over them */
  movedAside: string[];
}

/**
 * The newest intact checkpoint in `dir`: `latest.json` if it and its tensors are intact, else
 * the newest `iter-*.json` that is. Damaged files are renamed to `damaged-<name>` (kept for
 * inspection, never written over); `skipped` says what was wrong with each one tried.
 * Undefined when `dir` holds no checkpoint at all (a run stopped before its first one).
 */
export function loadNewestIntactCheckpoint(dir: string): ResumePoint | undefined {
  const skipped: ResumePoint["skipped"] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    /* reported below */
  }
  const stems = names.filter((f) => /^iter-\d+\.json$/.test(f)).sort().reverse();
  const candidates = [...(names.includes("latest.json") ? ["latest.json"] : []), ...stems];
  if (!candidates.length) return undefined;
  const damaged = new Set<string>();
  for (const c of candidates) {
    const file = join(dir, c);
    try {
      const loaded = loadCheckpoint(dir, file);
      const movedAside: string[] = [];
      for (const d of damaged) {
        // the intact checkpoint's own files stay where they are
        if (d === loaded.manifest.tensors || d === `${loaded.manifest.tensors.replace(/\.safetensors$/, "")}.json`) continue;
        if (!existsSync(join(dir, d))) continue;
        let aside = join(dir, `damaged-${d}`);
        if (existsSync(aside)) aside = join(dir, `damaged-${Date.now()}-${d}`);
        renameSync(join(dir, d), aside);
        movedAside.push(aside);
      }
      if (movedAside.length) fsyncDir(dir);
      return { ...loaded, from: file, skipped, movedAside };
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      skipped.push({ file, why: e.message });
      damaged.add(c);
      // its tensors too, when the manifest names a plain file here
      try {
        const t = (JSON.parse(readFileSync(file, "utf8")) as { tensors?: unknown }).tensors;
        if (typeof t === "string" && t === basename(t) && t.endsWith(".safetensors") && !t.startsWith(".")) damaged.add(t);
      } catch {
        /* unreadable manifest: nothing more to move */
      }
    }
  }
  throw new CheckpointError(
    `no intact checkpoint in ${dir}:\n${skipped.map((s) => `  ${basename(s.file)}: ${s.why}`).join("\n")}\nNothing can be resumed; start a new run (another --out).`,
  );
}
