// The `train` section: its settings (TRAIN_SETTINGS, schedule, pool) and steps, with n_critic applied.
import type { Span, StepDecl, TrainDecl } from "../../dsl/ast.js";
import { type Diagnostic, diag, didYouMeanHint } from "../../dsl/diagnostics.js";
import { criticOnlySteps } from "../checks/nCritic.js";
import type { IrLoss, IrNet, IrSchedule, IrStep, IrTrain } from "../../ir/schema.js";
import { SCHEDULES, TRAIN_SETTINGS } from "../tables.js";
import { type Env, type Value, bindArgs, evaluateArg } from "../values.js";
import { bindCall, plain } from "./call.js";
import { lowerStep } from "./step.js";

export interface LoweredTrain {
  train: IrTrain;
  /** the AST of each lowered step, aligned with train.steps */
  steps: StepDecl[];
  /** where each train setting is given */
  settingSpans: Map<string, Span>;
}

/** `nets` are the lowered nets with their roles set: n_critic multiplies the repeat of each step that updates only critics. */
export function lowerTrain(t: TrainDecl | undefined, env: Env, losses: Map<string, IrLoss>, nets: IrNet[], broken: Set<string>, diags: Diagnostic[]): LoweredTrain {
  const vals = new Map<string, Value>();
  const settingSpans = new Map<string, Span>();
  let schedule: IrSchedule = { kind: "constant" };
  let pool = { size: 0, swap: 0.5 };
  const netNames = new Set(nets.map((n) => n.name));
  const steps: IrStep[] = [];
  const stepDecls: StepDecl[] = [];
  for (const item of t?.items ?? []) {
    if (item.kind === "StepDecl") {
      const s = lowerStep(item, env, losses, netNames, broken, diags);
      if (s) {
        steps.push(s);
        stepDecls.push(item);
      }
      continue;
    }
    const key = item.key.name;
    const spec = TRAIN_SETTINGS[key];
    if (!spec) {
      diags.push(diag("GAN2012", `unknown train setting \`${key}\``, item.key.span, { hint: didYouMeanHint(key, Object.keys(TRAIN_SETTINGS)) ?? `train settings: ${Object.keys(TRAIN_SETTINGS).join(", ")}` }));
      continue;
    }
    if (settingSpans.has(key)) {
      diags.push(diag("GAN2006", `train setting \`${key}\` is given twice`, item.key.span));
      continue;
    }
    settingSpans.set(key, item.span);
    if (key === "schedule") {
      const b = bindCall(SCHEDULES, "schedule", item.value, env, diags, "GAN4016");
      if (b) schedule = { kind: b.name as IrSchedule["kind"], ...plain(b.values) };
      continue;
    }
    if (key === "pool") {
      if (item.value.kind === "Call" && item.value.callee.name === "pool") {
        const b = bindArgs(
          { what: "`pool`", params: [{ name: "size", type: "int", min: 0 }, { name: "swap", type: "number", min: 0, default: 0.5 }] },
          item.value.args,
          item.value.span,
          env,
          diags,
        );
        if (b.ok) pool = { size: b.values.get("size") as number, swap: b.values.get("swap") as number };
      } else {
        const v = evaluateArg({ name: "pool", type: "int", min: 0 }, item.value, env, diags, "train setting `pool`");
        if (typeof v === "number") pool = { size: v, swap: 0.5 };
      }
      continue;
    }
    const v = evaluateArg(spec, item.value, env, diags, `train setting \`${key}\``);
    if (v !== undefined) vals.set(key, v);
  }
  const num = (k: string) => (vals.get(k) ?? TRAIN_SETTINGS[k]!.default) as number;
  const epochs = num("epochs");
  if (schedule.kind === "linear_decay" && (schedule.after ?? 0) >= epochs) {
    diags.push(diag("GAN4016", `linear_decay(after: ${schedule.after}) starts decaying after the last epoch (${epochs})`, settingSpans.get("schedule")!, { hint: "`after` must be smaller than `epochs`" }));
  }
  // a set n_critic without a critic-only step is GAN4009 (checkNCritic)
  if (settingSpans.has("n_critic")) for (const s of criticOnlySteps(steps, nets)) s.repeat *= num("n_critic");
  const train: IrTrain = { epochs, batch: num("batch"), seed: num("seed"), schedule, pool, steps };
  return { train, steps: stepDecls, settingSpans };
}
