// Where checks run. Inline: on the server's own thread (tests, small specs). Worker: on a
// worker thread, so the server keeps answering (completion from the last check, other
// documents) while a large spec is checked; the result comes back as JSON and only its
// parsing and indexing run on the server's thread. A worker that dies is replaced on the
// next check.
import { Worker } from "node:worker_threads";
import { SourceFile } from "../dsl/diagnostics.js";
import { type Analysis, type Settings, analyze } from "./analysis.js";

export interface Checker {
  check(text: string, file: string, version: number, settings: Settings): Promise<Analysis>;
  dispose(): void;
}

export function inlineChecker(f: typeof analyze = analyze): Checker {
  return {
    check: async (text, file, version, settings) => f(text, file, version, settings),
    dispose() {},
  };
}

/** What the worker sends back: the analysis without its text and source (the server has the text). */
export type WireAnalysis = Omit<Analysis, "text" | "source">;

export interface WorkerRequest {
  id: number;
  text: string;
  file: string;
  version: number;
  settings: Settings;
}
export type WorkerReply = { id: number; json: string } | { id: number; error: string };

export function hydrate(json: string, text: string, file: string): Analysis {
  const w = JSON.parse(json) as WireAnalysis;
  return { ...w, text, source: new SourceFile(file, text) };
}

/** The worker script: this module's sibling, as .ts under tsx (development) or .js (built). */
function startWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith(".ts")) {
    // running from source: the worker registers tsx itself before loading the .ts module
    const url = new URL("./worker.ts", here).href;
    const tsx = typeof import.meta.resolve === "function" ? import.meta.resolve("tsx/esm/api") : "tsx/esm/api";
    return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`, { eval: true });
  }
  return new Worker(new URL("./worker.js", here));
}

export function workerChecker(log: (msg: string) => void): Checker {
  let worker: Worker | undefined;
  let seq = 0;
  /** a worker has answered once: later failures restart it; a first one means workers do not work here */
  let answered = false;
  let inline: Checker | undefined;
  const pending = new Map<number, { resolve: (a: Analysis) => void; reject: (e: Error) => void; req: WorkerRequest }>();
  const fail = (why: string) => {
    worker = undefined;
    const all = [...pending.values()];
    pending.clear();
    if (!answered) {
      // the thread cannot start here: check on this thread from now on
      log(`gancc: checking on the server's thread (${why})`);
      inline = inlineChecker();
      for (const p of all) inline.check(p.req.text, p.req.file, p.req.version, p.req.settings).then(p.resolve, p.reject);
      return;
    }
    for (const p of all) p.reject(new Error(why));
  };
  const ensure = (): Worker => {
    if (worker) return worker;
    const w = startWorker();
    w.unref();
    w.on("message", (m: WorkerReply) => {
      answered = true;
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if ("error" in m) p.reject(new Error(m.error));
      else {
        try {
          p.resolve(hydrate(m.json, p.req.text, p.req.file));
        } catch (e) {
          p.reject(e as Error);
        }
      }
    });
    w.on("error", (e) => {
      if (worker === w) fail(`the checker thread failed: ${e.stack ?? e.message}`);
    });
    w.on("exit", (code) => {
      if (worker === w) fail(`the checker thread exited (code ${code})`);
    });
    worker = w;
    return w;
  };
  return {
    check(text, file, version, settings) {
      if (inline) return inline.check(text, file, version, settings);
      return new Promise<Analysis>((resolve, reject) => {
        const req: WorkerRequest = { id: ++seq, text, file, version, settings };
        pending.set(req.id, { resolve, reject, req });
        ensure().postMessage(req);
      });
    },
    dispose() {
      const w = worker;
      worker = undefined;
      void w?.terminate();
    },
  };
}
