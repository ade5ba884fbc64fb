// The VS Code side of gancc: starts `gancc lsp --stdio` for .gan files. Plain JavaScript,
// no build step; its one dependency is vscode-languageclient (npm install in this folder).
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

/** @type {import("vscode-languageclient/node").LanguageClient | undefined} */
let client;

/** The command that runs the server: `<gancc.server.path> <gancc.server.args…> lsp --stdio`. */
function serverOptions(config) {
  const command = config.get("server.path") || "gancc";
  const args = [...(config.get("server.args") || []), "lsp", "--stdio"];
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const options = folder ? { cwd: folder.uri.fsPath } : {};
  return { run: { command, args, options }, debug: { command, args, options } };
}

/** The settings the server reads: gancc.set, gancc.size, gancc.inlayHints. */
function serverSettings(config) {
  return { set: config.get("set") || {}, size: config.get("size") ?? undefined, inlayHints: config.get("inlayHints") !== false };
}

async function activate(context) {
  const config = vscode.workspace.getConfiguration("gancc");
  client = new LanguageClient("gancc", "gancc language server", serverOptions(config), {
    documentSelector: [
      { scheme: "file", language: "gan" },
      { scheme: "untitled", language: "gan" },
    ],
    initializationOptions: serverSettings(config),
    // sends workspace/didChangeConfiguration with { gancc: … } when the settings change
    synchronize: { configurationSection: "gancc" },
  });
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("gancc.server")) {
        void vscode.window.showInformationMessage("gancc: the server command changed; reload the window to use it.");
      }
    }),
  );
  await client.start();
}

async function deactivate() {
  if (client) await client.stop();
  client = undefined;
}

module.exports = { activate, deactivate, serverOptions, serverSettings };
