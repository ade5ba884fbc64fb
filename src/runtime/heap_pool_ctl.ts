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
  /** Int32 fields in all */
  LENGTH: 8,
} as const;
