// The language server is loaded only by `gancc lsp` itself: other commands (and `gancc lsp
// --help`) do not import src/lsp or vscode-languageserver. Uses the module-load tracer of
// test/cli/lazy.test.ts.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "gancc-lsp-lazy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loads(args: string[], input?: string, status = 0): string[] {
  const out = join(dir, `${args.join("_").replace(/\W+/g, "_")}.txt`);
  const r = spawnSync(process.execPath, ["--import", "tsx", "--import", "./test/cli/trace_loads.mjs", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    input,
    env: { ...process.env, GANCC_TRACE_LOADS: out, NO_COLOR: "1" },
  });
  expect(r.status, r.stderr).toBe(status);
  return readFileSync(out, "utf8").split("\n");
}

const LSP = [/\/src\/lsp\//, /node_modules\/vscode-languageserver/, /node_modules\/vscode-jsonrpc/];

describe("gancc lsp loads only when it runs", () => {
  for (const args of [["check", "specs/tiny.gan"], ["--help"], ["lsp", "--help"]]) {
    it(`gancc ${args.join(" ")}: no language server`, () => {
      const urls = loads(args);
      expect(urls.some((u) => u.includes("/src/cli/lsp.ts"))).toBe(true);
      expect(urls.filter((u) => LSP.some((x) => x.test(u)))).toEqual([]);
    });
  }
  it("the tracer sees it where it does load: gancc lsp --stdio (input closed at once, without shutdown: exit 1)", () => {
    const urls = loads(["lsp", "--stdio"], "", 1);
    expect(urls.some((u) => /\/src\/lsp\/server\.ts$/.test(u))).toBe(true);
    expect(urls.some((u) => /node_modules\/vscode-languageserver\//.test(u))).toBe(true);
  });
});
