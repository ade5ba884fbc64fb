// The TextMate grammar (editors/gan.tmLanguage.json), tokenized with vscode-textmate and the
// Oniguruma regex engine as VS Code runs it: scopes of keywords, op names, numbers, comments
// and strings in the shipped specs, and every name of the compiler's tables.
import { readFileSync, readdirSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import * as oniguruma from "vscode-oniguruma";
import * as vsctm from "vscode-textmate";
import { LOSS_FUNCTIONS } from "../../src/compiler/losses.js";
import { OPS } from "../../src/compiler/ops.js";
import { INITS, OPTIMIZERS, SCHEDULES } from "../../src/compiler/tables.js";

const GRAMMAR = "editors/gan.tmLanguage.json";
let grammar: vsctm.IGrammar;

beforeAll(async () => {
  const wasm = readFileSync("node_modules/vscode-oniguruma/release/onig.wasm");
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scope: string) => (scope === "source.gan" ? vsctm.parseRawGrammar(readFileSync(GRAMMAR, "utf8"), GRAMMAR) : null),
  });
  grammar = (await registry.loadGrammar("source.gan"))!;
});

interface Token {
  line: number;
  text: string;
  scopes: string[];
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let stack = vsctm.INITIAL;
  text.split("\n").forEach((line, i) => {
    const r = grammar.tokenizeLine(line, stack);
    for (const t of r.tokens) out.push({ line: i, text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes });
    stack = r.ruleStack;
  });
  return out;
}

/** The innermost scope of every token with this text (outside comments unless asked). */
function scopesOf(tokens: Token[], text: string, inComments = false): string[] {
  return tokens.filter((t) => t.text === text && (inComments || !t.scopes.some((s) => s.startsWith("comment")))).map((t) => t.scopes[t.scopes.length - 1]!);
}

const SPECS = readdirSync("specs").filter((f) => f.endsWith(".gan")).sort();

