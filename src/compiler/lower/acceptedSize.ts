// A net that fails to elaborate at the training size, elaborated again at a size it accepts.
import type { BlockDecl, NetworkDecl } from "../../dsl/ast.js";
import { type Diagnostic, hasErrors } from "../../dsl/diagnostics.js";
import { describeSizes, elaborateNetwork, searchSizes, typeShape } from "../elaborate.js";
import type { Env } from "../values.js";

type Elaborated = NonNullable<ReturnType<typeof elaborateNetwork>>;
type OutShape = NonNullable<ReturnType<typeof typeShape>>;

/**
 * A net whose elaboration at the training size failed is elaborated again at the nearest
 * size it accepts (its layer structure does not depend on the size, so the size search
 * can run on the failed node list). When that succeeds and the net's sizes follow a
 * divisibility rule, the errors were the training size's fault alone and are reported as
 * one GAN3008 with the rule (checkTrainingSize), the first of them as a note, instead of
 * as a shape error deep inside (a U-Net at 200×200: "feature map 0×0" at the innermost conv).
 */
export function elaborateAtAcceptedSize(
  instance: string,
  decl: NetworkDecl,
  env: Env,
  size: number,
  failed: Elaborated,
  outShape: OutShape,
  blocks: Map<string, BlockDecl>,
): { r: Elaborated; outShape: OutShape; diags: Diagnostic[] } | undefined {
  if (failed.inputShape.kind !== "image") return undefined;
  const { accepted } = searchSizes(failed.nodes, outShape.kind === "image");
  if (!accepted.length || accepted.includes(size)) return undefined;
  // only a divisibility rule ("multiples of 256"); a layer too large for the map ("any
  // size ≥ 36") is better shown at that layer
  const rule = describeSizes(accepted);
  if (rule.step <= 1 || rule.irregular) return undefined;
  const probe = accepted.find((s) => s > size) ?? accepted[accepted.length - 1]!;
  const diags: Diagnostic[] = [];
  const r = elaborateNetwork(instance, decl, env, probe, { blocks, diags });
  const o = r && typeShape(decl.output, env, probe, diags);
  if (!r || !o || hasErrors(diags)) return undefined;
  // the node list at the probe size must be the one the search ran on
  if (r.nodes.length !== failed.nodes.length || r.nodes.some((n, i) => n.id !== failed.nodes[i]!.id)) return undefined;
  return { r, outShape: o, diags };
}
