/**
 * `gancc serve DIR`: a small static file server for an exported folder, on node:http (no
 * dependency). GET and HEAD only; MIME types for what an export holds (.wasm as
 * application/wasm, which WebAssembly.instantiateStreaming requires; .js/.mjs as
 * text/javascript, which module scripts require); a path that leaves DIR — `..` segments, also
 * percent-encoded, or a symlink out of it — is refused with 403.
 */
import { createReadStream, realpathSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve, sep } from "node:path";

export const MIME_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

export interface StaticServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** DIR cannot be served (not a folder); the message says why. */
export class ServeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServeError";
  }
}

/**
 * The file under `root` that a request path names, or a status code: 400 for a malformed path,
 * 403 for a path that leaves root, 404 when there is no such file.
 */
export function resolveRequest(root: string, urlPath: string): string | 400 | 403 | 404 {
  const raw = urlPath.split(/[?#]/)[0]!;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return 400;
  }
  if (decoded.includes("\0")) return 400;
  // any `..` segment (after decoding, either slash) is refused outright, not normalised away
  if (decoded.split(/[\\/]/).some((s) => s === "..")) return 403;
  const full = resolve(root, "." + (decoded.startsWith("/") ? decoded : "/" + decoded));
  if (full !== root && !full.startsWith(root + sep)) return 403;
  let target = full;
  try {
    if (statSync(target).isDirectory()) target = join(target, "index.html");
    const real = realpathSync(target);
    if (real !== root && !real.startsWith(root + sep)) return 403;
    if (!statSync(real).isFile()) return 404;
    return real;
  } catch {
    return 404;
  }
}

/** Serves `dir` on host:port (port 0: any free port); resolves once it listens. */
export async function serveDirectory(dir: string, o: { port?: number; host?: string } = {}): Promise<StaticServer> {
  let root: string;
  try {
    root = realpathSync(resolve(dir));
    if (!statSync(root).isDirectory()) throw new Error("not a folder");
  } catch {
    throw new ServeError(`${dir} is not a folder (give the folder that gancc export --web wrote)`);
  }
  const server = createServer((req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const r = resolveRequest(root, req.url ?? "/");
    if (typeof r === "number") {
      const text = r === 403 ? "forbidden: outside the served folder" : r === 404 ? "not found" : "bad request";
      res.writeHead(r, { "content-type": "text/plain; charset=utf-8" }).end(text + "\n");
      return;
    }
    const size = statSync(r).size;
    res.writeHead(200, { "content-type": MIME_TYPES[extname(r).toLowerCase()] ?? "application/octet-stream", "content-length": size, "cache-control": "no-cache" });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    createReadStream(r).on("error", () => res.destroy()).pipe(res);
  });
  const host = o.host ?? "127.0.0.1";
  await new Promise<void>((ok, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      fail(new ServeError(e.code === "EADDRINUSE" ? `port ${o.port} is in use (choose another with --port)` : `cannot listen on ${host}:${o.port ?? 0}: ${e.message}`)),
    );
    server.listen(o.port ?? 0, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
