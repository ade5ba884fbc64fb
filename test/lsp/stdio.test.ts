// The real process: `gancc lsp --stdio` spawned, spoken to in JSON-RPC with Content-Length
// framing over its stdin/stdout, as an editor does.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

interface Message {
  jsonrpc: "2.0";
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

/** A minimal LSP client: frames what it sends, unframes what it reads. */
class Wire {
  private buf = Buffer.alloc(0);
  readonly received: Message[] = [];
  private waiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  stderr = "";

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    proc.stdout.on("data", (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      for (;;) {
        const end = this.buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const header = this.buf.subarray(0, end).toString("ascii");
        const len = Number(/Content-Length: (\d+)/i.exec(header)?.[1]);
        if (!Number.isFinite(len)) throw new Error(`bad header: ${header}`);
        if (this.buf.length < end + 4 + len) return;
        const m = JSON.parse(this.buf.subarray(end + 4, end + 4 + len).toString("utf8")) as Message;
        this.buf = this.buf.subarray(end + 4 + len);
        this.received.push(m);
        for (const w of [...this.waiters]) {
          if (w.test(m)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      }
    });
    proc.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
  }

  send(m: Omit<Message, "jsonrpc">): void {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", ...m }), "utf8");
    this.proc.stdin.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, "ascii"), body]));
  }

  wait(test: (m: Message) => boolean, what: string, ms = 30_000): Promise<Message> {
    const hit = this.received.find(test);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms; stderr: ${this.stderr}`)), ms);
      this.waiters.push({ test, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }
}

let proc: ChildProcessWithoutNullStreams | undefined;
afterAll(() => {
  if (proc && proc.exitCode === null) proc.kill();
});

describe("gancc lsp --stdio (a spawned process)", () => {
  it("answers initialize, publishes diagnostics, hovers, and exits on shutdown + exit", async () => {
    proc = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "lsp", "--stdio"], { stdio: ["pipe", "pipe", "pipe"] });
    const wire = new Wire(proc);
    const exited = new Promise<number | null>((r) => proc!.on("exit", (code) => r(code)));

    wire.send({ id: 1, method: "initialize", params: { processId: process.pid, rootUri: null, capabilities: {} } });
    const init = await wire.wait((m) => m.id === 1, "initialize");
    expect(init.error).toBeUndefined();
    const result = init.result as { capabilities: Record<string, unknown>; serverInfo: { name: string; version: string } };
    expect(result.serverInfo.name).toBe("gancc");
    expect(result.capabilities.hoverProvider).toBe(true);
    expect(result.capabilities.textDocumentSync).toMatchObject({ openClose: true, change: 2 });
    wire.send({ method: "initialized", params: {} });

    // a spec with a misspelled layer (one of the wrong specs of the corpus)
    const path = resolve("test/compiler/corpus/02_misspelled_instance_norm.gan");
    const text = readFileSync(path, "utf8");
    const uri = pathToFileURL(path).href;
    wire.send({ method: "textDocument/didOpen", params: { textDocument: { uri, languageId: "gan", version: 1, text } } });
    const pub = await wire.wait((m) => m.method === "textDocument/publishDiagnostics", "publishDiagnostics");
    const diags = (pub.params as { uri: string; diagnostics: { code: string; message: string }[] }).diagnostics;
    expect((pub.params as { uri: string }).uri).toBe(uri);
    expect(diags.map((d) => d.code)).toEqual(["GAN2003"]);
    expect(diags[0]!.message).toBe("unknown layer `instance_nrom`");

    // a hover with a shape, through the real process
    // (the generator has the error, so it is not built; the critic is)
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.includes("conv(nf, 4, stride: 2, pad: 1)"));
    expect(line).toBeGreaterThan(0);
    wire.send({ id: 2, method: "textDocument/hover", params: { textDocument: { uri }, position: { line, character: lines[line]!.indexOf("conv(") + 1 } } });
    const hover = await wire.wait((m) => m.id === 2, "hover");
    const md = (hover.result as { contents: { value: string } }).contents.value;
    expect(md).toMatch(/\*\*conv\*\* · layer/);
    // 16×16 in, 4×4 kernel, stride 2, pad 1: (16 + 2 − 4) / 2 + 1 = 8; 4·4·3·4 weights + 4 biases
    expect(md).toContain(`**8×8×4** · **${4 * 4 * 3 * 4 + 4} params**`);

    wire.send({ id: 3, method: "shutdown" });
    const down = await wire.wait((m) => m.id === 3, "shutdown");
    expect(down.error).toBeUndefined();
    expect(down.result).toBeNull();
    wire.send({ method: "exit" });
    expect(await exited).toBe(0);
    // nothing but protocol messages on stdout (each parsed), and no internal errors logged
    expect(wire.received.filter((m) => m.method === "window/logMessage" && (m.params as { type: number }).type === 1)).toEqual([]);
  }, 60_000);
});
