/**
 * Errors and warnings of the data pipeline.
 *
 * A `DataError` is a problem with the user's data that stops training before it starts
 * (or, for a file that changed on disk mid-run, at the batch that needs it). Its message
 * says which path is wrong, what is wrong with it and what to do. `code` is the
 * diagnostic code where one exists (src/dsl/diagnostics.ts: GAN5001 folder missing or
 * empty, GAN5003 image smaller than the crop size); the CLI prints it.
 *
 * Warnings (a file that is not a readable image, skipped) never go to the console from
 * here: the caller passes `onWarning(message)`.
 */

export type DataErrorCode = "GAN5001" | "GAN5003";

export class DataError extends Error {
  override name = "DataError";
  readonly code: DataErrorCode | undefined;
  constructor(message: string, code?: DataErrorCode) {
    super(message);
    this.code = code;
  }
}

export type WarningSink = (message: string) => void;

/** "a, b, c and 4 more" — a few names out of a possibly long list. */
export function listSome(names: readonly string[], max = 5): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}
