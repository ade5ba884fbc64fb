// GAN4008: weight clipping (WGAN) belongs on critic steps; clipping a generator is a mistake.
import { type Diagnostic, diag } from "../../dsl/diagnostics.js";
import type { CheckContext } from "./context.js";

export function checkClipTargets(ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const roles = new Map(ctx.nets.map((n) => [n.name, n.role]));
  ctx.train.steps.forEach((step, i) => {
    if (!step.clip) return;
    const decl = ctx.stepDecls[i]!;
    // a net no GAN criterion judges (a hand-written WGAN `mean(D(x))`): the criterion is missing
    const unjudged = step.updates.filter((u) => roles.get(u) === "other");
    if (unjudged.length) {
      const u = unjudged[0]!;
      const names = unjudged.map((n) => `\`${n}\``).join(", ");
      out.push(
        diag("GAN4002", `${names} ${unjudged.length === 1 ? "is" : "are"} clipped like a WGAN critic, but no GAN criterion is applied to ${unjudged.length === 1 ? "its output" : "their outputs"}`, decl.clipSpan ?? decl.span, {
          hint: `write the critic's loss with the criterion, \`wgan(${u}(x), real)\` and \`wgan(${u}(fake), fake)\`, not \`mean(${u}(x))\`: a net is a critic when a criterion judges its output`,
        }),
      );
    }
    const gens = step.updates.filter((u) => roles.get(u) === "generator");
    if (!gens.length) return;
    out.push(
      diag("GAN4008", `clip(${step.clip.min}, ${step.clip.max}) would clip ${gens.map((g) => `\`${g}\``).join(", ")}, which ${gens.length === 1 ? "is not a critic" : "are not critics"}`, decl.clipSpan ?? decl.span, {
        hint: "weight clipping enforces the WGAN critic's Lipschitz bound; put `clip` on the step that updates the critics only",
      }),
    );
  });
  return out;
}
