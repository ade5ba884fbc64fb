/**
 * The loops the heap worker pool (./heap_pool.ts) can run, by name ("kinds"), each as one function
 * of the wasm heap and a job's numeric arguments — the same function on the main thread (share 0)
 * and on every worker (./heap_worker.ts).
 *
 * Why numbers only: a job is handed to a worker through a shared Float64Array (no postMessage, no
 * structured clone: ~10 µs instead of ~40–100 µs per job), so tensors travel as heap offsets in
 * float32 elements, and −1 stands for "none". A kind's last two arguments are its share [lo, hi)
 * of the job's split dimension (channels, rows), except `flat`, whose share is its packed ranges.
 *
 * Nothing here imports tfjs at runtime (nor do the loop modules), so that a worker loads it in
 * milliseconds. A view outside the heap is an internal error: it would silently come out short.
 */
import type { IrOptimizer } from "../ir/schema.js";
import { col2imAdd, im2colTapsTransposed, unpackConvGeom } from "./kernels/heap_loops.js";
import { normBackward, normForward, type NormGeom } from "./kernels/norm_fused.js";
import { FLAT_RULES, type FlatPart, runFlatPart } from "./optim_flat.js";

/** One kind: runs its share on `heap` (a view of the current heap buffer); returns the elements it did. */
export type HeapKindFn = (heap: Float32Array, args: Float64Array, aux: SharedArrayBuffer | undefined) => number;

/** `len` elements of the heap at `at` (float32 elements); null for −1. */
function view(heap: Float32Array, at: number, len: number, what: string): Float32Array | null {
  if (at < 0) return null;
  if (at + len > heap.length) throw new Error(`internal: heap job: ${what} [${at}, ${at + len}) lies outside the heap (${heap.length})`);
  return heap.subarray(at, at + len);
}
const must = (v: Float32Array | null, what: string): Float32Array => {
  if (v == null) throw new Error(`internal: heap job: no ${what}`);
  return v;
};

/** The optimizer config's fields in a fixed order (undefined travels as NaN). */
const OPT_FIELDS = ["lr", "beta1", "beta2", "eps", "decay", "momentum", "weight_decay"] as const;
const OPT_KINDS = Object.keys(FLAT_RULES) as IrOptimizer["kind"][];
/** Numbers before the packed ranges of a `flat` job: kind, OPT_FIELDS, lr, t. */
export const FLAT_HEADER = 1 + OPT_FIELDS.length + 2;

/** A flat optimizer part as a `flat` job's arguments. */
export function packFlatPart(part: FlatPart): Float64Array {
  const a = new Float64Array(FLAT_HEADER + part.ranges.length);
  a[0] = OPT_KINDS.indexOf(part.config.kind);
  OPT_FIELDS.forEach((k, i) => (a[1 + i] = part.config[k] ?? Number.NaN));
  a[FLAT_HEADER - 2] = part.lr;
  a[FLAT_HEADER - 1] = part.t;
  a.set(part.ranges, FLAT_HEADER);
  return a;
}

function unpackFlatPart(a: Float64Array): FlatPart {
  const kind = OPT_KINDS[a[0]!];
  if (kind === undefined) throw new Error(`internal: heap job: optimizer kind #${a[0]}`);
  const config = { kind } as IrOptimizer;
  OPT_FIELDS.forEach((k, i) => {
    if (!Number.isNaN(a[1 + i]!)) config[k] = a[1 + i]!;
  });
  return { config, lr: a[FLAT_HEADER - 2]!, t: a[FLAT_HEADER - 1]!, ranges: a.subarray(FLAT_HEADER) };
}

const normGeomAt = (a: Float64Array, at: number): NormGeom => ({ n: a[at]!, p: a[at + 1]!, c: a[at + 2]!, perSample: a[at + 3] === 1 });

