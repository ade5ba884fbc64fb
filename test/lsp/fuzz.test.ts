// A seeded mutation loop through the protocol: ~2,000 small edits of the shipped specs
// (tokens and lines deleted, duplicated, swapped; junk inserted) sent as incremental
// didChange notifications. Every 20th edit the test waits for that version's diagnostics and
// asks every request kind at a random place. Nothing may crash (no internal error logged),
// nothing may hang (every answer within a few seconds), and the last diagnostics are the
// compiler's for the final text.
import { readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic, Range } from "vscode-languageserver";
import { compileSource } from "../../src/compiler/compile.js";
import { type Client, startClient, uriOf } from "./harness.js";
import { posOf, within } from "./helpers.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const JUNK = ["{", "}", "(", ")", ",", ":", "=", "->", "[", "]", "#", "\"", "conv", "res", "repeat", "if", "else", "skip", "residual", "G_AB", "ngf", "1e9", "0", "-1", "3x", "@", "\n", "  ", "loss", "step", "updates", "with", "adam(lr: 0)", "image[0]", "nets {", "train {", "block b(k) {", "concat(e1)", "e1:", "pool(", "detach("];
const SPECS = readdirSync("specs").filter((f) => f.endsWith(".gan")).sort();
const EDITS_PER_SPEC = 400;
const CHECK_EVERY = 20;
const ANSWER_MS = 10_000;

interface Edit {
  range: Range;
  text: string;
}

/** One small random edit of `text` (as a protocol change) and the text after it. */
function mutate(text: string, rand: () => number): { edit: Edit; next: string } {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const tokens = [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:e-?\d+)?|\S/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length }));
  const lines: { start: number; end: number }[] = [];
  for (let i = 0, s = 0; i <= text.length; i++) if (i === text.length || text[i] === "\n") lines.push({ start: s, end: Math.min(i + 1, text.length) }), (s = i + 1);
  const replace = (start: number, end: number, s: string) => ({
    edit: { range: { start: posOf(text, start), end: posOf(text, end) }, text: s },
    next: text.slice(0, start) + s + text.slice(end),
  });
  const kind = Math.floor(rand() * 7);
  if (!tokens.length) return replace(0, 0, pick(JUNK));
  switch (kind) {
    case 0: {
      const t = pick(tokens);
      return replace(t.start, t.end, "");
    }
    case 1: {
      const t = pick(tokens);
      return replace(t.end, t.end, " " + text.slice(t.start, t.end));
    }
    case 2: {
      const i = Math.floor(rand() * (tokens.length - 1));
      const a = tokens[i]!;
      const b = tokens[i + 1] ?? a;
      return replace(a.start, b.end, text.slice(b.start, b.end) + text.slice(a.end, b.start) + text.slice(a.start, a.end));
    }
    case 3: {
      const l = pick(lines);
      return replace(l.start, l.end, "");
    }
    case 4: {
      const l = pick(lines);
      const s = text.slice(l.start, l.end);
      return replace(l.end, l.end, s.endsWith("\n") ? s : "\n" + s);
    }
    case 5: {
      const i = Math.floor(rand() * Math.max(1, lines.length - 1));
      const a = lines[i]!;
      const b = lines[i + 1] ?? a;
      const sa = text.slice(a.start, a.end);
      const sb = text.slice(b.start, b.end);
      return replace(a.start, b.end, (sb.endsWith("\n") ? sb : sb + "\n") + (b === a ? "" : sa.replace(/\n$/, "") + (sb.endsWith("\n") ? "\n" : "")));
    }
    default: {
      const at = Math.floor(rand() * (text.length + 1));
      return replace(at, at, pick(JUNK));
    }
  }
}

let c: Client;
beforeAll(async () => {
  c = await startClient({ server: { debounceMs: 2 }, capabilities: { workspace: { inlayHint: { refreshSupport: true } } } });
});
afterAll(() => c.close());

describe("lsp: robustness", () => {
  it(`survives ${SPECS.length * EDITS_PER_SPEC} seeded edits of the shipped specs without a crash or a hang`, async () => {
    const rand = rng(20261130);
    let checked = 0;
    let requests = 0;
    for (const f of SPECS) {
      const path = `specs/${f}`;
      const original = readFileSync(path, "utf8");
      const uri = uriOf(`mem/fuzz-${f}`);
      await c.open(`mem/fuzz-${f}`, original);
      let text = original;
      let version = 1;
      for (let i = 1; i <= EDITS_PER_SPEC; i++) {
        version++;
        if (i % 100 === 0) {
          // back to the shipped spec now and then, so the edits stay small edits of it
          text = original;
          c.change(uri, version, [{ text }]);
        } else {
          const { edit, next } = mutate(text, rand);
          text = next;
          c.change(uri, version, [edit]);
        }
        if (i % CHECK_EVERY !== 0) continue;
        await within(c.diagnostics(uri, version), ANSWER_MS, `diagnostics of ${f} v${version}`);
        checked++;
        const offset = Math.floor(rand() * (text.length + 1));
        const position = posOf(text, offset);
        const doc = { textDocument: { uri } };
        const all: [string, unknown][] = [
          ["textDocument/hover", { ...doc, position }],
          ["textDocument/completion", { ...doc, position }],
          ["textDocument/definition", { ...doc, position }],
          ["textDocument/references", { ...doc, position, context: { includeDeclaration: true } }],
          ["textDocument/documentSymbol", doc],
          ["textDocument/inlayHint", { ...doc, range: { start: { line: 0, character: 0 }, end: posOf(text, text.length) } }],
          ["textDocument/formatting", { ...doc, options: { tabSize: 2, insertSpaces: true } }],
          ["textDocument/codeAction", { ...doc, range: { start: position, end: position }, context: { diagnostics: [] } }],
          ["textDocument/rename", { ...doc, position, newName: "renamed_x" }],
        ];
        for (const [method, params] of all) {
          // a refused rename is an answer too
          await within(
            c.request(method, params).catch((e: Error) => {
              if (method !== "textDocument/rename") throw e;
            }),
            ANSWER_MS,
            `${method} on ${f} v${version}`,
          );
          requests++;
        }
      }
      // the server's last word on this document is the compiler's
      version++;
      c.change(uri, version, [{ text }]);
      const last = (await within(c.diagnostics(uri, version), ANSWER_MS, `final diagnostics of ${f}`)).diagnostics;
      const want = compileSource(text, resolve(`mem/fuzz-${f}`)).diagnostics;
      expect(last.map((d: Diagnostic) => [d.code, d.message])).toEqual(want.map((d) => [d.code, d.message]));
      await c.rpc.sendNotification("textDocument/didClose", { textDocument: { uri } });
    }
    expect(checked).toBe((SPECS.length * EDITS_PER_SPEC) / CHECK_EVERY);
    expect(requests).toBe(checked * 9);
    const errors = c.logs.filter((l) => l.type === 1);
    expect(errors.map((e) => e.message)).toEqual([]);
  }, 120_000);
});
