/**
 * Applying a trained image→image net to a folder: every image is converted to the net's input
 * channels (RGBA flattened on white), resized, translated, and written as PNG next to its input,
 * with an `index.html` of the pairs. `gancc translate` and the public API call this.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { IMAGE_EXTENSIONS } from "../data/index.js";
import { makeDir, writeFileAtomic } from "../io/atomic.js";
import { writeTranslatePage } from "../report/index.js";
import { Model } from "../runtime/model.js";
import { imageFileToTensor, tensorToPng } from "./images.js";
import type { TrainedModel } from "./trained.js";

/** The folder, the net or the images cannot be used; the message says why. */
export class TranslateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TranslateError";
  }
}

export interface TranslateFolderOptions {
  /** the net to apply, e.g. "G_AB" */
  net: string;
  input: string;
  output: string;
  /** resize inputs to size×size (default: the spec's training crop) */
  size?: number;
  /** eval: running batch-norm statistics and no dropout (default); train: batch statistics and dropout */
  mode?: "eval" | "train";
  /** the backend's name, for the page */
  backend?: string;
  /** called once the inputs are found */
  onStart?: (info: { files: number; size: number }) => void;
  /** an image that could not be read (it is skipped) */
  onWarning?: (message: string) => void;
}

export interface TranslateFolderResult {
  pairs: { name: string; input: string; output: string }[];
  skipped: number;
  /** the written index.html */
  page: string;
  size: number;
}

/** Translates every image in `o.input` with the trained model's net `o.net`; throws TranslateError for unusable input. */
export async function translateFolder(trained: TrainedModel, o: TranslateFolderOptions): Promise<TranslateFolderResult> {
  const { ir, weights, from } = trained;
  const mode = o.mode ?? "eval";
  const net = ir.nets.find((n) => n.name === o.net);
  if (!net) throw new TranslateError(`no net \`${o.net}\` in ${from} (nets: ${ir.nets.map((n) => n.name).join(", ")})`);
  if (net.input.kind !== "image" || net.output.kind !== "image") throw new TranslateError(`\`${o.net}\` does not map images to images`);
  const size = o.size ?? ir.data.crop;
  if (!existsSync(o.input) || !statSync(o.input).isDirectory()) throw new TranslateError(`--input ${o.input} is not a folder`);
  const files = readdirSync(o.input).filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())).sort();
  if (!files.length) throw new TranslateError(`no images in ${o.input} (looked for ${IMAGE_EXTENSIONS.join(" ")})`);
  try {
    makeDir(join(o.output, "images"));
  } catch (e) {
    throw new TranslateError(`cannot create ${join(o.output, "images")} (--output must be a folder on a normal disk): ${(e as Error).message}`);
  }
  o.onStart?.({ files: files.length, size });
  const model = new Model(ir, { nets: [o.net], weights });
  const pairs: TranslateFolderResult["pairs"] = [];
  let skipped = 0;
  try {
    for (const f of files) {
      let x;
      try {
        x = await imageFileToTensor(join(o.input, f), net.input.channels, size);
      } catch (e) {
        o.onWarning?.(`skipped ${join(o.input, f)}: ${(e as Error).message}`);
        skipped++;
        continue;
      }
      const y = model.run(o.net, x, { training: mode === "train" });
      const stem = basename(f, extname(f));
      const inPath = join("images", `${stem}_input.png`);
      const outPath = join("images", `${stem}_${o.net}.png`);
      try {
        writeFileAtomic(join(o.output, inPath), await tensorToPng(x));
        writeFileAtomic(join(o.output, outPath), await tensorToPng(y));
      } finally {
        tf.dispose([x, y]);
      }
      pairs.push({ name: f, input: inPath, output: outPath });
    }
  } finally {
    model.dispose();
  }
  const page = writeTranslatePage(o.output, pairs, {
    title: `${ir.spec.name}: ${o.net}`,
    outputLabel: o.net,
    info: { spec: `${ir.spec.name} (${ir.spec.sha256.slice(0, 12)})`, weights: from, mode, size: `${size}×${size}` },
  });
  return { pairs, skipped, page, size };
}
