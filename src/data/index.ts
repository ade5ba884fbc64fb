/**
 * The training data pipeline: open a dataset folder for the IR's data section, then draw
 * batches from a DataLoader. See dataset.ts (layouts, errors), preprocess.ts (the official
 * CycleGAN geometry), decode.ts (pixels and channels), loader.ts (order, prefetch, resume).
 * The dataset builders (the bundled emoji set, sans ↔ serif glyphs) are in src/datasets.
 */
export { DataError, type WarningSink } from "./errors.js";
export { type Channels, type DecodedImage, decodeImage } from "./decode.js";
export { type Mode, type PreprocessOptions, type Size, type Transform, outputSize, planTransform, resizedSize } from "./preprocess.js";
export { type Dataset, type DatasetOptions, type DomainImages, type ImageRef, type Split, domainSides, expectedLayout, openDataset } from "./dataset.js";
export { type Batch, DataLoader, type LoaderOptions, type LoaderState, type Shape } from "./loader.js";
export { IMAGE_EXTENSIONS } from "./scan.js";
