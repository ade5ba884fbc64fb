// GAN4015: a loss that no step minimises is never used.
import { diag } from "../../dsl/diagnostics.js";
import type { CheckContext } from "./index.js";

export function checkUnusedLosses(ctx: CheckContext): void {
  if (!ctx.trainSpan) return;
  const used = ctx.mentioned.losses;
  for (const [name, decl] of ctx.lossDecls) {
    if (used.has(name)) continue;
    ctx.diags.push(diag("GAN4015", `loss \`${name}\` is never used by a step`, decl.name.span, { hint: `add \`step ${name} updates … with …\` to \`train\`, or remove it` }));
  }
}
