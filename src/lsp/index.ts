// `gancc lsp`: a Language Server Protocol server for .gan specs (diagnostics as you type,
// hovers with every layer's shape, definitions, references, rename, completion, formatting,
// outline, inlay hints, quick fixes). Started by src/cli/lsp.ts; may import only the
// compiler, the IR and the DSL (no tensors).
import { createConnection } from "vscode-languageserver/node";
import { type ServerOptions, createServer } from "./server.js";

export { analyze, type Analysis, type Settings } from "./analysis.js";
export { createServer, fileOfUri, readSettings, type ServerOptions } from "./server.js";

/**
 * Serves one client over a pair of streams (stdin/stdout for `gancc lsp --stdio`), checking
 * on a worker thread unless told otherwise. The process exits when the input ends or the
 * client sends `exit`.
 */
export function startServer(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, options: ServerOptions = {}): void {
  const connection = createConnection(input, output);
  createServer(connection, { checker: "worker", ...options });
  connection.listen();
}
