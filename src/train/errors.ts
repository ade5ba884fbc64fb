/** A training run that cannot start or had to stop, with the exit code the CLI should use. */
export class TrainError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "TrainError";
  }
}
