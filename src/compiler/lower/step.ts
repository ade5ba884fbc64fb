// A `step` of the train section: a loss, the nets it updates, their optimizer, repeat and clip.
import type { StepDecl } from "../../dsl/ast.js";
import { type Diagnostic, diag, didYouMeanHint } from "../../dsl/diagnostics.js";
import type { IrLoss, IrOptimizer, IrStep } from "../../ir/schema.js";
import { irSpan } from "../ir.js";
import { OPTIMIZERS } from "../tables.js";
import { type Env, bindArgs, coerce, evaluate } from "../values.js";
import { bindCall, plain } from "./call.js";

export function lowerStep(s: StepDecl, env: Env, losses: Map<string, IrLoss>, netNames: Set<string>, broken: Set<string>, diags: Diagnostic[]): IrStep | undefined {
  let ok = true;
  if (!losses.has(s.loss.name)) {
    diags.push(diag("GAN4005", `step uses an unknown loss \`${s.loss.name}\``, s.loss.span, { hint: didYouMeanHint(s.loss.name, losses.keys()) ?? `losses: ${[...losses.keys()].join(", ") || "none declared"}` }));
    ok = false;
  }
  const updates: string[] = [];
  for (const u of s.updates) {
    if (broken.has(u.name)) ok = false;
    else if (!netNames.has(u.name)) {
      diags.push(diag("GAN2010", `step updates an unknown net \`${u.name}\``, u.span, { hint: didYouMeanHint(u.name, netNames) ?? `nets: ${[...netNames].join(", ")}` }));
      ok = false;
    } else if (updates.includes(u.name)) {
      diags.push(diag("GAN2006", `\`${u.name}\` is listed twice`, u.span));
    } else updates.push(u.name);
  }
  const opt = bindCall(OPTIMIZERS, "optimizer", s.optimizer, env, diags, "GAN2022");
  let repeat = 1;
  if (s.repeat) {
    const v = evaluate(s.repeat, env, diags);
    const c = v === undefined ? undefined : coerce(v, { name: "repeat", type: "int", min: 1 }, "`step`", s.repeat.span, diags);
    if (c === undefined) ok = false;
    else repeat = c as number;
  }
  let clip: IrStep["clip"];
  if (s.clip) {
    const b = bindArgs({ what: "`clip`", params: [{ name: "min", type: "number" }, { name: "max", type: "number" }] }, s.clip, s.clipSpan ?? s.span, env, diags);
    if (!b.ok) ok = false;
    else {
      const [min, max] = [b.values.get("min") as number, b.values.get("max") as number];
      if (min >= max) {
        diags.push(diag("GAN2013", `clip(${min}, ${max}): the lower bound must be below the upper bound`, s.clipSpan ?? s.span));
        ok = false;
      } else clip = { min, max };
    }
  }
  if (!opt || !ok) return undefined;
  const optimizer = { kind: opt.name, ...plain(opt.values) } as IrOptimizer;
  const step: IrStep = { loss: s.loss.name, updates, optimizer, repeat, span: irSpan(s.span) };
  if (clip) step.clip = clip;
  return step;
}
