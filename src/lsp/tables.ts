// The compiler's tables, as the editor shows them: signatures, argument lists and docs.
import { LOSS_FUNCTIONS } from "../compiler/losses.js";
import { OPS } from "../compiler/ops.js";
import { DATA_SETTINGS, INITS, OPTIMIZERS, SCHEDULES, TRAIN_SETTINGS } from "../compiler/tables.js";
import { type ArgSpec, showValue } from "../compiler/values.js";
import type { ArgTable } from "./model.js";

export { showValue, signature } from "../compiler/values.js";

const POOL_ARGS: ArgSpec[] = [
  { name: "size", type: "int", min: 0, doc: "images kept (0 = off)" },
  { name: "swap", type: "number", min: 0, default: 0.5, doc: "probability of returning a stored image instead of the new one" },
];

/** The entry a callee names in a table: its doc and its arguments. */
export function tableEntry(table: ArgTable, name: string): { doc: string; args: readonly ArgSpec[]; variadic?: boolean } | undefined {
  const own = <T>(t: Record<string, T>) => (Object.hasOwn(t, name) ? t[name] : undefined);
  switch (table) {
    case "op":
      return own(OPS);
    case "optimizer":
      return own(OPTIMIZERS);
    case "schedule":
      return own(SCHEDULES);
    case "init":
      return own(INITS);
    case "pool":
      return name === "pool" ? { doc: "an image pool of generated images for the discriminators", args: POOL_ARGS } : undefined;
    case "builtin":
      return undefined;
  }
}

export function lossFunctionDoc(name: string): string | undefined {
  return Object.hasOwn(LOSS_FUNCTIONS, name) ? LOSS_FUNCTIONS[name]!.doc : undefined;
}

export function settingSpec(section: "data" | "train", name: string): ArgSpec | undefined {
  const t = section === "data" ? DATA_SETTINGS : TRAIN_SETTINGS;
  return Object.hasOwn(t, name) ? t[name] : undefined;
}

export function typeText(a: ArgSpec): string {
  const t = a.type;
  if (typeof t === "object") return t.enum.join(" | ");
  return t;
}

/** One line per argument: `stride: int = 1 — doc`. */
export function argLines(args: readonly ArgSpec[]): string[] {
  return args.map((a) => `- \`${a.name}\`: ${typeText(a)}${a.default === undefined ? " (required)" : ` = ${showValue(a.default)}`}${a.doc ? ` — ${a.doc}` : ""}`);
}
