// GAN4007: a net that no step updates keeps its initial weights.
import { type Diagnostic, diag } from "../../dsl/diagnostics.js";
import type { CheckContext } from "./context.js";

export function checkUntrainedNets(ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!ctx.trainSpan) return out;
  const updated = ctx.mentioned.nets;
  for (const n of ctx.nets) {
    if (updated.has(n.name)) continue;
    if (!n.params.some((p) => p.trainable)) continue;
    out.push(
      diag("GAN4007", `net \`${n.name}\` is never trained: no step updates it`, ctx.instanceSpans.get(n.name)!, {
        hint: `add it to a step's \`updates\` list${ctx.losses.length ? ` (losses: ${ctx.losses.map((l) => l.name).join(", ")})` : ""}`,
      }),
    );
  }
  return out;
}
