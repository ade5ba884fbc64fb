/**
 * vitest global setup: assembles the SIMD heap loops (src/runtime/kernels/heap_simd.wat, with
 * scripts/build-heap-simd.mjs) so that the tests run the current .wat, not a binary left over
 * from an earlier build.
 */
// @ts-expect-error a plain .mjs build script, without types
import { buildHeapSimd } from "../scripts/build-heap-simd.mjs";

export default async function setup(): Promise<void> {
  await (buildHeapSimd as (o: { quiet: boolean }) => Promise<void>)({ quiet: true });
}
