// The `init` section and a net's `init:`: a weight initialiser from INITS.
import type { Expr } from "../../dsl/ast.js";
import type { Diagnostic } from "../../dsl/diagnostics.js";
import type { IrInit } from "../../ir/schema.js";
import { INITS } from "../tables.js";
import type { Env } from "../values.js";
import { bindCall, plain } from "./call.js";

export function initOf(e: Expr | undefined, env: Env, diags: Diagnostic[]): IrInit {
  const dflt: IrInit = { kind: "normal", mean: 0, std: 0.02 };
  if (!e) return dflt;
  const b = bindCall(INITS, "initialiser", e, env, diags, "GAN2021");
  return b ? ({ kind: b.name, ...plain(b.values) } as IrInit) : dflt;
}
