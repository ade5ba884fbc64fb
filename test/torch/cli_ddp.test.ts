// Distributed training through the CLI, on this machine's CPU with gloo: `--nproc 2` (one
// launcher, torch.distributed.run with two processes), the same run as two single-process
// "machines" (`--nnodes 2 --node-rank 0|1 --master-addr 127.0.0.1`), which must give the same
// weights, and a rank killed mid-run: non-zero exit, a clear message, the last checkpoint intact
// and resumable. (2 ranks × batch 1 = 1 process × batch 2 is checked at the Python level in ddp.test.ts.)
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUnpaired } from "../data/fixtures.js";
import { loadWeights } from "../../src/io/weights.js";
import { loadNewestIntactCheckpoint } from "../../src/train/checkpoint.js";
import { PYTHON, noTorch, tempDir } from "./helpers.js";
import { checkpoints, gancc, ganccBackground, pidsWith, waitFor } from "./cli_helpers.js";

const SMALL = ["--set", "nf=2", "--set", "size=8"];
const TORCH = ["--engine", "torch", "--python", PYTHON, "--device", "cpu", "--backend", "cpu"];
let tmp: string;
let data: string;

beforeAll(async () => {
  tmp = tempDir("cli-ddp");
  data = join(tmp, "data");
  await makeUnpaired(data, 6, 6, 12, 12);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

/** The largest relative difference between two weights files' tensors (same names required). */
async function maxRelDiff(a: string, b: string): Promise<number> {
  const wa = await loadWeights(a);
  const wb = await loadWeights(b);
  expect([...wa.tensors.keys()].sort()).toEqual([...wb.tensors.keys()].sort());
  let worst = 0;
  for (const [name, t] of wa.tensors) {
    const u = wb.tensors.get(name)!.data;
    let num = 0;
    let den = 0;
    for (let i = 0; i < t.data.length; i++) {
      num = Math.max(num, Math.abs(t.data[i]! - u[i]!));
      den = Math.max(den, Math.abs(t.data[i]!));
    }
    worst = Math.max(worst, num / Math.max(den, 1e-8));
  }
  return worst;
}

describe.skipIf(noTorch())("gancc train --engine torch: several processes and machines (gloo, CPU)", () => {
  it("--nproc 2 and two one-process launchers (--nnodes 2) train the same weights", async () => {
    const single = join(tmp, "nproc2");
    const r = gancc(["train", "specs/tiny.gan", ...SMALL, "--data", data, "--out", single, ...TORCH, "--nproc", "2", "--max-iters", "4"]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("on cpu, 2 processes");
    expect(JSON.parse(readFileSync(join(single, "run.json"), "utf8"))).toMatchObject({ engine: "torch", worldSize: 2, distBackend: "gloo" });
    expect(loadNewestIntactCheckpoint(join(single, "checkpoints"))!.manifest.iteration).toBe(4);

    const port = String(await freePort());
    const node = (rank: number) =>
      ganccBackground(["train", "specs/tiny.gan", ...SMALL, "--data", data, "--out", join(tmp, `node${rank}`), ...TORCH, "--max-iters", "4", "--nnodes", "2", "--node-rank", String(rank), "--master-addr", "127.0.0.1", "--master-port", port]);
    const [n0, n1] = [node(0), node(1)];
    const [r0, r1] = await Promise.all([n0.done, n1.done]);
    expect(r0.code, r0.err).toBe(0);
    expect(r1.code, r1.err).toBe(0);
    expect(r1.err).toContain("the run directory is on node 0");
    // node 1 wrote only its copy of the code; node 0 the run directory
    expect(readdirSync(join(tmp, "node1")).sort()).toEqual(["torch"]);
    expect(JSON.parse(readFileSync(join(tmp, "node0", "run.json"), "utf8"))).toMatchObject({ worldSize: 2, distBackend: "gloo" });
    expect(await maxRelDiff(join(single, "weights.safetensors"), join(tmp, "node0", "weights.safetensors"))).toBeLessThanOrEqual(1e-5);
  }, 400_000);

  it("killing one rank stops the run with a non-zero exit; the last checkpoint is intact and resumable", async () => {
    const many = join(tmp, "many");
    await makeUnpaired(many, 150, 150, 12, 12);
    const run = join(tmp, "killed");
    const g = ganccBackground(["train", "specs/tiny.gan", ...SMALL, "--data", many, "--out", run, ...TORCH, "--nproc", "2", "--checkpoint-every", "2"]);
    const script = join(run, "torch", "train.py");
    /** the worker process of global rank 1 (not the launcher, whose command line names train.py too) */
    const rank1 = () =>
      pidsWith(script).filter((p) => {
        try {
          const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8");
          return !cmd.includes("launch.py") && !cmd.includes("torch.distributed.run") && readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes("RANK=1");
        } catch {
          return false;
        }
      });
    await waitFor(() => checkpoints(run).length >= 2 && rank1().length === 1, 240_000, `two checkpoints and rank 1 (${g.err()})`);
    process.kill(rank1()[0]!, "SIGKILL");
    const r = await g.done;
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain("one of the 2 PyTorch processes failed and torch.distributed.run stopped the others");
    expect(r.err).toMatch(/the last checkpoint \(iteration \d+\) is kept in .*killed\/checkpoints; continue with --resume/);
    const ck = loadNewestIntactCheckpoint(join(run, "checkpoints"))!;
    expect(ck.skipped).toEqual([]);
    const at = ck.manifest.iteration;
    expect(r.err).toContain(`the last checkpoint (iteration ${at})`);
    expect(JSON.parse(readFileSync(join(run, "report.json"), "utf8")).status.state).toBe("stopped");
    await waitFor(() => pidsWith(script).length === 0, 30_000, "every process of the run to exit");
    // and it continues from there
    const again = gancc(["train", "--resume", run, "--python", PYTHON, "--device", "cpu", "--backend", "cpu", "--nproc", "2", "--max-iters", String(at + 2)]);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain(`resuming at epoch 1, iteration ${at}`);
    expect(loadNewestIntactCheckpoint(join(run, "checkpoints"))!.manifest.iteration).toBe(at + 2);
    expect(existsSync(join(run, "weights.safetensors"))).toBe(true);
  }, 400_000);
});