describe("editors/gan.tmLanguage.json", () => {
  it("is valid JSON with the scope name source.gan for .gan files", () => {
    const g = JSON.parse(readFileSync(GRAMMAR, "utf8")) as { scopeName: string; fileTypes: string[] };
    expect(g.scopeName).toBe("source.gan");
    expect(g.fileTypes).toEqual(["gan"]);
  });

  for (const f of SPECS) {
    it(`tokenizes specs/${f}: keywords, ops, numbers, comments`, () => {
      const text = readFileSync(`specs/${f}`, "utf8");
      const tokens = tokenize(text);
      // every line is covered and every token has the root scope
      expect(tokens.every((t) => t.scopes[0] === "source.gan")).toBe(true);
      for (const kw of ["gan", "param", "network", "nets", "data", "loss", "train", "step", "block"]) {
        if (!new RegExp(`^${kw}\\b`, "m").test(text) && !new RegExp(`^\\s+${kw}\\b`, "m").test(text)) continue;
        const s = scopesOf(tokens, kw);
        expect(s.length, kw).toBeGreaterThan(0);
        expect(new Set(s), kw).toEqual(new Set(["keyword.other.declaration.gan"]));
      }
      expect(new Set(scopesOf(tokens, "updates"))).toEqual(new Set(["keyword.control.gan"]));
      expect(new Set(scopesOf(tokens, "with"))).toEqual(new Set(["keyword.control.gan"]));
      for (const op of ["conv", "instance_norm", "leaky_relu", "conv_transpose", "relu", "tanh", "batch_norm"]) {
        const s = scopesOf(tokens, op);
        if (s.length) expect(new Set(s), op).toEqual(new Set(["support.function.layer.gan"]));
      }
      expect(scopesOf(tokens, "conv").length).toBeGreaterThan(0);
      // numbers: every integer, decimal and exponent literal outside comments
      const code = text.split("\n").map((l) => l.replace(/#.*/, "")).join("\n");
      const literals = [...code.matchAll(/(?<![A-Za-z0-9_.])(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?(?![A-Za-z0-9_.])/g)].map((m) => m[0]);
      expect(literals.length).toBeGreaterThan(5);
      const numbers = tokens.filter((t) => t.scopes.includes("constant.numeric.gan")).map((t) => t.text);
      expect(numbers).toEqual(literals);
      // comments: every `#` line, whole, quotes inside included
      const commentLines = text.split("\n").filter((l) => l.includes("#")).length;
      const commentTokens = tokens.filter((t) => t.scopes.includes("comment.line.number-sign.gan"));
      expect(new Set(commentTokens.map((t) => t.line)).size).toBe(commentLines);
      expect(tokens.filter((t) => t.scopes.includes("string.quoted.double.gan"))).toEqual([]); // quotes only appear in comments
      expect(scopesOf(tokens, "true").concat(scopesOf(tokens, "false")).every((s) => s === "constant.language.boolean.gan")).toBe(true);
      // GAN targets, where the spec has any (the domain classifier uses numeric labels)
      if (/\breal\b/.test(code)) expect(new Set(scopesOf(tokens, "real"))).toEqual(new Set(["constant.language.target.gan"]));
    });
  }

  it("names declarations: networks, blocks, params, losses", () => {
    const tokens = tokenize(readFileSync("specs/cyclegan.gan", "utf8"));
    expect(scopesOf(tokens, "ResnetGenerator")[0]).toBe("entity.name.type.network.gan");
    expect(scopesOf(tokens, "c7s1")[0]).toBe("entity.name.function.block.gan");
    expect(scopesOf(tokens, "c7s1")[1]).toBe("entity.name.function.call.gan");
    expect(scopesOf(tokens, "ngf")[0]).toBe("variable.other.constant.gan");
    expect(scopesOf(tokens, "ngf")[1]).toBe("variable.other.gan");
    expect(scopesOf(tokens, "generator")[0]).toBe("entity.name.function.loss.gan");
    expect(scopesOf(tokens, "stride")[0]).toBe("variable.other.property.gan");
    expect(scopesOf(tokens, "->")[0]).toBe("keyword.operator.arrow.gan");
    expect(scopesOf(tokens, "image")[0]).toBe("support.type.gan");
    expect(scopesOf(tokens, "lsgan")[0]).toBe("support.function.loss.gan");
    expect(scopesOf(tokens, "adam")[0]).toBe("support.function.gan");
  });

  it("strings, with escapes, and bad numbers", () => {
    const tokens = tokenize('gan t\nparam s = "hello \\"world\\"\\n"  # a "comment"\nparam n = 3x\n');
    const str = tokens.filter((t) => t.scopes.includes("string.quoted.double.gan"));
    expect(str.map((t) => t.text).join("")).toBe('"hello \\"world\\"\\n"');
    expect(tokens.filter((t) => t.scopes.includes("constant.character.escape.gan")).map((t) => t.text)).toEqual(['\\"', '\\"', "\\n"]);
    expect(tokens.find((t) => t.text.includes('"comment"'))!.scopes).toContain("comment.line.number-sign.gan");
    expect(scopesOf(tokens, "3x")).toEqual(["invalid.illegal.numeric.gan"]);
  });

  it("knows every name in the compiler's tables (a new op, loss function or optimizer needs its word here)", () => {
    const scopeOf = (line: string, word: string) => {
      const t = tokenize(line).find((x) => x.text === word);
      return t?.scopes[t.scopes.length - 1];
    };
    for (const op of Object.keys(OPS)) expect(scopeOf(`block b { ${op}(1) }`, op), op).toBe("support.function.layer.gan");
    for (const f of Object.keys(LOSS_FUNCTIONS)) expect(scopeOf(`loss g = ${f}(x, y)`, f), f).toMatch(/^support\.function\.(loss|layer)\.gan$/);
    for (const n of [...Object.keys(OPTIMIZERS), ...Object.keys(SCHEDULES), ...Object.keys(INITS)]) {
      // `step` is also the keyword of train steps
      expect(scopeOf(`  schedule: ${n}(1)`, n), n).toBe(n === "step" ? "keyword.other.declaration.gan" : "support.function.gan");
    }
  });
});
