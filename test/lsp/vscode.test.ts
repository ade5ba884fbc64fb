// The VS Code extension folder (editors/vscode): its manifest, its copy of the grammar, and
// its activation code, run against stand-ins for the `vscode` and `vscode-languageclient`
// modules (neither is installed here: VS Code provides the first, `npm install` in the
// folder the second).
import { existsSync, readFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const DIR = "editors/vscode";
const manifest = JSON.parse(readFileSync(`${DIR}/package.json`, "utf8")) as {
  main: string;
  activationEvents: string[];
  dependencies: Record<string, string>;
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    configuration: { properties: Record<string, { default: unknown }> };
  };
};

describe("editors/vscode/package.json", () => {
  it("contributes the gan language for .gan files, with its grammar and comment rules", () => {
    const lang = manifest.contributes.languages.find((l) => l.id === "gan")!;
    expect(lang.extensions).toEqual([".gan"]);
    const conf = JSON.parse(readFileSync(resolve(DIR, lang.configuration), "utf8")) as { comments: { lineComment: string } };
    expect(conf.comments.lineComment).toBe("#");
    const g = manifest.contributes.grammars[0]!;
    expect(g).toMatchObject({ language: "gan", scopeName: "source.gan" });
    // the extension's copy of the grammar is editors/gan.tmLanguage.json, byte for byte
    expect(readFileSync(resolve(DIR, g.path), "utf8")).toBe(readFileSync("editors/gan.tmLanguage.json", "utf8"));
    expect(existsSync(resolve(DIR, manifest.main))).toBe(true);
    expect(manifest.activationEvents).toContain("onLanguage:gan");
    expect(Object.keys(manifest.dependencies)).toEqual(["vscode-languageclient"]);
  });

  it("declares the settings the server reads", () => {
    const props = manifest.contributes.configuration.properties;
    expect(Object.keys(props).sort()).toEqual(["gancc.inlayHints", "gancc.server.args", "gancc.server.path", "gancc.set", "gancc.size"]);
    expect(props["gancc.server.path"]!.default).toBe("gancc");
  });
});

// ---------------------------------------------------------------- activation

interface Constructed {
  id: string;
  serverOptions: { run: { command: string; args: string[]; options: { cwd?: string } } };
  clientOptions: { documentSelector: { language: string }[]; initializationOptions: unknown; synchronize: { configurationSection: string } };
  started: boolean;
  stopped: boolean;
}

const requireHere = createRequire(import.meta.url);
type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;
const mod = Module as unknown as { _load: Loader };
const realLoad = mod._load;
afterEach(() => {
  mod._load = realLoad;
});

/** Loads extension.js with stand-in modules; returns it and what it constructed. */
function loadExtension(settings: Record<string, unknown>, folder?: string) {
  const built: Constructed[] = [];
  class LanguageClient {
    c: Constructed;
    constructor(id: string, _name: string, serverOptions: Constructed["serverOptions"], clientOptions: Constructed["clientOptions"]) {
      this.c = { id, serverOptions, clientOptions, started: false, stopped: false };
      built.push(this.c);
    }
    async start() {
      this.c.started = true;
    }
    async stop() {
      this.c.stopped = true;
    }
  }
  const vscode = {
    workspace: {
      workspaceFolders: folder ? [{ uri: { fsPath: folder } }] : undefined,
      getConfiguration: (section: string) => {
        expect(section).toBe("gancc");
        return { get: (k: string) => settings[k] };
      },
      onDidChangeConfiguration: () => ({ dispose() {} }),
    },
    window: { showInformationMessage: async () => undefined },
  };
  mod._load = function (request, parent, isMain) {
    if (request === "vscode") return vscode;
    if (request === "vscode-languageclient/node") return { LanguageClient };
    return realLoad.call(this, request, parent, isMain);
  };
  const path = requireHere.resolve(resolve(DIR, "extension.js"));
  delete requireHere.cache[path];
  const ext = requireHere(path) as { activate(ctx: { subscriptions: unknown[] }): Promise<void>; deactivate(): Promise<void> };
  return { ext, built };
}

describe("editors/vscode/extension.js", () => {
  it("starts `gancc lsp --stdio` for gan documents, passing the settings", async () => {
    const { ext, built } = loadExtension({ set: { ngf: 8 }, size: 128 }, "/work/space");
    const ctx = { subscriptions: [] as unknown[] };
    await ext.activate(ctx);
    expect(built).toHaveLength(1);
    const c = built[0]!;
    expect(c.serverOptions.run).toEqual({ command: "gancc", args: ["lsp", "--stdio"], options: { cwd: "/work/space" } });
    expect(c.clientOptions.documentSelector.map((d) => d.language)).toEqual(["gan", "gan"]);
    expect(c.clientOptions.initializationOptions).toEqual({ set: { ngf: 8 }, size: 128, inlayHints: true });
    expect(c.clientOptions.synchronize.configurationSection).toBe("gancc");
    expect(c.started).toBe(true);
    expect(ctx.subscriptions.length).toBeGreaterThan(0);
    await ext.deactivate();
    expect(c.stopped).toBe(true);
  });

  it("runs a source checkout with gancc.server.path and gancc.server.args", async () => {
    const { ext, built } = loadExtension({ "server.path": "node", "server.args": ["--import", "tsx", "src/cli/main.ts"], inlayHints: false });
    await ext.activate({ subscriptions: [] });
    expect(built[0]!.serverOptions.run).toEqual({ command: "node", args: ["--import", "tsx", "src/cli/main.ts", "lsp", "--stdio"], options: {} });
    expect(built[0]!.clientOptions.initializationOptions).toEqual({ set: {}, size: undefined, inlayHints: false });
    await ext.deactivate();
  });
});
