/**
 * Where the style score's classifier comes from when none is given: specs/domain_classifier.gan,
 * trained by the ordinary runner (`train`, the same as `gancc train`) on the run's own training
 * split, and cached so that every run on the same data is judged by the same classifier (scores
 * of two runs are comparable only then).
 *
 * The cache is `<cache>/classifiers/<key>/`, a normal gancc run directory (index.html, metrics,
 * weights.safetensors), where <cache> is $GANCC_CACHE, else $XDG_CACHE_HOME/gancc, else
 * ~/.cache/gancc. Not under the dataset: the embedded emoji data ships inside the npm package
 * (read-only once installed), and a cache there would be packed and show in `git status`.
 * <key> hashes the classifier spec's text, its --set values, the dataset's layout and direction,
 * and the bytes of every training image, so changed data or a changed spec trains a new one.
 * A run is trained in `<key>.tmp-<pid>` and renamed into place when finished, so a killed
 * training leaves no half classifier that looks cached.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { compileSource } from "../compiler/compile.js";
import { hasErrors, renderDiagnostics } from "../dsl/diagnostics.js";
import type { Ir } from "../ir/schema.js";
import { IR_VERSION } from "../ir/enums.js";
import { loadWeights } from "../io/weights.js";
import { makeDir, publishDir } from "../io/atomic.js";
import { DataError, openDataset } from "../data/index.js";
import type { ProgressStream } from "../report/index.js";
import { train } from "./trainer.js";
import { StyleError, type TrainedClassifier } from "./style.js";

/** The shipped classifier spec (specs/ sits two levels above both src/train and dist/train). */
export const CLASSIFIER_SPEC = fileURLToPath(new URL("../../specs/domain_classifier.gan", import.meta.url));

/** Classifiers judge at most this size: a bigger run's images are downscaled for them (time, not accuracy, grows with size). */
export const MAX_CLASSIFIER_SIZE = 64;

export function defaultCacheDir(): string {
  const env = process.env;
  if (env.GANCC_CACHE) return resolve(env.GANCC_CACHE);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), ".cache"), "gancc");
}

export interface ClassifierFor {
  /** the dataset root the run trains on */
  data: string;
  /** the run's IR: its domains, layout, direction and crop size */
  runIr: Ir;
  /** default: defaultCacheDir() */
  cacheDir?: string;
  /** default: CLASSIFIER_SPEC */
  spec?: string;
  /** extra --set values for the classifier spec (tests: fewer epochs) */
  set?: Record<string, string>;
  backend: { name: string; reason: string };
  /** the classifier's training progress (default: stderr) */
  stream?: ProgressStream;
  onWarning?: (msg: string) => void;
}

/**
 * The classifier for a run's data: the cached one, or one trained now (about a minute of CPU at
 * 32² on 2 cores). Returns it with its run directory and whether it was cached.
 */
export async function classifierFor(o: ClassifierFor): Promise<TrainedClassifier & { runDir: string; cached: boolean }> {
  const specPath = o.spec ?? CLASSIFIER_SPEC;
  const specText = readFileSync(specPath, "utf8");
  const [a, b] = o.runIr.data.domains;
  if (!a || !b || o.runIr.data.domains.length !== 2) {
    throw new StyleError(`a style score needs a run with two data domains; ${o.runIr.spec.name} has ${o.runIr.data.domains.length} (${o.runIr.data.domains.map((d) => d.name).join(", ")})`);
  }
  const size = Math.min(o.runIr.data.crop, MAX_CLASSIFIER_SIZE);
  const set = { size: String(size), ...o.set };
  const compiled = compileSource(specText, specPath, { set });
  if (!compiled.ir || hasErrors(compiled.diagnostics)) {
    throw new StyleError(`the classifier spec has errors:\n${renderDiagnostics(compiled.diagnostics, new Map([[specPath, compiled.source]]), { color: false })}`);
  }
  const ir: Ir = compiled.ir;
  // the classifier reads the run's dataset the way the run does (folders, halves, direction)
  const names = ir.data.domains.map((d) => d.name);
  if (names.join() !== [a.name, b.name].join()) {
    throw new StyleError(`the classifier spec ${specPath} has domains ${names.join(", ")}, the run ${a.name}, ${b.name}; a classifier must use the run's domain names`);
  }
  // the classifier reads the run's dataset the way the run does (folders, halves, direction),
  // but resized whole, as its spec says: trained on the run's random crops instead (resize to
  // 36, crop 32 on the emoji), it was measured less accurate on the run's test images (0.60–0.67
  // balanced against 0.78–0.79, 50 + 50 emoji)
  const run = o.runIr.data;
  ir.data = { ...ir.data, layout: run.layout, direction: run.direction, domains: run.domains };

  let dataset;
  try {
    dataset = await openDataset(o.data, ir.data, { split: "train", verify: false });
  } catch (e) {
    if (e instanceof DataError) throw new StyleError(`cannot train the style classifier on ${o.data}: ${e.message}`);
    throw e;
  }
  const h = createHash("sha256");
  h.update(JSON.stringify({ ir: IR_VERSION, specText, set, data: ir.data }));
  for (const d of dataset.domains) for (const img of d.images) h.update(`${d.name}\0${img.rel}\0`).update(readFileSync(img.path));
  const key = h.digest("hex").slice(0, 16);
  const dir = join(o.cacheDir ?? defaultCacheDir(), "classifiers", key);
  const weightsFile = join(dir, "weights.safetensors");

  let cached = existsSync(weightsFile);
  if (!cached) {
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    makeDir(join(dir, ".."));
    await train({ ir, specText, source: specPath, data: o.data, runDir: tmp, backend: o.backend, stream: o.stream, onWarning: o.onWarning, samples: 0, config: { set, purpose: "style classifier" } });
    if (existsSync(weightsFile)) rmSync(tmp, { recursive: true, force: true }); // another process finished first
    else {
      rmSync(dir, { recursive: true, force: true }); // a killed earlier attempt's leftovers
      publishDir(tmp, dir);
    }
  } else cached = true;
  const w = await loadWeights(weightsFile);
  return { ir: w.ir ?? ir, weights: w.tensors as Map<string, import("../io/tensor.js").HostTensor>, from: dir, runDir: dir, cached };
}
