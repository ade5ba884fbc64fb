/**
 * Benchmark: the web export of the ResNet-9 CycleGAN generator (specs/cyclegan.gan, ngf 64,
 * 256×256, random weights: the time does not depend on their values) — milliseconds per 256²
 * image on each browser backend in headless Chromium (webgpu, webgl, wasm; SwiftShader without a
 * GPU) and in Node through `import { load } from "<export>/model.js"` (wasm; cpu with --node-cpu).
 * A translation is timed as the page times it: upload, the net, and the download of the result.
 *
 *   node --import tsx bench/web.ts                       # 1 warm-up + 3 timed images per backend
 *   node --import tsx bench/web.ts --iters 5 --size 256 --backends webgpu,webgl,wasm --node wasm,cpu
 *
 * Flags: --iters N (default 3)   --size S (default 256)   --ngf N (default 64)   --backends list
 * (browser; default webgpu,webgl,wasm)   --node list (default wasm)   --chromium PATH
 * (default /usr/bin/chromium)   --timeout-s S per backend (default 600)   --dtype float16|float32
 * The export is written under .tmp/ (inside the repository, so Node resolves tfjs) and removed.
 */
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { compileSpecFile, createModel } from "../src/index.js";
import { exportWeb } from "../src/export/web.js";
import { serveDirectory } from "../src/export/serve.js";
import { median } from "./stats.js";

const { values: a } = parseArgs({
  options: {
    iters: { type: "string", default: "3" },
    size: { type: "string", default: "256" },
    ngf: { type: "string", default: "64" },
    backends: { type: "string", default: "webgpu,webgl,wasm" },
    node: { type: "string", default: "wasm" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    "timeout-s": { type: "string", default: "600" },
    dtype: { type: "string", default: "float16" },
  },
});
const iters = Number(a.iters);
const size = Number(a.size);
const timeoutMs = Number(a["timeout-s"]) * 1000;

await tf.setBackend("cpu");
const r = compileSpecFile("specs/cyclegan.gan", { set: { ngf: a.ngf!, size: String(size), load_size: String(size) } });
if (!r.ir) throw new Error("specs/cyclegan.gan does not compile");
const model = createModel(r.ir, { nets: ["G_AB"] });
const weights = await model.read();
model.dispose();
const out = resolve(".tmp", `bench-web-${process.pid}`);
const ex = exportWeb({ ir: r.ir, weights, from: "random init" }, { net: "G_AB", out, dtype: a.dtype as "float16" | "float32" });
const params = r.ir.nets.find((n) => n.name === "G_AB")!.params.reduce((s, p) => s + p.shape.reduce((x, y) => x * y, 1), 0);
const rows: string[] = [];
const line = (where: string, backend: string, ms: number[] | string) =>
  rows.push(`| ${where} | ${backend} | ${typeof ms === "string" ? ms : `${median(ms).toFixed(0)} (${ms.map((m) => m.toFixed(0)).join(", ")})`} |`);
const withTimeout = <T>(p: Promise<T>, what: string) =>
  Promise.race([p, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`${what}: over ${timeoutMs / 1000} s`)), timeoutMs).unref())]);

process.stderr.write(`G_AB: ${params} parameters; weights.bin ${(ex.weightsBytes / 2 ** 20).toFixed(1)} MiB (${ex.dtype})\n`);

// --- browser
const server = await serveDirectory(out, { port: 0 });
const { default: puppeteer } = await import("puppeteer-core");
/** A fresh browser per backend: a backend that times out cannot stall the next one. */
const launch = () =>
  puppeteer.launch({
    executablePath: a.chromium,
    headless: true,
    protocolTimeout: timeoutMs + 60_000,
    args: ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader", "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-vulkan=swiftshader", "--use-webgpu-adapter=swiftshader", "--disable-vulkan-surface", "--ignore-gpu-blocklist"],
  });
const PAGE_BENCH = (n: number, s: number) => `(async () => {
  const m = await window.gancc.ready;
  const px = { data: new Uint8Array(${s} * ${s} * 3).map((_, i) => (i * 37) % 251), width: ${s}, height: ${s}, channels: 3 };
  const ms = [];
  for (let i = 0; i <= ${n}; i++) ms.push((await m.translate(px)).ms);
  return { backend: m.backend, ms: ms.slice(1) };
})()`;
for (const backend of a.backends!.split(",").filter(Boolean)) {
  const browser = await launch();
  const page = await browser.newPage();
  try {
    await page.goto(`${server.url}?backend=${backend}`);
    const res = (await withTimeout(page.evaluate(PAGE_BENCH(iters, size)), backend)) as { backend: string; ms: number[] };
    line("Chromium (headless)", res.backend, res.ms);
  } catch (e) {
    line("Chromium (headless)", backend, `did not run: ${(e as Error).message.split("\n")[0]}`);
  } finally {
    await browser.close().catch(() => {});
  }
  process.stderr.write(rows[rows.length - 1] + "\n");
}
await server.close();

// --- Node
const { load } = await import(join(out, "model.js"));
for (const backend of a.node!.split(",").filter(Boolean)) {
  try {
    const m = await load(undefined, { backend });
    const px = { data: new Uint8Array(size * size * 3).map((_, i) => (i * 37) % 251), width: size, height: size, channels: 3 };
    const ms: number[] = [];
    for (let i = 0; i <= iters; i++) ms.push((await withTimeout(m.translate(px), backend) as { ms: number }).ms);
    line("Node", m.backend, ms.slice(1));
    m.dispose();
  } catch (e) {
    line("Node", backend, `did not run: ${(e as Error).message.split("\n")[0]}`);
  }
  process.stderr.write(rows[rows.length - 1] + "\n");
}
rmSync(out, { recursive: true, force: true });

process.stdout.write(
  `ResNet-9 generator (specs/cyclegan.gan G_AB, ngf ${a.ngf}, ${params} parameters), ${size}×${size}, ms per image (median of ${iters} after 1 warm-up; the runs):\n\n| where | backend | ms / image |\n|---|---|---|\n${rows.join("\n")}\n`,
);
