// Networks and blocks no net uses: still elaborated and checked for unknown layers.
import type { BlockDecl, Layer, NetInstance, NetworkDecl } from "../../dsl/ast.js";
import { type Diagnostic, diag, didYouMeanHint } from "../../dsl/diagnostics.js";
import { elaborateNetwork } from "../elaborate.js";
import { OPS } from "../ops.js";
import { Env, evaluate } from "../values.js";

/**
 * Networks no net instantiates are still checked (with their default arguments), and a
 * layer name no block or op defines is reported even in a block nobody calls.
 */
export function checkUninstantiated(
  instances: NetInstance[],
  networks: Map<string, NetworkDecl>,
  blocks: Map<string, BlockDecl>,
  env: Env,
  size: number,
  diags: Diagnostic[],
): void {
  const used = new Set(instances.map((n) => n.network.name));
  for (const [name, decl] of networks) {
    if (used.has(name)) continue;
    diags.push(diag("GAN2020", `network \`${name}\` is never instantiated`, decl.name.span, { hint: `add \`nets { X = ${name}() }\`, or remove it` }));
    if (decl.params.some((p) => !p.default)) continue;
    const nenv = new Env(env);
    for (const p of decl.params) {
      const v = evaluate(p.default!, env, diags);
      if (v !== undefined) nenv.set(p.name.name, v);
    }
    elaborateNetwork(name, decl, nenv, size, { blocks, diags });
  }
  const known = (n: string) => n in OPS || blocks.has(n);
  const walk = (layers: Layer[]) => {
    for (const l of layers) {
      if (l.kind === "LayerCall") {
        if (!known(l.callee.name)) {
          diags.push(
            diag("GAN2003", `unknown layer \`${l.callee.name}\``, l.callee.span, {
              hint: didYouMeanHint(l.callee.name, [...Object.keys(OPS), ...blocks.keys()]) ?? "declare it with `block`, or see `gancc ops` for the built-in layers",
            }),
          );
        }
      } else if (l.kind === "If") {
        walk(l.then);
        walk(l.else ?? []);
      } else walk(l.body);
    }
  };
  for (const b of blocks.values()) walk(b.body);
}
