// GAN4009: `n_critic` repeats the critic steps; it needs a step that updates only critics.
// This check also applies it: each critic-only step's repeat count is multiplied by n_critic.
import { diag } from "../../dsl/diagnostics.js";
import type { CheckContext } from "./index.js";

export function checkNCritic(ctx: CheckContext): void {
  const span = ctx.trainSettingSpans.get("n_critic");
  if (!span) return;
  const roles = new Map(ctx.nets.map((n) => [n.name, n.role]));
  const criticSteps = ctx.train.steps.filter((s) => s.updates.length && s.updates.every((u) => roles.get(u) === "discriminator"));
  if (!criticSteps.length) {
    ctx.diags.push(
      diag("GAN4009", "`n_critic` is set, but no step updates only critics", span, {
        hint: "n_critic repeats the steps that update discriminators/critics; a net is a critic when a GAN criterion (wgan, lsgan, …) is applied to its output",
      }),
    );
    return;
  }
  for (const s of criticSteps) s.repeat *= ctx.nCritic;
}
