// The rooms of src/ and the one direction their imports may take:
//   cli → train / apply → report / data / datasets → runtime → io → compiler → ir, dsl
//   cli → lsp → compiler
// plus: no import cycles, no tfjs in the rooms that do not run tensors, and no terminal output
// or argv parsing outside src/cli (the reporter's progress bar is the one writer it may hand a
// stream to).
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = resolve("src");

/** What each room may import besides itself (`index` is src/index.ts, the public API). */
const ALLOWED: Record<string, string[]> = {
  ir: [],
  dsl: [],
  compiler: ["dsl", "ir"],
  io: ["compiler", "ir", "dsl"],
  runtime: ["io", "compiler", "ir", "dsl"],
  report: ["io"],
  data: ["runtime", "io", "compiler", "ir"],
  datasets: ["data", "runtime", "io"],
  train: ["report", "data", "runtime", "io", "compiler", "ir", "dsl"],
  apply: ["train", "report", "data", "runtime", "io", "compiler", "ir", "dsl"],
  lsp: ["compiler", "ir", "dsl"],
  torch: ["train", "report", "data", "runtime", "io", "compiler", "ir", "dsl"],
  export: ["apply", "train", "report", "data", "runtime", "io", "compiler", "ir", "dsl"],
  cli: ["export", "torch", "lsp", "apply", "train", "report", "data", "datasets", "runtime", "io", "compiler", "ir", "dsl"],
  index: ["export", "torch", "apply", "train", "report", "data", "datasets", "runtime", "io", "compiler", "ir", "dsl"],
};

/** Rooms that handle files, images and numbers on the host, never tensors. */
const NO_TFJS = ["ir", "dsl", "compiler", "io", "report", "data", "datasets", "lsp"];

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

function room(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes("/") ? rel.slice(0, rel.indexOf("/")) : rel.replace(/\.ts$/, "");
}

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^"'`;]*?\sfrom\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function edges(file: string): { local: Edge[]; packages: string[] } {
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
  const local: Edge[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[3] ?? m[4]!;
    const typeOnly = Boolean(m[2]);
    if (spec.startsWith(".")) local.push({ from: file, to: resolve(dirname(file), spec).replace(/\.js$/, ".ts"), typeOnly });
    else if (!typeOnly) packages.push(spec);
  }
  return { local, packages };
}

const ALL = files(SRC);
const GRAPH = new Map(ALL.map((f) => [f, edges(f)]));

describe("src/ rooms and dependency direction", () => {
  it("every file is in a known room", () => {
    expect(ALL.map(room).filter((r) => !(r in ALLOWED))).toEqual([]);
  });

  it("imports run one way (cli → train/apply → report/data/datasets → runtime → io → compiler → ir, dsl)", () => {
    const bad: string[] = [];
    for (const [f, { local }] of GRAPH) {
      for (const e of local) {
        const a = room(f);
        const b = room(e.to);
        if (a !== b && !ALLOWED[a]!.includes(b)) bad.push(`${relative(SRC, f)} → ${relative(SRC, e.to)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("every relative import names a file that exists", () => {
    const missing = [...GRAPH.values()].flatMap((g) => g.local.filter((e) => !ALL.includes(e.to)).map((e) => `${relative(SRC, e.from)} → ${e.to}`));
    expect(missing).toEqual([]);
  });

  it("no import cycles among modules (type-only imports included)", () => {
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 1);
      stack.push(f);
      for (const e of GRAPH.get(f)?.local ?? []) {
        if (state.get(e.to) === 1) cycles.push([...stack.slice(stack.indexOf(e.to)), e.to].map((x) => relative(SRC, x)).join(" → "));
        else if (!state.has(e.to)) visit(e.to);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of ALL) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it(`tfjs is not imported in ${NO_TFJS.join(", ")}`, () => {
    const bad = [...GRAPH].filter(([f, g]) => NO_TFJS.includes(room(f)) && g.packages.some((p) => p.startsWith("@tensorflow/"))).map(([f]) => relative(SRC, f));
    expect(bad).toEqual([]);
  });

  it("only src/cli reads argv or writes to the terminal (the reporter is handed its stream)", () => {
    const bad: string[] = [];
    for (const f of ALL) {
      if (room(f) === "cli") continue;
      const text = readFileSync(f, "utf8");
      for (const [i, line] of text.split("\n").entries()) {
        if (/^\s*(\/\/|\*)/.test(line)) continue;
        if (/process\.argv|console\.(log|error|warn|info|debug)|process\.(stdout|stderr)\.write/.test(line)) bad.push(`${relative(SRC, f)}:${i + 1}: ${line.trim()}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
