/**
 * Which nets the trainer treats as generators (sample grids, held-out metric): every
 * image → image net that is not a critic, decided by the IR's input and output kinds alone.
 * The channel count plays no part: a grayscale `image[1] -> image[1]` translator is a
 * generator like an RGB one. (The compiler's `IrNet.role` calls such a net "other" when its
 * output has one channel, so it is not used here except to exclude discriminators.)
 */
import type { Ir, IrNet } from "../ir/schema.js";

export function isImageGenerator(net: IrNet): boolean {
  return net.role !== "discriminator" && net.input.kind === "image" && net.output.kind === "image";
}

/** The names of the IR's image → image generators. */
export function imageGenerators(ir: Ir): Set<string> {
  return new Set(ir.nets.filter(isImageGenerator).map((n) => n.name));
}
