// Benchmark: the language server after a keystroke.
//  1. Every shipped spec: the check alone (parse + check + lower + the editor's extras), and a
//     keystroke through the protocol until its diagnostics arrive, in-process and through a
//     spawned `gancc lsp --stdio` (checks on a worker thread), with the debounce at 0.
//  2. A generated 5,000-line spec, through spawned servers with and without the worker thread:
//     keystroke → diagnostics, and the latency of a completion and of a hover sent right after
//     the keystroke (completion answers from the last check; a hover waits for the new one), and of a
//     completion sent while a check is under way.
// Run: npm run bench:lsp     (not part of npm test; no timing assertions anywhere; the numbers go into editors/README.md)
import { spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { PassThrough } from "node:stream";
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import type { PublishDiagnosticsParams } from "vscode-languageserver";
import { createConnection } from "vscode-languageserver/node";
import { DEFAULT_SETTINGS, analyze } from "../src/lsp/analysis.js";
import { createServer } from "../src/lsp/server.js";
import { generateSpec } from "./gen_spec.js";

const KEYSTROKES = Number(process.env.KEYSTROKES ?? 30);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const medP90 = (xs: number[]) => `${ms(quantile(xs, 0.5))} / ${ms(quantile(xs, 0.9))} ms`;

interface Session {
  rpc: MessageConnection;
  /** resolves when diagnostics for `version` (or later) of `uri` arrive */
  diagnostics(uri: string, version: number): Promise<void>;
  close(): Promise<void>;
}

async function session(rpc: MessageConnection, close: () => Promise<void>): Promise<Session> {
  const waiters: { uri: string; version: number; resolve: () => void }[] = [];
  const latest = new Map<string, number>();
  rpc.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
    latest.set(p.uri, Math.max(latest.get(p.uri) ?? 0, p.version ?? 0));
    for (const w of [...waiters]) if (w.uri === p.uri && latest.get(p.uri)! >= w.version) waiters.splice(waiters.indexOf(w), 1), w.resolve();
  });
  rpc.onNotification("window/logMessage", (p: { type: number; message: string }) => {
    if (p.type === 1) process.stderr.write(`server: ${p.message}\n`);
  });
  rpc.listen();
  await rpc.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {} });
  await rpc.sendNotification("initialized", {});
  return {
    rpc,
    diagnostics: (uri, version) => ((latest.get(uri) ?? 0) >= version ? Promise.resolve() : new Promise((resolve) => waiters.push({ uri, version, resolve }))),
    close,
  };
}

function inProcess(): Promise<Session> {
  const c2s = new PassThrough();
  const s2c = new PassThrough();
  const server = createConnection(new StreamMessageReader(c2s), new StreamMessageWriter(s2c));
  createServer(server, { debounceMs: 0, checker: "inline" });
  server.listen();
  const rpc = createMessageConnection(new StreamMessageReader(s2c), new StreamMessageWriter(c2s));
  return session(rpc, async () => {
    rpc.dispose();
    server.dispose();
  });
}

function spawned(worker: boolean): Promise<Session> {
  const args = ["--import", "tsx", "src/cli/main.ts", "lsp", "--stdio", "--debounce", "0", ...(worker ? [] : ["--no-worker"])];
  const proc = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  const rpc = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  return session(rpc, async () => {
    await rpc.sendRequest("shutdown");
    await rpc.sendNotification("exit");
    await new Promise((r) => proc.on("exit", r));
    rpc.dispose();
  });
}

/** Where a keystroke goes: the end of the first layer line (typing a space, then deleting it). */
function keystrokeAt(text: string): { line: number; character: number } {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => /^\s+(conv|reflect_pad|c7s1|leaky_relu)\b/.test(l));
  return { line: i, character: lines[i]!.length };
}

interface Typing {
  uri: string;
  version: number;
  text: string;
  at: { line: number; character: number };
  typed: boolean;
}

async function open(s: Session, name: string, text: string): Promise<Typing> {
  const uri = `file:///bench/${name}`;
  await s.rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "gan", version: 1, text } });
  await s.diagnostics(uri, 1);
  return { uri, version: 1, text, at: keystrokeAt(text), typed: false };
}

/** One keystroke: a space typed at the end of a layer line, or deleted again. */
async function keystroke(s: Session, t: Typing): Promise<number> {
  t.version++;
  const { line, character } = t.at;
  const change = t.typed
    ? { range: { start: { line, character }, end: { line, character: character + 1 } }, text: "" }
    : { range: { start: { line, character }, end: { line, character } }, text: " " };
  t.typed = !t.typed;
  await s.rpc.sendNotification("textDocument/didChange", { textDocument: { uri: t.uri, version: t.version }, contentChanges: [change] });
  return t.version;
}

