/**
 * The web export in a real browser: Debian's chromium, headless, driven by puppeteer-core, the
 * page loaded from `gancc serve`'s server. For a small trained model (harness.ts):
 *   - on webgl (SwiftShader), wasm and webgpu (SwiftShader's Vulkan, where headless Chromium
 *     offers an adapter; whether it ran is printed), every evaluation-mode case of the PyTorch
 *     layer fixture through the exported runtime, and the held-out images vs `gancc translate`:
 *     max abs difference ≤ 2/255 per pixel;
 *   - a screenshot after translating a file chosen in the page: the output canvas is there and
 *     not blank (not pixel-exact).
 * Without chromium the tests are skipped with a message; GANCC_REQUIRE_CHROMIUM=1 (CI) makes that
 * a failure. GANCC_CHROMIUM overrides the browser's path.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, ElementHandle, Page } from "puppeteer-core";
import { serveDirectory, type StaticServer } from "../../src/export/serve.js";
import { tensorAsFloat32 } from "../../src/io/safetensors.js";
import { fixture, meta } from "../parity/helpers.js";
import { maxRgbDiff, pngPixels, spread, tmpDir, trainedFixture, type TrainedFixture } from "./harness.js";

const CHROMIUM = process.env.GANCC_CHROMIUM ?? "/usr/bin/chromium";
const HAVE = existsSync(CHROMIUM);
if (!HAVE) {
  const why = `no chromium at ${CHROMIUM} (apt-get install chromium, or set GANCC_CHROMIUM)`;
  if (process.env.GANCC_REQUIRE_CHROMIUM === "1") throw new Error(`GANCC_REQUIRE_CHROMIUM=1 but the browser tests cannot run: ${why}`);
  process.stderr.write(`browser tests skipped: ${why}\n`);
}

/** Headless Chromium with software WebGL (SwiftShader via ANGLE) and WebGPU on SwiftShader's Vulkan. */
const ARGS = [
  "--no-sandbox",
  "--enable-unsafe-swiftshader",
  "--use-angle=swiftshader",
  "--enable-unsafe-webgpu",
  "--enable-features=Vulkan",
  "--use-vulkan=swiftshader",
  "--use-webgpu-adapter=swiftshader",
  "--disable-vulkan-surface",
  "--ignore-gpu-blocklist",
];

const F = fixture("layers");
const CASES = Object.entries(JSON.parse(meta(F, "cases")) as Record<string, { op: string; attrs: Record<string, unknown>; params: string[]; inputs: number }>).filter(([n]) => !n.endsWith("_train"));

/**
 * Runs in the page (a string: vitest would rewrite a dynamic import in a function's source): every
 * fixture case through the page's own gancc-runtime.js on the active backend; the failures.
 */
const OPS_IN_PAGE = `(async () => {
  const rt = await import("./gancc-runtime.js");
  const tf = rt.tf;
  const cases = await (await fetch("test-ops.json")).json();
  const out = [];
  for (const c of cases) {
    const host = new Map(c.params.map((p) => [p.name, { shape: p.shape, data: Float32Array.from(p.data) }]));
    const node = { id: "t/" + c.op, op: c.op, attrs: c.attrs, inputs: [], params: c.params.map((p) => p.name) };
    const params = rt.prepareParams(node, host);
    const xs = c.xs.map((x) => tf.tensor(x.data, x.shape));
    const y = tf.tidy(() => rt.OPS[c.op](xs, c.attrs, params));
    const got = await y.data();
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - c.out.data[i]) - 1e-3 * Math.abs(c.out.data[i]));
    if (y.shape.join() !== c.out.shape.join() || !(worst <= 1e-4)) out.push(c.name + ": shape [" + y.shape + "], excess " + worst);
    tf.dispose([y, ...xs, ...params]);
  }
  return out;
})()`;

