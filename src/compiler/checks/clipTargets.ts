// GAN4008: weight clipping (WGAN) belongs on critic steps; clipping a generator is a mistake.
import { type Diagnostic, diag } from "../../dsl/diagnostics.js";
import type { CheckContext } from "./context.js";

export function checkClipTargets(ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const roles = new Map(ctx.nets.map((n) => [n.name, n.role]));
  ctx.train.steps.forEach((step, i) => {
    if (!step.clip) return;
    const gens = step.updates.filter((u) => roles.get(u) !== "discriminator");
    if (!gens.length) return;
    const decl = ctx.stepDecls[i]!;
    out.push(
      diag("GAN4008", `clip(${step.clip.min}, ${step.clip.max}) would clip ${gens.map((g) => `\`${g}\``).join(", ")}, which ${gens.length === 1 ? "is not a critic" : "are not critics"}`, decl.clipSpan ?? decl.span, {
        hint: "weight clipping enforces the WGAN critic's Lipschitz bound; put `clip` on the step that updates the critics only",
      }),
    );
  });
  return out;
}
