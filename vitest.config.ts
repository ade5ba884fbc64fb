import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { defineConfig } from "vitest/config";

/**
 * Two projects. "default": every test file, on cpu and wasm, in the environment vitest was started
 * in. "webgpu" (opt-in: GANCC_TEST_WEBGPU): the backend-parametrized files again, on the webgpu
 * backend only (GANCC_TEST_BACKENDS=webgpu, see test/runtime/kernels/setup.ts), in worker
 * processes whose environment points the Vulkan loader at a WebGPU-capable driver: without a GPU,
 * the SwiftShader driver from Debian's chromium package. LD_LIBRARY_PATH has to be in a process's
 * environment when it starts, hence a separate project (vitest passes a project's `env` to its
 * forks). On SwiftShader the project takes minutes (the 200-iteration memory test most of them).
 *
 * GANCC_TEST_WEBGPU=1 (or swiftshader): SwiftShader from /usr/lib/chromium;
 * GANCC_TEST_WEBGPU=system: the inherited environment (a machine with a GPU); unset or 0: no
 * webgpu project. When it is not run — not asked for, or no adapter can be created — one line
 * says why (with GANCC_REQUIRE_WEBGPU=1, vitest stops with that reason instead).
 */
const WEBGPU_TESTS = ["test/runtime/kernels/*.test.ts", "test/runtime/layers.test.ts", "test/runtime/program.test.ts", "test/parity/cyclegan.test.ts", "test/cli/webgpu.test.ts"];
const CHROMIUM = "/usr/lib/chromium";
const SWIFTSHADER_ICD = `${CHROMIUM}/vk_swiftshader_icd.json`;
const HOW = `GANCC_TEST_WEBGPU=1 with Debian's chromium installed (apt-get install chromium: SwiftShader, a software Vulkan driver), or GANCC_TEST_WEBGPU=system on a machine with a GPU`;

/** The webgpu project's environment, or why there is none. */
function webgpuEnv(): { env: Record<string, string> } | { skip: string } {
  const mode = process.env.GANCC_TEST_WEBGPU ?? "";
  if (mode === "" || mode === "0") return { skip: "GANCC_TEST_WEBGPU is not set" };
  if (!["1", "swiftshader", "system"].includes(mode)) return { skip: `GANCC_TEST_WEBGPU=${mode} is not 1, swiftshader or system` };
  let env: Record<string, string> = {};
  if (mode !== "system") {
    if (!existsSync(SWIFTSHADER_ICD)) return { skip: `no ${SWIFTSHADER_ICD}` };
    const ld = process.env.LD_LIBRARY_PATH;
    env = { LD_LIBRARY_PATH: ld ? `${CHROMIUM}:${ld}` : CHROMIUM, VK_ICD_FILENAMES: SWIFTSHADER_ICD };
  }
  // can Dawn create an adapter there? (a child process: the environment must be there at its start)
  const probe = `const { create } = await import("webgpu"); const a = await create([]).requestAdapter();
    console.log(a ? "adapter " + a.info.vendor + " " + a.info.architecture : "Dawn found no WebGPU adapter in this environment");`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 30_000 });
  const out = (r.stdout ?? "").trim();
  if (r.status !== 0 || !out.startsWith("adapter ")) {
    const err = r.stderr ?? "";
    if (/Cannot find (package|module) 'webgpu'/.test(err)) return { skip: "the optional package `webgpu` is not installed" };
    return { skip: out || err.trim().split("\n").find((l) => /error|warning/i.test(l)) || `the adapter probe exited ${r.status ?? r.signal}` };
  }
  return { env: { ...env, GANCC_TEST_BACKENDS: "webgpu" } };
}

const shared = { testTimeout: 120_000, hookTimeout: 120_000, pool: "forks" as const, globalSetup: ["test/global_setup.ts"] };
const webgpu = webgpuEnv();
if ("skip" in webgpu) {
  // CI sets GANCC_REQUIRE_WEBGPU=1 so that a broken setup fails instead of skipping
  if (process.env.GANCC_REQUIRE_WEBGPU === "1") throw new Error(`GANCC_REQUIRE_WEBGPU=1 but the webgpu tests cannot run: ${webgpu.skip} (${HOW})`);
  process.stderr.write(`webgpu tests skipped: ${webgpu.skip} (to run them: ${HOW})\n`);
}

// Test files run in parallel forks, two on a 2-core CI machine: wasm on every core in each of them
// would only make the threads spin against each other. The thread tests ask for counts explicitly.
const all = { ...shared, include: ["test/**/*.test.ts"], env: { GANCC_THREADS: process.env.GANCC_THREADS ?? "1" } };

export default defineConfig({
  test:
    "env" in webgpu
      ? { projects: [{ test: { ...all, name: "default" } }, { test: { ...shared, name: "webgpu", include: WEBGPU_TESTS, env: webgpu.env } }] }
      : all,
});
