// Drives the language server in-process through the protocol: two in-memory streams, the
// server's connection on one side (createConnection from vscode-languageserver/node) and a
// JSON-RPC client connection (vscode-jsonrpc) on the other.
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { createConnection } from "vscode-languageserver/node";
import type { Diagnostic, InitializeResult, PublishDiagnosticsParams } from "vscode-languageserver";
import { createServer, type ServerOptions } from "../../src/lsp/index.js";
import { within } from "./helpers.js";

export interface Client {
  rpc: MessageConnection;
  init: InitializeResult;
  /** server log messages (window/logMessage) */
  logs: { type: number; message: string }[];
  /** opens a document and waits for its first diagnostics */
  open(path: string, text: string): Promise<Diagnostic[]>;
  /** the next diagnostics published for `uri` with at least `version` */
  diagnostics(uri: string, version?: number): Promise<PublishDiagnosticsParams>;
  change(uri: string, version: number, changes: { range?: { start: { line: number; character: number }; end: { line: number; character: number } }; text: string }[]): void;
  request<R>(method: string, params: unknown): Promise<R>;
  close(): void;
}

export const uriOf = (path: string) => pathToFileURL(resolve(path)).href;

export async function startClient(
  opts: { server?: ServerOptions; initializationOptions?: unknown; capabilities?: Record<string, unknown>; configuration?: () => unknown } = {},
): Promise<Client> {
  const c2s = new PassThrough();
  const s2c = new PassThrough();
  // reader/writer objects (not raw streams): the server must not exit the test process when they end
  const server = createConnection(new StreamMessageReader(c2s), new StreamMessageWriter(s2c));
  createServer(server, { debounceMs: 5, ...opts.server });
  server.listen();
  const rpc = createMessageConnection(new StreamMessageReader(s2c), new StreamMessageWriter(c2s));
  const logs: Client["logs"] = [];
  const published: PublishDiagnosticsParams[] = [];
  const waiters: { uri: string; version: number; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  rpc.onNotification("window/logMessage", (p: { type: number; message: string }) => {
    logs.push(p);
  });
  rpc.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
    published.push(p);
    for (const w of [...waiters]) {
      if (w.uri === p.uri && (p.version ?? 0) >= w.version) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(p);
      }
    }
  });
  rpc.onRequest("workspace/inlayHint/refresh", () => null);
  rpc.onRequest("workspace/configuration", () => [opts.configuration?.() ?? null]);
  rpc.listen();
  const init = (await rpc.sendRequest("initialize", {
    processId: null,
    rootUri: null,
    capabilities: opts.capabilities ?? {},
    initializationOptions: opts.initializationOptions,
  })) as InitializeResult;
  await rpc.sendNotification("initialized", {});
  const diagnostics = (uri: string, version = 0) =>
    new Promise<PublishDiagnosticsParams>((res) => {
      const hit = [...published].reverse().find((p) => p.uri === uri && (p.version ?? 0) >= version);
      if (hit) res(hit);
      else waiters.push({ uri, version, resolve: res });
    });
  return {
    rpc,
    init,
    logs,
    async open(path, text) {
      const uri = uriOf(path);
      const p = new Promise<PublishDiagnosticsParams>((res) => waiters.push({ uri, version: 1, resolve: res }));
      await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "gan", version: 1, text } });
      return (await within(p, 20_000, `diagnostics of ${path}`)).diagnostics;
    },
    diagnostics: (uri, version) => within(diagnostics(uri, version), 20_000, `diagnostics of ${uri} (version ${version ?? 0})`),
    change(uri, version, changes) {
      void rpc.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: changes });
    },
    request: <R>(method: string, params: unknown) => rpc.sendRequest(method, params) as Promise<R>,
    close() {
      rpc.dispose();
      server.dispose();
      c2s.end();
      s2c.end();
    },
  };
}
