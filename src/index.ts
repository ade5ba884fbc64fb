/**
 * gancc's public API, for scripts and apps (the CLI is built on the same functions).
 *
 *   import * as gancc from "gancc";
 *   await gancc.useBackend("auto");                       // tensorflow > webgpu (hardware GPU) > wasm > cpu
 *   const { ir } = gancc.compileSpecFile("specs/cyclegan.gan", { set: { ngf: 16, size: 32 } });
 *   const model = gancc.createModel(ir!);                 // or: await gancc.loadModel("runs/x")
 *   const losses = await model.trainStep({ A, B });       // one iteration: { generator: { gan_A, … }, … }
 *   const fake = model.run("G_AB", A);                     // NHWC float32 in [-1, 1]
 *   await gancc.saveModel(model, "weights.safetensors");
 *   const png = await gancc.translateImage(model, "G_AB", "in.png");
 *
 * Layout at this boundary: images are tf.Tensor4D [N, H, W, C] (NHWC), float32 in [-1, 1];
 * weights use the IR's stable names (`G_AB/res3/conv1/kernel`) and gancc layouts (conv HWIO,
 * conv-transpose HWOI). Generated bindings (`gancc compile --emit ts`) type `run`/`trainStep`
 * for one spec: `bind(model)`.
 */
import { readFileSync } from "node:fs";
import type * as tf from "@tensorflow/tfjs";
import { compileSource, type CompileOptions, type CompileResult } from "./compiler/compile.js";
import type { Ir } from "./ir/schema.js";
import { isIrPath, loadSpecOrIr } from "./compiler/load.js";
import { renderDiagnostics, type Diagnostic } from "./dsl/diagnostics.js";
import { selectBackend, type BackendKind, type BackendOptions, type BackendSelection } from "./runtime/backend.js";
import { imageFileToTensor, tensorToPng } from "./apply/images.js";
import { Model, type ModelOptions } from "./runtime/model.js";
import { loadTrained } from "./apply/trained.js";
import { saveWeights } from "./io/weights.js";

export type { Ir } from "./ir/schema.js";
export type { Diagnostic } from "./dsl/diagnostics.js";
export { Model, type ModelOptions } from "./runtime/model.js";
export type { HostTensor } from "./io/tensor.js";
export { Net } from "./runtime/net.js";
export { TrainingProgram, NonFiniteLossError, type Batch, type IterationResult, type MemoryOptions } from "./runtime/program.js";
export { train, type TrainOptions, type TrainResult } from "./train/trainer.js";
export { trainTorch, type TorchTrainOptions, type TorchTrainResult } from "./torch/launch.js";
export { TrainError } from "./train/errors.js";
export { evaluateRun, type RunEvaluation } from "./train/eval_run.js";
export { StyleJudge, StyleError, classifierRoles, evaluateStyle, type StyleResult, type TrainedClassifier } from "./train/style.js";
export { classifierFor } from "./train/style_classifier.js";
export { importTorchNet, exportTorchNet, loadWeights, saveWeights, WeightsError } from "./io/weights.js";
export { readSafetensorsFile, writeSafetensorsFile } from "./io/safetensors.js";
export { selectBackend, type BackendKind, type BackendOptions, type BackendSelection } from "./runtime/backend.js";
export { readIr, validateIr } from "./ir/validate.js";
export { loadSpecOrIr, FileReadError, SourceOptionsError, type LoadedSource } from "./compiler/load.js";
export { loadTrained, TrainedModelError, type TrainedModel } from "./apply/trained.js";
export { translateFolder, TranslateError, type TranslateFolderOptions, type TranslateFolderResult } from "./apply/translate.js";
export { readTorchStateDict, writeTorchStateDict, TorchFileError } from "./io/torch_files.js";
export type { TorchStateDict } from "./io/torch_names.js";
export { exportWeb, ExportError, type ExportWebOptions, type ExportWebResult, type WeightsDtype } from "./export/web.js";
export { serveDirectory, ServeError, type StaticServer } from "./export/serve.js";

/** Compiles spec text; `ir` is undefined when there are errors (see `diagnostics`, `formatDiagnostics`). */
export function compileSpec(text: string, file = "<spec>", opts: CompileOptions = {}): CompileResult {
  return compileSource(text, file, opts);
}

export function compileSpecFile(path: string, opts: CompileOptions = {}): CompileResult {
  return compileSource(readFileSync(path, "utf8"), path, opts);
}

/** Diagnostics as the CLI prints them (file:line:col, message, code frame, hint). */
export function formatDiagnostics(r: CompileResult, color = false): string {
  return renderDiagnostics(r.diagnostics as Diagnostic[], new Map([[r.source.path, r.source]]), { color });
}

/**
 * Selects and initialises a tfjs backend (and gancc's kernel fixes); call once before anything else.
 * `opts.threads`: the wasm backend's kernel threads (default: the core count, at most 8; 1 = single-threaded);
 * the selection's `threads` is what it got, and `warning` says why when that is fewer.
 */
export function useBackend(kind: BackendKind = "auto", opts: BackendOptions = {}): Promise<BackendSelection> {
  return selectBackend(kind, opts);
}

/** Instantiates the IR's nets (initialised from its seed, or from `opts.weights`). */
export function createModel(ir: Ir, opts: ModelOptions = {}): Model {
  return new Model(ir, opts);
}

/**
 * A model from a path: a gancc weights file (with its IR) or a run directory (its final weights,
 * else its latest checkpoint), trained; or a `.gan` spec / IR `.json`, freshly initialised.
 * Throws FileReadError, SourceOptionsError, TrainedModelError or WeightsError, or an Error listing
 * a spec's errors.
 */
export async function loadModel(path: string, opts: { nets?: string[]; set?: CompileOptions["set"] } = {}): Promise<Model> {
  if (isIrPath(path) || path.endsWith(".gan")) {
    const r = loadSpecOrIr(path, { set: opts.set });
    if (!r.ir) throw new Error(r.error ?? renderDiagnostics(r.diagnostics, new Map(r.source ? [[r.source.path, r.source]] : []), { color: false }));
    return new Model(r.ir, { nets: opts.nets });
  }
  const t = await loadTrained(path);
  return new Model(t.ir, { nets: opts.nets, weights: t.weights });
}

/** Writes every net's weights, with the IR, as a gancc weights file. */
export async function saveModel(model: Model, path: string): Promise<void> {
  await saveWeights(path, { ir: model.ir, tensors: await model.read() });
}

/** An image file as a [1, size, size, C] tensor in [-1, 1] for `net`'s input (RGBA flattened on white). */
export function imageTensor(model: Model, net: string, path: string, size = model.ir.data.crop): Promise<tf.Tensor4D> {
  return imageFileToTensor(path, model.net(net).ir.input.channels, size);
}

export { tensorToPng } from "./apply/images.js";

/** Runs `net` (evaluation mode) on an image file; returns the output as PNG bytes. */
export async function translateImage(model: Model, net: string, path: string, size?: number): Promise<Buffer> {
  const x = await imageTensor(model, net, path, size);
  const y = model.run(net, x);
  x.dispose();
  try {
    return await tensorToPng(y);
  } finally {
    y.dispose();
  }
}
