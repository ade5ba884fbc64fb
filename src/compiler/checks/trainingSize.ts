// GAN3008: the declared training size must be one every image network accepts.
import { type Diagnostic, diag } from "../../dsl/diagnostics.js";
import { SIZE_SEARCH_LIMIT } from "../elaborate.js";
import type { IrNet } from "../../ir/schema.js";
import type { CheckContext } from "./context.js";

export function accepts(net: IrNet, size: number): boolean {
  const r = net.sizes;
  if (r.irregular) return size <= SIZE_SEARCH_LIMIT ? r.irregular.includes(size) : false;
  if (r.step === 0) return size === r.min && r.min > 0;
  return size >= r.min && (size - r.min) % r.step === 0;
}

function nearest(net: IrNet, size: number): number[] {
  const r = net.sizes;
  if (r.step <= 0 || r.irregular) return [];
  if (size < r.min) return [r.min];
  const k = Math.max(0, Math.floor((size - r.min) / r.step));
  return [r.min + k * r.step, r.min + (k + 1) * r.step].filter((s) => s !== size && s >= r.min);
}

export function checkTrainingSize(ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const net of ctx.nets) {
    if (net.input.kind !== "image") continue;
    if (accepts(net, ctx.size)) continue;
    const near = nearest(net, ctx.size);
    const span = ctx.cropSpan ?? ctx.instanceSpans.get(net.name) ?? ctx.specSpan;
    const cause = ctx.sizeErrors?.get(net.name);
    out.push(
      diag("GAN3008", `the training size ${ctx.size}×${ctx.size} is not accepted by \`${net.name}\` (${net.network}), which takes ${net.sizes.text}`, span, {
        hint: near.length ? `use ${near.join(" or ")}` : undefined,
        related: cause ? [{ message: `at ${ctx.size}×${ctx.size}: ${cause.message}`, span: cause.span }] : undefined,
      }),
    );
  }
  return out;
}
