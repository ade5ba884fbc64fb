// Preload for the lazy-loading test: `node --import ./test/cli/trace_loads.mjs …` writes every
// module URL the process resolved (ES imports, and packages reached through them) to
// $GANCC_TRACE_LOADS at exit.
import { register } from "node:module";
import { MessageChannel } from "node:worker_threads";
import { writeFileSync } from "node:fs";

const urls = new Set();
const { port1, port2 } = new MessageChannel();
port1.on("message", (u) => urls.add(u));
port1.unref();
register(
  "data:text/javascript," +
    encodeURIComponent(`let port; export function initialize(d) { port = d.port; }
export async function resolve(s, c, next) { const r = await next(s, c); port.postMessage(r.url); return r; }`),
  import.meta.url,
  { data: { port: port2 }, transferList: [port2] },
);
process.on("exit", () => {
  if (process.env.GANCC_TRACE_LOADS) writeFileSync(process.env.GANCC_TRACE_LOADS, [...urls].join("\n"));
});
