/**
 * The layout of a heap worker's control block (an Int32Array on a SharedArrayBuffer), shared by
 * ./heap_pool.ts (main thread) and ./heap_worker.ts — a module of its own so that the worker
 * does not load the pool.
 */
export const CTL = {
  /** jobs started (bumped by the main thread to start one) */
  SEQ: 0,
  /** the last job finished (= its SEQ); −1 once the worker exited */
  DONE: 1,
  /** the job's kind, as an index into HEAP_KIND_NAMES */
  KIND: 2,
  /** the job's argument count */
  NARGS: 3,
  /** the buffers' generation the job needs */
  GEN: 4,
  /** 1: the job threw (its message is on the port) */
  ERR: 5,
  /** 1: the worker exited; 2: its code could not be loaded (the reason is on the port) */
  EXITED: 6,
  /** elements the job did */
  RESULT: 7,
  /**
   * 0: the job is one fixed share; n > 0: the job's last four numbers are (lo, hi, extent, chunk) and
   * it takes chunks [lo, hi) = [c·chunk, (c+1)·chunk) ∩ [0, extent) of its owner range, c claimed one
   * at a time from the pool's shared counter, until c ≥ n (see `claimChunks`)
   */
  CHUNKS: 8,
  /** Int32 fields in all */
  LENGTH: 9,
} as const;

/**
 * Runs `fn` on chunks of a job's owner range until none is left: each chunk index comes from one
 * Atomics.add on the shared `claim` counter, so the threads that share a job take chunks as they
 * become free (a thread slowed by another process takes fewer) instead of waiting for the slowest
 * fixed share. `args` ends with (…, lo, hi, extent, chunk) — a kind reads its own arguments and lo,
 * hi at fixed positions and ignores the rest —; lo and hi are overwritten per chunk. Chunks are
 * disjoint owner ranges, so the result is the same whoever runs which.
 */
export function claimChunks(claim: Int32Array, chunks: number, args: Float64Array, fn: (a: Float64Array) => number): number {
  const n = args.length;
  const extent = args[n - 2]!;
  const chunk = args[n - 1]!;
  let done = 0;
  for (;;) {
    const c = Atomics.add(claim, 0, 1);
    if (c >= chunks) return done;
    args[n - 4] = c * chunk;
    args[n - 3] = Math.min(extent, (c + 1) * chunk);
    done += fn(args);
  }
}
