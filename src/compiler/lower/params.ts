// `param` declarations: evaluated in order, with `--set` overrides from the command line.
import type { Expr, Ident } from "../../dsl/ast.js";
import { type Diagnostic, diag, didYouMeanHint, syntheticSpan } from "../../dsl/diagnostics.js";
import { numberRangeError } from "../../dsl/lexer.js";
import { markRootEnv } from "../elaborate.js";
import type { Scalar } from "../../ir/schema.js";
import { emptyRecord } from "../names.js";
import { Env, evaluate } from "../values.js";

/** Parses a `--set` value: numbers, booleans, and anything else as a string. */
export function parseSetValue(raw: string | number | boolean): Scalar {
  if (typeof raw !== "string") return raw;
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim())) return Number(raw);
  return raw;
}

/** Evaluates spec parameters in order, applying `--set` overrides. */
export function lowerParams(params: Map<string, { name: Ident; value: Expr }>, set: Record<string, string | number | boolean>, diags: Diagnostic[], file: string) {
  const env = new Env();
  markRootEnv(env);
  const values = emptyRecord<Scalar>();
  const overrides = emptyRecord<Scalar>();
  const cli = syntheticSpan("<command line>");
  for (const name of Object.keys(set)) {
    if (!params.has(name)) {
      diags.push(
        diag("GAN2016", `\`--set ${name}\`: the spec declares no parameter \`${name}\``, cli, {
          hint: didYouMeanHint(name, params.keys()) ?? `declared parameters: ${[...params.keys()].join(", ") || "none"}`,
        }),
      );
    }
  }
  for (const [name, p] of params) {
    let v = evaluate(p.value, env, diags);
    if (Object.hasOwn(set, name)) {
      const o = parseSetValue(set[name]!);
      const range = typeof o === "number" && typeof set[name] === "string" ? numberRangeError(set[name].trim().replace(/^[-+]/, "")) : undefined;
      if (range || (typeof o === "number" && !Number.isFinite(o))) {
        diags.push(diag("GAN6002", `\`--set ${name}=${String(set[name])}\`: ${range?.message ?? "the number is out of range"}`, cli, { hint: range?.hint }));
        env.poison(name);
        continue;
      }
      if (v !== undefined && typeof v !== typeof o) {
        diags.push(diag("GAN6002", `\`--set ${name}=${String(set[name])}\`: \`${name}\` is ${typeof v === "number" ? "a number" : typeof v === "boolean" ? "a boolean" : "a string"} (declared at ${file}:${p.name.span.line})`, cli));
      } else {
        v = o;
        overrides[name] = o;
      }
    }
    if (v === undefined || typeof v === "object") {
      if (v !== undefined) diags.push(diag("GAN2013", `parameter \`${name}\` must be a number, boolean or string`, p.value.span));
      env.poison(name);
      continue;
    }
    env.set(name, v);
    values[name] = v;
  }
  return { env, values, overrides };
}
