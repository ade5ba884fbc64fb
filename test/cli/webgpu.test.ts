// `--backend webgpu` through the CLI (train, translate) and the API (useBackend). Runs in the
// "webgpu" vitest project only (GANCC_TEST_WEBGPU, see vitest.config.ts), whose environment
// points the Vulkan loader at a WebGPU driver; the child processes inherit it.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUnpaired, tempDir } from "../data/fixtures.js";
import { gancc } from "./gancc.js";

const ON_WEBGPU = process.env.GANCC_TEST_BACKENDS === "webgpu";


describe.runIf(ON_WEBGPU)("--backend webgpu: train, translate, API", () => {
  let tmp: ReturnType<typeof tempDir>;
  let data: string;
  beforeAll(async () => {
    tmp = tempDir("gancc-cli-webgpu-");
    data = join(tmp.dir, "data");
    await makeUnpaired(data, 2, 2, 12, 12);
  });
  afterAll(() => tmp?.cleanup());

  it("gancc train --backend webgpu trains and records the adapter; gancc translate --backend webgpu applies the result", () => {
    const run = join(tmp.dir, "run");
    const t = gancc("train", "specs/tiny.gan", "--set", "nf=2", "--set", "size=8", "--data", data, "--out", run, "--max-iters", "2", "--backend", "webgpu");
    expect(t.err).toMatch(/gancc: backend webgpu — .*webgpu via Dawn on /);
    expect(t.code, t.err).toBe(0);
    const info = JSON.parse(readFileSync(join(run, "run.json"), "utf8")) as { backend: unknown };
    expect(JSON.stringify(info.backend)).toMatch(/webgpu via Dawn on .+/);
    const out = join(tmp.dir, "translated");
    const r = gancc("translate", run, "--net", "G_AB", "--input", join(data, "trainA"), "--output", out, "--backend", "webgpu");
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/backend webgpu/);
    expect(readdirSync(join(out, "images")).filter((f) => f.endsWith("_G_AB.png"))).toHaveLength(2);
    expect(existsSync(join(out, "index.html"))).toBe(true);
  }, 600_000);

  it("the API: useBackend(\"webgpu\") selects it and names the adapter", async () => {
    const api = await import("../../src/index.js");
    const b = await api.useBackend("webgpu");
    expect(b.name).toBe("webgpu");
    expect(b.reason).toMatch(/webgpu via Dawn on .+/);
  });
});
