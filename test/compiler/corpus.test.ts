// Golden corpus of wrong specs: each test/compiler/corpus/NN_name.gan is a small complete
// spec with one realistic mistake (described in its first-line comment); NN_name.txt next
// to it is the rendered diagnostics a user would see. Regenerate the goldens with
//   UPDATE_GOLDEN=1 npx vitest run test/compiler/corpus.test.ts
// and read the diff: a changed golden is a changed user-facing message.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { type Diagnostic, renderDiagnostic, renderDiagnostics } from "../../src/dsl/diagnostics.js";
import { expectGolden } from "./golden.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "corpus");
const REL = "test/compiler/corpus";
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".gan"))
  .sort();

const MIN_FILES = 30;
const MIN_CODES = 25;

/** codes reported per corpus file, filled as the per-file tests run */
const codesByFile = new Map<string, Set<string>>();

function compileCorpusFile(name: string) {
  const text = readFileSync(join(DIR, name), "utf8");
  const file = `${REL}/${name}`;
  const r = compileSource(text, file);
  const rendered = renderDiagnostics(r.diagnostics, new Map([[file, r.source]]), { color: false });
  return { text, file, r, rendered };
}

const show = (ds: Diagnostic[]) => ds.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`).join("\n");
const CARET_LINE = /^ +\| *\^+$/m;

describe("corpus of wrong specs", () => {
  it(`has at least ${MIN_FILES} specs`, () => {
    expect(FILES.length).toBeGreaterThanOrEqual(MIN_FILES);
  });

  it("has no golden without its spec", () => {
    const stale = readdirSync(DIR).filter((f) => f.endsWith(".txt") && !FILES.includes(f.replace(/\.txt$/, ".gan")));
    expect(stale).toEqual([]);
  });

  describe.each(FILES)("%s", (name) => {
    it("starts with a comment describing the mistake", () => {
      const text = readFileSync(join(DIR, name), "utf8");
      expect(text.split("\n")[0]).toMatch(/^# \S/);
    });

    it("reports well-formed diagnostics that match the golden", () => {
      const { text, file, r, rendered } = compileCorpusFile(name);
      const ds = r.diagnostics;
      codesByFile.set(name, new Set(ds.map((d) => d.code)));

      // at least one error or warning
      expect(ds.filter((d) => d.severity === "error" || d.severity === "warning").length, `no error or warning for ${name}`).toBeGreaterThan(0);

      // every diagnostic: a table code and a real position in this file, rendered with carets
      const lineCount = text.split("\n").length;
      for (const d of ds) {
        const where = `${name}: ${show([d])}`;
        expect(d.code, where).toMatch(/^GAN\d{4}$/);
        expect(d.span.file, where).toBe(file);
        expect(d.span.line, where).toBeGreaterThanOrEqual(1);
        expect(d.span.line, where).toBeLessThanOrEqual(lineCount);
        expect(d.span.col, where).toBeGreaterThanOrEqual(1);
        expect(renderDiagnostic(d, new Map([[file, r.source]]), { color: false }), where).toMatch(CARET_LINE);
      }
      expect(rendered).toMatch(CARET_LINE);

      // the golden: a missing one fails; UPDATE_GOLDEN=1 writes it
      const txt = name.replace(/\.gan$/, ".txt");
      expectGolden(join(DIR, txt), `${rendered}\n`, { label: `${REL}/${txt}` });
    });
  });

  it(`together covers at least ${MIN_CODES} distinct diagnostic codes`, () => {
    const all = new Map<string, string[]>();
    for (const name of FILES) {
      const codes = codesByFile.get(name) ?? new Set(compileCorpusFile(name).r.diagnostics.map((d) => d.code));
      for (const c of codes) all.set(c, [...(all.get(c) ?? []), name.replace(/\.gan$/, "")]);
    }
    const covered = [...all.keys()].sort();
    console.log(`corpus covers ${covered.length} codes:\n${covered.map((c) => `  ${c}  ${all.get(c)!.slice(0, 3).join(", ")}${all.get(c)!.length > 3 ? ", …" : ""}`).join("\n")}`);
    expect(covered.length).toBeGreaterThanOrEqual(MIN_CODES);
  });
});