/** CPU time of this process (all its threads), in ms: on an idle machine, what the wall time of single-threaded work would be. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function timeKeystrokes(s: Session, t: Typing, n: number, cpuOut?: number[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = cpu();
    const t0 = performance.now();
    const v = await keystroke(s, t);
    await s.diagnostics(t.uri, v);
    out.push(performance.now() - t0);
    cpuOut?.push(cpu() - c0);
  }
  return out;
}

/** A keystroke, then at once a request: the request's latency, and the diagnostics'. */
async function timeRequestAfterKeystroke(s: Session, t: Typing, method: string, n: number, delayMs = 0): Promise<{ request: number[]; diagnostics: number[] }> {
  const request: number[] = [];
  const diagnostics: number[] = [];
  const pos = { line: t.at.line, character: t.at.character - 2 };
  for (let i = 0; i < n; i++) {
    const v = await keystroke(s, t);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const t0 = performance.now();
    const r = s.rpc.sendRequest(method, { textDocument: { uri: t.uri }, position: pos }).then(() => request.push(performance.now() - t0));
    await Promise.all([r, s.diagnostics(t.uri, v).then(() => diagnostics.push(performance.now() - t0))]);
  }
  return { request, diagnostics };
}

async function main(): Promise<void> {
  const out: string[] = [];
  const specs = readdirSync("specs").filter((f) => f.endsWith(".gan")).sort();

  out.push("### After a keystroke (debounce 0): median / p90", "");
  out.push(
    "Wall time, and CPU time (this process, all threads: on an idle machine the wall time of this single-threaded work) where the work runs in this process.",
    "",
    "| spec | lines | check alone: wall | check alone: CPU | keystroke → diagnostics, in-process: wall | in-process: CPU | keystroke → diagnostics, `gancc lsp --stdio`: wall |",
    "|---|---:|---:|---:|---:|---:|---:|",
  );
  const local = await inProcess();
  const proc = await spawned(true);
  for (const f of specs) {
    const text = readFileSync(`specs/${f}`, "utf8");
    for (let i = 0; i < 3; i++) analyze(text, f, 1, DEFAULT_SETTINGS); // warm-up
    const alone: number[] = [];
    const aloneCpu: number[] = [];
    for (let i = 0; i < KEYSTROKES; i++) {
      const c0 = cpu();
      alone.push(analyze(text + (i % 2 ? " " : ""), f, 1, DEFAULT_SETTINGS).ms);
      aloneCpu.push(cpu() - c0);
    }
    const a = await open(local, f, text);
    await timeKeystrokes(local, a, 3);
    const inprocCpu: number[] = [];
    const inproc = await timeKeystrokes(local, a, KEYSTROKES, inprocCpu);
    const b = await open(proc, f, text);
    await timeKeystrokes(proc, b, 3);
    const viaProc = await timeKeystrokes(proc, b, KEYSTROKES);
    out.push(`| specs/${f} | ${text.split("\n").length - 1} | ${medP90(alone)} | ${medP90(aloneCpu)} | ${medP90(inproc)} | ${medP90(inprocCpu)} | ${medP90(viaProc)} |`);
  }
  await local.close();
  await proc.close();

  const big = generateSpec(5000);
  const lines = big.split("\n").length - 1;
  const n = Math.max(5, Math.floor(KEYSTROKES / 3));
  const bigAlone: number[] = [];
  const bigCpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c0 = cpu();
    bigAlone.push(analyze(big + (i % 2 ? " " : ""), "big.gan", 1, DEFAULT_SETTINGS).ms);
    bigCpu.push(cpu() - c0);
  }
  out.push("", `### A generated spec of ${lines} lines, through \`gancc lsp --stdio --debounce 0\`: median / p90 of ${n}`, "");
  out.push(`The check alone takes ${medP90(bigAlone)} (CPU ${medP90(bigCpu)}). After a keystroke the server waits as long as the last check took (at most 1 s) before checking again, so typing never queues checks; a hover waits for the new check, completion does not.`, "");
  out.push(
    "| checks on | keystroke → diagnostics | completion sent with the keystroke | completion sent during the check (1.1 s later) | hover sent with the keystroke |",
    "|---|---:|---:|---:|---:|",
  );
  for (const worker of [true, false]) {
    const s = await spawned(worker);
    const t = await open(s, "big.gan", big);
    await timeKeystrokes(s, t, 2);
    const diag = await timeKeystrokes(s, t, n);
    const completion = await timeRequestAfterKeystroke(s, t, "textDocument/completion", n);
    // the server waits as long as the last check took (capped at 1 s) before checking: send the request once the check has started
    const during = await timeRequestAfterKeystroke(s, t, "textDocument/completion", n, 1100);
    const hover = await timeRequestAfterKeystroke(s, t, "textDocument/hover", n);
    out.push(`| ${worker ? "a worker thread (default)" : "the server's thread (`--no-worker`)"} | ${medP90(diag)} | ${medP90(completion.request)} | ${medP90(during.request)} | ${medP90(hover.request)} |`);
    await s.close();
  }
  out.push("", `node ${process.version}, ${new Date().toISOString().slice(0, 10)}; load average ${(await import("node:os")).loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  process.stdout.write(out.join("\n") + "\n");
}

await main();
