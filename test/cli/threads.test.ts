// `--threads` / `threads:` (the wasm backend's kernel threads) through the CLI: the count on the
// backend line and in run.json, translate, and the errors. That the threads really work, and give
// the single-threaded numbers, is test/runtime/wasm_threads.test.ts.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUnpaired, tempDir } from "../data/fixtures.js";
import { gancc } from "./gancc.js";

let tmp: ReturnType<typeof tempDir>;
let data: string;
beforeAll(async () => {
  tmp = tempDir("gancc-cli-threads-");
  data = join(tmp.dir, "data");
  await makeUnpaired(data, 2, 2, 12, 12);
  await makeUnpaired(data, 1, 1, 12, 12, "test");
});
afterAll(() => tmp.cleanup());

const SMALL = ["--set", "nf=2", "--set", "size=8", "--max-iters", "1", "--backend", "wasm", "--data"];
const runInfo = (dir: string) => JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as { backend: { name: string; reason: string; threads?: number } };

describe("wasm threads on the command line", () => {
  it("train --threads 2 and `threads: 1` in --config: on the backend line and in run.json; translate --threads 2", () => {
    const two = gancc("train", "specs/tiny.gan", ...SMALL, data, "--out", join(tmp.dir, "two"), "--threads", "2");
    expect(two.code, two.err).toBe(0);
    expect(two.err).toMatch(/gancc: backend wasm — wasm \(XNNPACK, SIMD, 2 threads\)/);
    expect(runInfo(join(tmp.dir, "two")).backend).toMatchObject({ name: "wasm", threads: 2 });

    const cfg = join(tmp.dir, "one.yaml");
    writeFileSync(cfg, "threads: 1\n");
    const one = gancc("train", "specs/tiny.gan", ...SMALL, data, "--out", join(tmp.dir, "one"), "--config", cfg);
    expect(one.code, one.err).toBe(0);
    expect(one.err).toContain("1 thread; threads: 1 asked for");
    expect(runInfo(join(tmp.dir, "one")).backend).toMatchObject({ name: "wasm", threads: 1 });

    const t = gancc("translate", join(tmp.dir, "two"), "--net", "G_AB", "--input", join(data, "testA"), "--output", join(tmp.dir, "out"), "--backend", "wasm", "--threads", "2");
    expect(t.code, t.err).toBe(0); // and it ended: no pthread worker kept the process alive
    expect(t.err).toContain("gancc: backend wasm (2 threads)");
  });

  it("a thread count that is not a whole number ≥ 1 is a usage or configuration error", () => {
    const f = gancc("train", "specs/tiny.gan", "--data", data, "--threads", "0");
    expect(f.code).toBe(2);
    expect(f.err).toContain("--threads");
    const cfg = join(tmp.dir, "bad.yaml");
    writeFileSync(cfg, "threads: 0\n");
    const c = gancc("train", "specs/tiny.gan", "--data", data, "--config", cfg);
    expect(c.code).toBe(2);
    expect(c.err).toContain(`${cfg}:1:10: threads must be >= 1`);
  });

  it("GANCC_THREADS is the default for --threads; a malformed value is a usage error", () => {
    const run = (value: string, ...args: string[]) => {
      const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", GANCC_THREADS: value } });
      return { code: r.status, err: r.stderr };
    };
    const two = run("2", "train", "specs/tiny.gan", ...SMALL, data, "--out", join(tmp.dir, "env-two"));
    expect(two.code, two.err).toBe(0);
    expect(runInfo(join(tmp.dir, "env-two")).backend).toMatchObject({ name: "wasm", threads: 2 });
    const bad = run("many", "train", "specs/tiny.gan", ...SMALL, data, "--out", join(tmp.dir, "env-bad"));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("GANCC_THREADS must be a whole number ≥ 1 (the default for --threads), got `many`");
  });
});
