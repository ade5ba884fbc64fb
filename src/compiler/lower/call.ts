// Binding a call to a table entry (an optimizer, schedule or initialiser) and its arguments.
import { emptyRecord } from "../names.js";
import type { Arg, Expr, Span } from "../../dsl/ast.js";
import { type Diagnostic, diag, didYouMeanHint } from "../../dsl/diagnostics.js";
import { type ArgSpec, type Env, type Value, bindArgs } from "../values.js";

export function bindCall(table: Record<string, { args: ArgSpec[] }>, kind: string, e: Expr, env: Env, diags: Diagnostic[], code: "GAN2021" | "GAN2022" | "GAN4016"): { name: string; values: Map<string, Value> } | undefined {
  let name: string;
  let args: readonly Arg[] = [];
  let nameSpan: Span;
  if (e.kind === "Name") {
    name = e.name;
    nameSpan = e.span;
  } else if (e.kind === "Call") {
    name = e.callee.name;
    args = e.args;
    nameSpan = e.callee.span;
  } else {
    diags.push(diag(code, `expected ${kind} like ${Object.keys(table)[0]}(…)`, e.span));
    return undefined;
  }
  const entry = table[name];
  if (!entry) {
    diags.push(diag(code, `unknown ${kind} \`${name}\``, nameSpan, { hint: didYouMeanHint(name, Object.keys(table)) ?? `${kind}s: ${Object.keys(table).join(", ")}` }));
    return undefined;
  }
  const b = bindArgs({ what: `${kind} \`${name}\``, params: entry.args }, args, e.span, env, diags);
  return b.ok ? { name, values: b.values } : undefined;
}

/** The numeric arguments of a bound call, as IR attributes. */
export function plain(values: Map<string, Value>): Record<string, number> {
  const o = emptyRecord<number>();
  for (const [k, v] of values) if (typeof v === "number") o[k] = v;
  return o;
}
