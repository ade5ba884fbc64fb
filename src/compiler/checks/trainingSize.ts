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

/** The sizes nearest to `size` (one below, one above, up to the search limit) that every net in `nets` accepts. */
function nearestCommon(nets: readonly IrNet[], size: number): number[] {
  const ok = (s: number) => nets.every((n) => accepts(n, s));
  const out: number[] = [];
  for (let s = Math.min(size - 1, SIZE_SEARCH_LIMIT); s >= 1; s--) if (ok(s)) { out.push(s); break; }
  for (let s = size + 1; s <= SIZE_SEARCH_LIMIT; s++) if (ok(s)) { out.push(s); break; }
  return out;
}

export function checkTrainingSize(ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const imageNets = ctx.nets.filter((n) => n.input.kind === "image" && !ctx.broken.has(n.name));
  for (const net of ctx.nets) {
    if (net.input.kind !== "image") continue;
    if (accepts(net, ctx.size)) continue;
    // suggest only sizes every image network accepts (this net's nearest may fail another)
    const others = imageNets.filter((n) => n !== net);
    const own = nearest(net, ctx.size);
    const ownOk = own.every((s) => others.every((n) => accepts(n, s)));
    const near = ownOk ? own : nearestCommon([net, ...others], ctx.size);
    const span = ctx.cropSpan ?? ctx.instanceSpans.get(net.name) ?? ctx.specSpan;
    const cause = ctx.sizeErrors?.get(net.name);
    out.push(
      diag("GAN3008", `the training size ${ctx.size}×${ctx.size} is not accepted by \`${net.name}\` (${net.network}), which takes ${net.sizes.text}`, span, {
        hint: near.length ? `use ${near.join(" or ")}${ownOk ? "" : " (accepted by every network)"}` : others.length && own.length ? `no size up to ${SIZE_SEARCH_LIMIT} is accepted by every network` : undefined,
        related: cause ? [{ message: `at ${ctx.size}×${ctx.size}: ${cause.message}`, span: cause.span }] : undefined,
      }),
    );
  }
  return out;
}