export const HEAP_KINDS = {
  /** nothing: the pool's own round trip (latency measurements) */
  noop: () => 0,

  /** the flat optimizer update (./optim_flat.ts) of the packed ranges; aux: the slot buffer */
  flat: (heap, a, aux) => {
    if (aux == null) throw new Error("internal: heap job: flat update without a slot buffer");
    return runFlatPart(unpackFlatPart(a), heap, new Float32Array(aux));
  },

  /** [col, dxT, geometry…, t0, g, c0, c1]: col2imAdd over input channels [c0, c1) */
  col2im: (heap, a) => {
    const G = unpackConvGeom(a, 2);
    const [t0, g, c0, c1] = [a[13]!, a[14]!, a[15]!, a[16]!];
    const p = G.n * G.ho * G.wo;
    col2imAdd(must(view(heap, a[0]!, g * G.ci * p, "col"), "col"), must(view(heap, a[1]!, G.ci * G.n * G.h * G.w, "dxT"), "dxT"), G, t0, g, c0, c1);
    return (c1 - c0) * g * p;
  },

  /** [xt, colT, geometry…, t0, g, r0, r1]: im2colTapsTransposed of rows [r0, r1) */
  im2colT: (heap, a) => {
    const G = unpackConvGeom(a, 2);
    const [t0, g, r0, r1] = [a[13]!, a[14]!, a[15]!, a[16]!];
    const p = G.n * G.ho * G.wo;
    im2colTapsTransposed(must(view(heap, a[0]!, G.ci * G.n * G.h * G.w, "xt"), "xt"), must(view(heap, a[1]!, g * G.ci * p, "colT"), "colT"), G, t0, g, r0, r1);
    return (r1 - r0) * p;
  },

  /** [x, gamma, beta, y, xhat, rstd, mean, variance, n, p, c, perSample, eps, k0, k1]: normForward of channels [k0, k1) */
  normForward: (heap, a) => {
    const g = normGeomAt(a, 8);
    const [eps, k0, k1] = [a[12]!, a[13]!, a[14]!];
    const size = g.n * g.p * g.c;
    const stats = (g.perSample ? g.n : 1) * g.c;
    const v = (i: number, len: number, what: string) => view(heap, a[i]!, len, what);
    normForward(must(v(0, size, "x"), "x"), v(1, g.c, "gamma"), v(2, g.c, "beta"), g, eps, {
      y: must(v(3, size, "y"), "y"),
      xhat: v(4, size, "xhat"),
      rstd: must(v(5, stats, "rstd"), "rstd"),
      mean: v(6, stats, "mean"),
      variance: v(7, stats, "variance"),
    }, k0, k1);
    return (k1 - k0) * g.n * g.p;
  },

  /** [dy, xhat, rstd, gamma, dx, dgamma, dbeta, n, p, c, perSample, k0, k1]: normBackward of channels [k0, k1) */
  normBackward: (heap, a) => {
    const g = normGeomAt(a, 7);
    const [k0, k1] = [a[11]!, a[12]!];
    const size = g.n * g.p * g.c;
    const stats = (g.perSample ? g.n : 1) * g.c;
    const v = (i: number, len: number, what: string) => view(heap, a[i]!, len, what);
    normBackward(must(v(0, size, "dy"), "dy"), must(v(1, size, "xhat"), "xhat"), must(v(2, stats, "rstd"), "rstd"), v(3, g.c, "gamma"), g, {
      dx: must(v(4, size, "dx"), "dx"),
      dgamma: v(5, g.c, "dgamma"),
      dbeta: v(6, g.c, "dbeta"),
    }, k0, k1);
    return (k1 - k0) * g.n * g.p;
  },
} satisfies Record<string, HeapKindFn>;

export type HeapKind = keyof typeof HEAP_KINDS;
/** Kinds by number (how a job names its kind in the control block). */
export const HEAP_KIND_NAMES = Object.keys(HEAP_KINDS) as HeapKind[];
