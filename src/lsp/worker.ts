// The checker thread (see ./checker.ts): checks texts it is sent, one at a time.
import { parentPort } from "node:worker_threads";
import { analyze } from "./analysis.js";
import type { WorkerReply, WorkerRequest } from "./checker.js";

const port = parentPort!;
port.on("message", (m: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const { text: _text, source: _source, ...rest } = analyze(m.text, m.file, m.version, m.settings);
    reply = { id: m.id, json: JSON.stringify(rest) };
  } catch (e) {
    reply = { id: m.id, error: (e as Error)?.stack ?? String(e) };
  }
  port.postMessage(reply);
});
