/**
 * `auto` asks Dawn for an adapter in a child process first (probeWebgpuQuietly), so that the
 * warnings Dawn and Mesa's Vulkan drivers print straight to stderr on a machine without a GPU
 * never reach the user. These tests run the probe and a whole `auto` selection in child processes.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { probeWebgpu, probeWebgpuQuietly } from "../../src/runtime/webgpu.js";

describe("probeWebgpuQuietly", () => {
  it("names a package that is not installed", async () => {
    const r = await probeWebgpuQuietly("gancc-no-such-webgpu-package");
    expect(r).toEqual({ ok: false, why: "the optional package 'gancc-no-such-webgpu-package' (Dawn for Node) is not installed" });
  });

  it("sees the same adapter as the in-process probe", async () => {
    const quiet = await probeWebgpuQuietly();
    const loud = await probeWebgpu();
    expect(quiet.ok).toBe(loud.ok);
    if (quiet.ok && loud.ok) expect(quiet.adapter).toEqual(loud.adapter);
  });

  it("a time-out is an answer, not a hang", async () => {
    const r = await probeWebgpuQuietly(undefined, 1);
    // 1 ms is too short for any Node start: the probe is stopped and says so
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.why).toMatch(/adapter probe (was stopped|exited)/);
  });

  it("selecting `auto` writes nothing to stderr", () => {
    const script = `import { selectBackend } from "./src/runtime/backend.ts"; const r = await selectBackend("auto"); console.log(r.name);`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^(tensorflow|webgpu|wasm|cpu)$/);
    expect(r.stderr).toBe("");
  });
});
