// GAN4015: a loss that no step minimises is never used.
import { type Diagnostic, diag } from "../../dsl/diagnostics.js";
import type { CheckContext } from "./context.js";

export function checkUnusedLosses(ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (!ctx.trainSpan) return out;
  const used = ctx.mentioned.losses;
  for (const [name, decl] of ctx.lossDecls) {
    if (used.has(name)) continue;
    out.push(diag("GAN4015", `loss \`${name}\` is never used by a step`, decl.name.span, { hint: `add \`step ${name} updates … with …\` to \`train\`, or remove it` }));
  }
  return out;
}