describe.runIf(HAVE)("the web export in headless Chromium", () => {
  let dir: string;
  let fx: TrainedFixture;
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = tmpDir("export-browser");
    fx = trainedFixture(dir);
    // the held-out inputs next to the page, and the layer fixture as JSON for the op cases
    mkdirSync(join(fx.web, "test-inputs"));
    for (const s of fx.stems) copyFileSync(join(fx.translated, "images", `${s}_input.png`), join(fx.web, "test-inputs", `${s}.png`));
    const host = (name: string) => ({ shape: F.tensors[name]!.shape, data: Array.from(tensorAsFloat32(F, name)) });
    const cases = CASES.map(([name, c]) => ({
      name,
      ...c,
      params: c.params.map((p) => ({ name: `t/${c.op}/${p}`, ...host(`${name}.p.${p}`) })),
      xs: [host(`${name}.x`), ...(c.inputs === 2 ? [host(`${name}.x2`)] : [])],
      out: host(`${name}.out`),
    }));
    writeFileSync(join(fx.web, "test-ops.json"), JSON.stringify(cases));
    server = await serveDirectory(fx.web, { port: 0 });
    const { default: puppeteer } = await import("puppeteer-core");
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The page with `backend` asked for: the backend that runs, or why none could. */
  async function open(backend?: string): Promise<{ page: Page; backend?: string; error?: string }> {
    const page = await browser.newPage();
    await page.goto(server.url + (backend ? `?backend=${backend}` : ""));
    const r = await page.evaluate(async () => {
      try {
        return { backend: (await (window as any).gancc.ready).backend as string };
      } catch (e) {
        return { error: (e as Error).message };
      }
    });
    return { page, ...r };
  }

  for (const backend of ["webgl", "wasm", "webgpu"]) {
    it(`on ${backend}: the layer fixture through the exported runtime, and the images vs gancc translate (≤ 2/255)`, async (ctx) => {
      const { page, backend: ran, error } = await open(backend);
      try {
        if (backend === "webgpu" && error) {
          process.stderr.write(`webgpu in headless Chromium: did not run (${error})\n`);
          ctx.skip();
        }
        expect(error).toBeUndefined();
        expect(ran).toBe(backend);
        if (backend === "webgpu") process.stderr.write("webgpu in headless Chromium: ran (SwiftShader Vulkan adapter)\n");
        // every evaluation-mode layer case: |got − PyTorch| ≤ atol + rtol·|ref|
        const bad = (await page.evaluate(OPS_IN_PAGE)) as string[];
        expect(bad).toEqual([]);
        for (const stem of fx.stems) {
          const r = await page.evaluate((u) => (window as any).gancc.translateUrl(u), `test-inputs/${stem}.png`);
          expect(r.backend).toBe(backend);
          const want = await pngPixels(join(fx.translated, "images", `${stem}_G_AB.png`));
          expect([r.width, r.height]).toEqual([want.width, want.height]);
          expect(spread(want.data), "the reference translation is not flat").toBeGreaterThan(20);
          expect(maxRgbDiff(r.pixels, want.data, want.channels, r.width * r.height), `${stem} on ${backend}`).toBeLessThanOrEqual(2);
        }
      } finally {
        await page.close();
      }
    }, 240_000);
  }

  it("the page after translating a chosen file: the screenshot shows the output image", async () => {
    const { page, backend, error } = await open();
    try {
      expect(error).toBeUndefined();
      expect(["webgpu", "webgl", "wasm", "cpu"]).toContain(backend);
      await page.setViewport({ width: 900, height: 700 });
      const input = (await page.$("#file")) as ElementHandle<HTMLInputElement>;
      await input.uploadFile(join(fx.web, "test-inputs", `${fx.stems[0]}.png`));
      await page.waitForSelector("#output[data-done]", { timeout: 120_000 });
      expect(await page.$eval("#timing", (e) => e.textContent)).toMatch(new RegExp(`\\d+(\\.\\d+)? ms per image on ${backend}`));
      expect(await page.$eval("#status", (e) => e.textContent)).toMatch(new RegExp(`backend: ${backend}`));
      const shot = join(dir, "page.png");
      await page.screenshot({ path: shot as `${string}.png` });
      // the output canvas's box in the screenshot: present, and not blank (varied pixels, not the page background)
      const box = (await (await page.$("#output"))!.boundingBox())!;
      expect(box.width).toBeGreaterThan(100);
      const region = await sharp(readFileSync(shot))
        .extract({ left: Math.round(box.x) + 2, top: Math.round(box.y) + 2, width: Math.round(box.width) - 4, height: Math.round(box.height) - 4 })
        .removeAlpha()
        .raw()
        .toBuffer();
      expect(spread(region)).toBeGreaterThan(20);
      const stats = await sharp(region, { raw: { width: Math.round(box.width) - 4, height: Math.round(box.height) - 4, channels: 3 } }).stats();
      expect(Math.max(...stats.channels.map((c) => c.stdev))).toBeGreaterThan(5);
    } finally {
      await page.close();
    }
  }, 240_000);
});
