// GAN4003: every net a step updates must receive gradient from that step's loss.
// GAN4004: a term of a step's loss that gives gradient to none of its nets is dead weight.
import { type Diagnostic, diag } from "../../dsl/diagnostics.js";
import type { CheckContext } from "./context.js";

export function checkGradientRouting(ctx: CheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const values = new Map(ctx.values.map((v) => [v.id, v]));
  const uses = (id: string, net: string, seen = new Set<string>()): boolean => {
    if (seen.has(id)) return false;
    seen.add(id);
    const v = values.get(id)!;
    if (v.op === "apply" && v.attrs.net === net) return true;
    return v.inputs.some((i) => uses(i, net, seen));
  };
  ctx.train.steps.forEach((step, i) => {
    const decl = ctx.stepDecls[i]!;
    const loss = ctx.losses.find((l) => l.name === step.loss);
    if (!loss || ctx.incompleteLosses.has(loss.name)) return;
    const grads = new Set(loss.terms.flatMap((t) => values.get(t.value)!.grads));
    for (const u of step.updates) {
      if (grads.has(u)) continue;
      const span = decl.updates.find((x) => x.name === u)!.span;
      const detached = loss.terms.some((t) => uses(t.value, u));
      out.push(
        diag("GAN4003", `step \`${step.loss}\` updates \`${u}\`, but no term of loss \`${step.loss}\` gives it gradient`, span, {
          hint: detached
            ? `\`${u}\` is only used inside detach(…) or pool(…) there, which stop the gradient`
            : `loss \`${step.loss}\` never applies \`${u}\`; remove it from this step or add a term that uses it`,
        }),
      );
    }
    const decls = ctx.lossDecls.get(loss.name);
    for (const t of loss.terms) {
      const g = values.get(t.value)!.grads;
      if (g.some((n) => step.updates.includes(n))) continue;
      const span = decls?.terms.find((x) => x.name.name === t.name)?.span ?? decl.span;
      out.push(
        diag("GAN4004", `term \`${t.name}\` of loss \`${loss.name}\` gives no gradient to ${step.updates.map((n) => `\`${n}\``).join(", ")} (updated by its step)`, span, {
          hint: g.length ? `it only reaches ${g.join(", ")}` : "everything in it is data or detached; it only shifts the logged loss",
        }),
      );
    }
  });
  return out;
}
