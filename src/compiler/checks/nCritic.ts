// GAN4009: `n_critic` repeats the critic steps; it needs a step that updates only critics.
// The train lowering applies it (src/compiler/lower/train.ts); this check only reports.
import { type Diagnostic, diag } from "../../dsl/diagnostics.js";
import type { IrNet, IrStep } from "../../ir/schema.js";
import type { CheckContext } from "./context.js";

/** The steps n_critic repeats: those that update only critics (nets with the discriminator role). */
export function criticOnlySteps<S extends IrStep>(steps: readonly S[], nets: readonly IrNet[]): S[] {
  const roles = new Map(nets.map((n) => [n.name, n.role]));
  return steps.filter((s) => s.updates.length && s.updates.every((u) => roles.get(u) === "discriminator"));
}

export function checkNCritic(ctx: CheckContext): Diagnostic[] {
  const span = ctx.trainSettingSpans.get("n_critic");
  if (!span) return [];
  if (criticOnlySteps(ctx.train.steps, ctx.nets).length) return [];
  if (!ctx.nets.some((n) => n.role === "discriminator")) {
    return [
      diag("GAN4002", "`n_critic` is set, but no GAN criterion is applied to any net's output, so no net is a critic", span, {
        hint: "write the critic's loss with a criterion, e.g. `wgan(D(x), real)` and `wgan(D(fake), fake)`, not `mean(D(x))`",
      }),
    ];
  }
  return [
    diag("GAN4009", "`n_critic` is set, but no step updates only critics", span, {
      hint: "n_critic repeats the steps that update discriminators/critics; a net is a critic when a GAN criterion (wgan, lsgan, …) is applied to its output",
    }),
  ];
}
