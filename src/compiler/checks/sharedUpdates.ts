// GAN4010: a net updated by two steps. Each step has its own optimizer (and state), so the
// net takes two updates per iteration with separate moment estimates. That is legitimate
// (e.g. separate real and fake discriminator steps) but usually one step whose loss sums
// both terms is meant, hence a warning, not an error. No shipped spec does it.
import { type Diagnostic, diag } from "../../dsl/diagnostics.js";
import type { CheckContext } from "./context.js";

export function checkSharedUpdates(ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const first = new Map<string, number>();
  ctx.train.steps.forEach((step, i) => {
    for (const net of new Set(step.updates)) {
      const j = first.get(net);
      if (j === undefined) {
        first.set(net, i);
        continue;
      }
      const decl = ctx.stepDecls[i]!;
      const prev = ctx.stepDecls[j]!;
      const at = decl.updates.find((u) => u.name === net)?.span ?? decl.span;
      out.push(
        diag("GAN4010", `\`${net}\` is updated by two steps, \`${prev.loss.name}\` and \`${decl.loss.name}\`, each with its own optimizer`, at, {
          hint: `if one update per iteration is meant, sum the two losses in one step; separate steps keep separate optimizer states for \`${net}\``,
          related: [{ message: `\`${net}\` is first updated here`, span: prev.updates.find((u) => u.name === net)?.span ?? prev.span }],
        }),
      );
    }
  });
  return out;
}
