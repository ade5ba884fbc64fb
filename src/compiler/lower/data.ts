// The `data` section: image domains and the loader's settings (DATA_SETTINGS).
import type { DataDecl, Span } from "../../dsl/ast.js";
import { type Diagnostic, diag, didYouMeanHint } from "../../dsl/diagnostics.js";
import { typeShape } from "../elaborate.js";
import type { IrData } from "../../ir/schema.js";
import { channels } from "../ops.js";
import { DATA_SETTINGS } from "../tables.js";
import { type Env, type Value, evaluateArg, isSym } from "../values.js";

export interface LoweredData {
  data: IrData;
  /** where `crop` is set (GAN3008 points there) */
  cropSpan?: Span;
  domainSpans: Map<string, Span>;
}

export function lowerData(d: DataDecl | undefined, env: Env, diags: Diagnostic[]): LoweredData {
  const vals = new Map<string, Value>();
  const spans = new Map<string, Span>();
  const domains: IrData["domains"] = [];
  const domainSpans = new Map<string, Span>();
  for (const item of d?.items ?? []) {
    if (item.kind === "DomainDecl") {
      if (domainSpans.has(item.name.name)) {
        diags.push(diag("GAN2002", `domain \`${item.name.name}\` is declared twice`, item.name.span));
        continue;
      }
      const s = typeShape(item.type, env, 1, diags);
      if (!s) continue;
      if (s.kind !== "image") {
        diags.push(diag("GAN2013", "a data domain is an `image[C]`", item.type.span));
        continue;
      }
      domains.push({ name: item.name.name, channels: channels(s) });
      domainSpans.set(item.name.name, item.name.span);
      continue;
    }
    const spec = DATA_SETTINGS[item.key.name];
    if (!spec) {
      diags.push(diag("GAN2012", `unknown data setting \`${item.key.name}\``, item.key.span, { hint: didYouMeanHint(item.key.name, Object.keys(DATA_SETTINGS)) ?? `data settings: ${Object.keys(DATA_SETTINGS).join(", ")}` }));
      continue;
    }
    if (vals.has(spec.name)) {
      diags.push(diag("GAN2006", `data setting \`${spec.name}\` is given twice`, item.key.span));
      continue;
    }
    const v = evaluateArg(spec, item.value, env, diags, `data setting \`${spec.name}\``);
    if (v !== undefined) {
      vals.set(spec.name, v);
      spans.set(spec.name, item.value.span);
    }
  }
  const get = <T>(k: string): T => {
    const v = vals.get(k) ?? DATA_SETTINGS[k]!.default;
    return (isSym(v) ? v.sym : v) as T;
  };
  const crop = get<number>("crop");
  const data: IrData = {
    layout: get("layout"),
    domains,
    preprocess: get("preprocess"),
    load: (vals.get("load") as number | undefined) ?? crop,
    crop,
    flip: get("flip"),
    direction: get("direction"),
  };
  if (data.load < data.crop && (data.preprocess === "resize_and_crop" || data.preprocess === "scale_width_and_crop")) {
    diags.push(diag("GAN2013", `load size ${data.load} is smaller than the crop size ${data.crop}`, spans.get("load") ?? spans.get("crop") ?? d!.span, { hint: "images are resized to `load`, then cropped to `crop`; use load ≥ crop" }));
  }
  return { data, cropSpan: spans.get("crop"), domainSpans };
}
