// The compiler's modules depend one way: the driver (compile.ts) → the lowering (lower/) →
// the checks (checks/) and the analysis modules (elaborate, losses, values, …). A check reads
// the lowered program; it never imports the lowering or the driver.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = "src/compiler";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

/** The src/compiler modules `file` imports or re-exports from (`import type` too), as paths relative to src/compiler. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?:[^;]*?\s+from\s+)?"([^"]+)";?$/gms)) {
    if (!m[1]!.startsWith(".")) continue;
    const target = relative(ROOT, join(dirname(file), m[1]!.replace(/\.js$/, ".ts")));
    if (!target.startsWith("..")) out.push(target);
  }
  return out;
}

const ALL = files(ROOT).map((f) => relative(ROOT, f));
const CHECKS = ALL.filter((f) => f.startsWith("checks/"));
const LOWER = ALL.filter((f) => f.startsWith("lower/"));

describe("src/compiler dependency direction", () => {
  it("finds the modules and their imports", () => {
    expect(CHECKS).toContain("checks/index.ts");
    expect(LOWER).toContain("lower/train.ts");
    expect(imports(join(ROOT, "compile.ts"))).toEqual(expect.arrayContaining(["checks/index.ts", "lower/train.ts"]));
  });

  it.each(CHECKS)("%s imports neither the driver nor the lowering", (f) => {
    const bad = imports(join(ROOT, f)).filter((t) => t === "compile.ts" || t.startsWith("lower/"));
    expect(bad).toEqual([]);
  });

  it.each(LOWER)("%s does not import the driver", (f) => {
    expect(imports(join(ROOT, f))).not.toContain("compile.ts");
  });

  it("has no import cycle (type-only imports included)", () => {
    const graph = new Map(ALL.map((f) => [f, imports(join(ROOT, f))]));
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...path.slice(path.indexOf(f)), f].join(" → "));
        return;
      }
      state.set(f, "open");
      for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, "done");
    };
    for (const f of ALL) visit(f, []);
    expect(cycles).toEqual([]);
  });
});
