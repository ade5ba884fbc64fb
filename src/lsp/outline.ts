// The outline (document symbols) and the inlay hints (each layer's output shape at the end
// of its line).
import { type DocumentSymbol, type InlayHint, InlayHintKind, type Range, SymbolKind } from "vscode-languageserver";
import type * as A from "../dsl/ast.js";
import type { Analysis } from "./analysis.js";
import { positionAt, rangeOf, showShape } from "./convert.js";
import type { Model } from "./model.js";
import { layerUses } from "./shapes.js";

function sym(a: Analysis, name: string, kind: SymbolKind, node: { span: A.Span }, sel: { span: A.Span }, detail?: string, children?: DocumentSymbol[]): DocumentSymbol {
  const s: DocumentSymbol = { name: name || "?", kind, range: rangeOf(a.source, node.span), selectionRange: rangeOf(a.source, sel.span) };
  if (detail) s.detail = detail;
  if (children?.length) s.children = children;
  return s;
}

const src = (a: Analysis, s: A.Span) => a.text.slice(s.start, s.end).replace(/\s+/g, " ");

export function documentSymbols(a: Analysis): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const d of a.spec?.decls ?? []) {
    switch (d.kind) {
      case "ParamDecl":
        out.push(sym(a, d.name.name, SymbolKind.Constant, d, d.name, `= ${src(a, d.value.span)}`));
        break;
      case "InitDecl":
        out.push(sym(a, "init", SymbolKind.Property, d, d, src(a, d.value.span)));
        break;
      case "BlockDecl":
        out.push(sym(a, d.name.name, SymbolKind.Function, d, d.name, `block(${d.params.map((p) => p.name.name).join(", ")})${d.form ? ` ${d.form}` : ""}`));
        break;
      case "NetworkDecl":
        out.push(sym(a, d.name.name, SymbolKind.Class, d, d.name, `network: ${src(a, d.input.span)} -> ${src(a, d.output.span)}`));
        break;
      case "NetsDecl":
        out.push(
          sym(a, "nets", SymbolKind.Namespace, d, d, undefined, d.nets.map((n) => sym(a, n.name.name, SymbolKind.Object, n, n.name, `${n.network.name}(…)`))),
        );
        break;
      case "DataDecl":
        out.push(
          sym(
            a,
            "data",
            SymbolKind.Namespace,
            d,
            d,
            undefined,
            d.items.map((i) => (i.kind === "DomainDecl" ? sym(a, i.name.name, SymbolKind.EnumMember, i, i.name, `domain: ${src(a, i.type.span)}`) : sym(a, i.key.name, SymbolKind.Property, i, i.key, src(a, i.value.span)))),
          ),
        );
        break;
      case "LossDecl":
        out.push(
          sym(a, d.name.name, SymbolKind.Event, d, d.name, `loss, ${d.terms.length} term${d.terms.length === 1 ? "" : "s"}`, d.short ? [] : d.terms.map((t) => sym(a, t.name.name, SymbolKind.Field, t, t.name, src(a, t.value.span).slice(0, 80)))),
        );
        break;
      case "TrainDecl":
        out.push(
          sym(
            a,
            "train",
            SymbolKind.Namespace,
            d,
            d,
            undefined,
            d.items.map((i) => (i.kind === "StepDecl" ? sym(a, `step ${i.loss.name}`, SymbolKind.Method, i, i.loss, `updates ${i.updates.map((u) => u.name).join(", ")}`) : sym(a, i.key.name, SymbolKind.Property, i, i.key, src(a, i.value.span)))),
          ),
        );
        break;
    }
  }
  return out;
}

/** The shapes of a layer's uses, as short text: `64×64×256`, or `64×64×256 | 128×128×128` when uses differ. */
function shapesText(m: Model, layer: A.Layer): string | undefined {
  const shapes = [...new Set(layerUses(m, layer).map((u) => showShape(u.output)))];
  if (!shapes.length) return undefined;
  return shapes.length > 3 ? `${shapes.slice(0, 3).join(" | ")} | …` : shapes.join(" | ");
}

/**
 * One hint per line of a network or block body that ends a layer: the output shape of the
 * last layer ending on that line, placed at the end of the line.
 */
export function inlayHints(a: Analysis, m: Model, range: Range): InlayHint[] {
  const byLine = new Map<number, A.Layer[]>();
  for (const { layer } of m.layers) {
    if (layer.kind === "If") continue;
    const line = layer.span.endLine;
    if (line - 1 < range.start.line || line - 1 > range.end.line) continue;
    byLine.set(line, [...(byLine.get(line) ?? []), layer]);
  }
  const hints: InlayHint[] = [];
  for (const [line, layers] of [...byLine].sort((x, y) => x[0] - y[0])) {
    // the layer that ends last on the line (a `repeat { … }` has no shape of its own: then the last layer inside it)
    layers.sort((x, y) => y.span.end - x.span.end || x.span.start - y.span.start);
    let text: string | undefined;
    for (const l of layers) if ((text = shapesText(m, l))) break;
    if (!text) continue;
    const lineText = a.source.lineText(line);
    const end = positionAt(a.source, (a.source.lineStarts[line - 1] ?? 0) + lineText.length);
    hints.push({ position: end, label: `→ ${text}`, kind: InlayHintKind.Type, paddingLeft: true });
  }
  return hints;
}
