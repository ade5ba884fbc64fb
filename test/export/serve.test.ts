/**
 * `gancc serve`: MIME types an export needs, refusal of paths outside the folder (`..`, also
 * percent-encoded, and a symlink out), 404, and the command: prints the URL, stops cleanly on
 * Ctrl-C (SIGINT), refuses a folder that does not exist.
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveDirectory, type StaticServer } from "../../src/export/serve.js";
import { gancc } from "../cli/gancc.js";
import { tmpDir } from "./harness.js";

const dir = tmpDir("export-serve");
const root = join(dir, "out");
mkdirSync(join(root, "vendor"), { recursive: true });
for (const f of ["index.html", "model.js", "x.mjs", "model.json", "weights.bin", "vendor/a.wasm", "model.d.ts"]) writeFileSync(join(root, f), `content of ${f}`);
writeFileSync(join(dir, "secret.txt"), "outside");
symlinkSync(join(dir, "secret.txt"), join(root, "link.txt"));
let s: StaticServer;
beforeAll(async () => {
  s = await serveDirectory(root, { port: 0 });
});
afterAll(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A raw GET (the path is sent as written, not normalised as a browser or fetch would). */
function get(path: string): Promise<{ status: number; type?: string; body: string }> {
  const u = new URL(s.url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => ok({ status: res.statusCode!, type: res.headers["content-type"], body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("gancc serve: the static server", () => {
  it("serves the export's files with the MIME types browsers require", async () => {
    const want: Record<string, RegExp> = {
      "/": /^text\/html/,
      "/index.html": /^text\/html/,
      "/model.js": /^text\/javascript/,
      "/x.mjs": /^text\/javascript/,
      "/model.json": /^application\/json/,
      "/weights.bin": /^application\/octet-stream/,
      "/vendor/a.wasm": /^application\/wasm$/,
    };
    for (const [path, type] of Object.entries(want)) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.type, path).toMatch(type);
    }
    expect((await get("/vendor/a.wasm")).body).toBe("content of vendor/a.wasm");
    expect((await get("/model.js?v=1")).status).toBe(200);
  });
  it("refuses paths outside the folder: .., encoded %2e%2e and %2f, backslashes, a symlink out", async () => {
    for (const path of ["/../secret.txt", "/vendor/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/vendor/%2e%2e/%2e%2e/secret.txt", "/..%5csecret.txt", "/link.txt"]) {
      const r = await get(path);
      expect(r.status, path).toBe(403);
      expect(r.body).not.toMatch(/outside$/);
    }
  });
  it("answers 404 for a missing file and 400 for a malformed escape", async () => {
    expect((await get("/nope.js")).status).toBe(404);
    expect((await get("/%E0%A4%A")).status).toBe(400);
  });
});

describe("gancc serve: the command", () => {
  it("prints the URL, serves, and stops cleanly on Ctrl-C", async () => {
    const p = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve", root, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stderr.on("data", (c) => (err += c));
    const url = await new Promise<string>((ok, fail) => {
      p.stdout.on("data", (c) => {
        out += c;
        const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (m) ok(m[0]);
      });
      p.on("exit", () => fail(new Error(`serve exited early: ${err}`)));
    });
    const r = await fetch(url + "model.js");
    expect(r.headers.get("content-type")).toMatch(/^text\/javascript/);
    const code = await new Promise<number | null>((ok) => {
      p.on("exit", (c) => ok(c));
      p.kill("SIGINT");
    });
    expect(code, err).toBe(0);
    expect(err).toMatch(/server stopped/);
  }, 60_000);
  it("refuses a folder that does not exist", () => {
    const r = gancc("serve", join(dir, "missing"), "--port", "0");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not a folder/);
  }, 60_000);
});
