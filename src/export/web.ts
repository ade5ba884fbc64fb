/**
 * `gancc export --web`: one trained net as a folder a static host can serve as it is:
 *
 *   index.html            the page (choose/drop an image, input and output side by side, backend, ms)
 *   model.js, model.d.ts  the typed ES module: load(url?) → { translate, run, backend, inputSize, … }
 *   gancc-runtime.js      the inference runtime (no gancc Node code; see runtime_js.ts)
 *   model.json            the net's nodes and the weights manifest
 *   weights.bin           the weights, float16 (default) or float32, fetched once
 *   importmap.json        the import map, for apps that load model.js from their own page
 *   vendor/               tfjs from node_modules (see vendor.ts)
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import type { TrainedModel } from "../apply/trained.js";
import { makeDir, writeFileAtomic } from "../io/atomic.js";
import { IMPORT_MAP, NODE_STUB, indexHtml } from "./page.js";
import { RUNTIME_JS } from "./runtime_js.js";
import { modelDts, modelJs } from "./types.js";
import { copyVendor } from "./vendor.js";
import { ExportError, packWeights, type WeightsDtype } from "./weights.js";

export interface ExportWebOptions {
  /** the net to export, e.g. "G_AB" */
  net: string;
  /** the folder to write (created; files in it are replaced) */
  out: string;
  /** weights precision (default float16: half the bytes; see the README for the accuracy) */
  dtype?: WeightsDtype;
}

export interface ExportWebResult {
  out: string;
  /** written files, relative to out, with their sizes in bytes */
  files: { path: string; bytes: number }[];
  weightsBytes: number;
  dtype: WeightsDtype;
  inputSize: number;
}

/** Writes the web export of `trained`'s net `o.net` to `o.out`; throws ExportError for unusable input. */
export function exportWeb(trained: TrainedModel, o: ExportWebOptions): ExportWebResult {
  const { ir, weights, from } = trained;
  const dtype = o.dtype ?? "float16";
  const net = ir.nets.find((n) => n.name === o.net);
  if (!net) throw new ExportError(`no net \`${o.net}\` in ${from} (nets: ${ir.nets.map((n) => n.name).join(", ")})`);
  if (net.input.kind !== "image" || net.output.kind !== "image") {
    throw new ExportError(`\`${o.net}\` maps ${net.input.kind} → ${net.output.kind}; --web exports nets that map images to images (e.g. a generator)`);
  }
  const crop = ir.data.crop;
  const { manifest, bin } = packWeights(net, weights, dtype);
  for (const d of [o.out, join(o.out, "vendor")]) {
    try {
      makeDir(d);
    } catch (e) {
      throw new ExportError(`cannot create ${d} (-o must be a folder on a normal disk): ${(e as Error).message}`);
    }
  }
  const spec = `${ir.spec.name} (${ir.spec.file}, sha256 ${ir.spec.sha256.slice(0, 12)}), weights ${from}`;
  const written: string[] = [];
  const write = (rel: string, data: string | Uint8Array) => {
    writeFileAtomic(join(o.out, rel), data);
    written.push(rel);
  };
  write("weights.bin", bin);
  write("model.json", JSON.stringify(manifest) + "\n");
  write("gancc-runtime.js", RUNTIME_JS);
  write("model.js", modelJs(net, crop, spec));
  write("model.d.ts", modelDts(net, crop, spec));
  write("importmap.json", JSON.stringify(IMPORT_MAP, null, 1) + "\n");
  write("index.html", indexHtml(`${ir.spec.name}: ${net.name}`, net.name, crop));
  const vendor = copyVendor(join(o.out, "vendor"));
  written.push(...vendor.files.map((f) => join("vendor", f)));
  write(join("vendor", "node-stub.js"), NODE_STUB);
  write(join("vendor", "README.txt"), vendor.readme);
  const files = written.map((path) => ({ path, bytes: statSync(join(o.out, path)).size }));
  return { out: o.out, files, weightsBytes: bin.length, dtype, inputSize: crop };
}

export { ExportError, type WeightsDtype } from "./weights.js";
