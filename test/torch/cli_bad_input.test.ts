// `gancc train --engine torch` on bad input: each a clear message, the right exit code, and
// nothing lost (a run that could not start leaves no directory behind; a run that started keeps
// what it wrote). No interpreter, a missing or old torch and a CUDA build without a driver are
// made with an empty PATH, fake `torch` packages on PYTHONPATH, and fake interpreters (shell
// scripts that answer gancc's probe and print the runtime's events); CUDA absent is the real
// condition on a CPU-only machine.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUnpaired } from "../data/fixtures.js";
import { formatBytes, summarize } from "../../src/compiler/summary.js";
import { PYTHON, compileSpec, noTorch, tempDir } from "./helpers.js";
import { fakePython, gancc, testEnv } from "./cli_helpers.js";

const SMALL = ["--set", "nf=2", "--set", "size=8"];
let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = tempDir("cli-bad");
  data = join(tmp, "data");
  await makeUnpaired(data, 3, 3, 12, 12);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const train = (out: string, ...extra: string[]) => ["train", "specs/tiny.gan", ...SMALL, "--data", data, "--out", join(tmp, out), "--engine", "torch", ...extra];

describe("gancc train --engine torch: no usable interpreter", () => {
  it("no python3 on PATH: says so, suggests --python or the tfjs engine, writes nothing", () => {
    const r = gancc(train("nopy"), testEnv({ PATH: join(tmp, "empty-bin") }));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("there is no python3 on PATH");
    expect(r.err).toContain("--engine tfjs");
    expect(existsSync(join(tmp, "nopy"))).toBe(false);
  });

  it("--python pointing nowhere", () => {
    const r = gancc(train("nowhere", "--python", join(tmp, "no", "python3")));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/--python .*no\/python3: no such file/);
    expect(existsSync(join(tmp, "nowhere"))).toBe(false);
  });

  it("the torch engine's flags without --engine torch", () => {
    const r = gancc(["train", "specs/tiny.gan", ...SMALL, "--data", data, "--out", join(tmp, "tfjs"), "--nproc", "2", "--device", "cpu"]);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("--device, --nproc are options of the torch engine; add --engine torch");
  });

  it("the tfjs engine's --recompute with --engine torch: refused before anything runs", () => {
    const r = gancc(train("recompute", "--recompute", "residual"));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("--recompute is an option of the tfjs engine");
    expect(r.err).not.toContain("gancc: training");
    expect(existsSync(join(tmp, "recompute"))).toBe(false);
  });

  it("bad topology flags", () => {
    const r = gancc(train("topo", "--python", PYTHON, "--nnodes", "2"));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("--nnodes 2 needs --master-addr");
  });

  it("YAML: the new keys are read, and a wrong engine names the choices", () => {
    const cfg = join(tmp, "run.yaml");
    writeFileSync(cfg, `engine: torch\npython: ${join(tmp, "nope-python")}\ndevice: cpu\nnproc: 1\n`);
    const r = gancc(["train", "specs/tiny.gan", ...SMALL, "--data", data, "--out", join(tmp, "yaml"), "--config", cfg]);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("nope-python: no such file");
    writeFileSync(cfg, "engine: pytorch\n");
    const bad = gancc(["train", "specs/tiny.gan", "--data", data, "--config", cfg]);
    expect(bad.code, bad.err).toBe(2);
    expect(bad.err).toMatch(/run\.yaml:1:\d+: engine must be one of tfjs, torch/);
  });
});

describe.skipIf(noTorch())("gancc train --engine torch: torch missing, too old, no CUDA", () => {
  const fakeTorch = (name: string, body: string) => {
    const dir = join(tmp, name);
    mkdirSync(join(dir, "torch"), { recursive: true });
    writeFileSync(join(dir, "torch", "__init__.py"), body);
    return dir;
  };

  it("torch missing", () => {
    const r = gancc(train("notorch", "--python", PYTHON), testEnv({ PYTHONPATH: fakeTorch("t-missing", "raise ModuleNotFoundError(\"No module named 'torch'\")\n") }));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`PyTorch cannot be imported by ${PYTHON}`);
    expect(r.err).toContain("apt-get install python3-torch");
    expect(existsSync(join(tmp, "notorch"))).toBe(false);
  });

  it("torch older than 1.13", () => {
    const r = gancc(train("oldtorch", "--python", PYTHON), testEnv({ PYTHONPATH: fakeTorch("t-old", "__version__ = '1.12.1'\n") }));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("has PyTorch 1.12.1, and the torch engine needs 1.13 or newer");
    expect(existsSync(join(tmp, "oldtorch"))).toBe(false);
  });

  it("--device cuda where PyTorch sees no GPU", () => {
    const r = gancc(train("nocuda", "--python", PYTHON, "--device", "cuda"));
    if (r.code === 0) return; // a machine with a GPU: nothing to check here
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/--device cuda, but PyTorch .* sees no CUDA GPU/);
    expect(r.err).toContain("Use --device cpu");
    expect(existsSync(join(tmp, "nocuda"))).toBe(false);
  });
});

describe("gancc train --engine torch: failures while running (fake interpreters)", () => {
  const start = { gancc: 1, event: "start", torch: "1.13.1", device: "cuda:0", device_name: "Fake GPU", world_size: 1, dist_backend: null, dtype: "float32", iteration: 0, epoch: 0, iterations_per_epoch: 3, total_iterations: 12 };

  it("CUDA out of memory: names the size and batch and gives `gancc summary`'s estimate; the started run keeps its files", () => {
    const py = fakePython(join(tmp, "oom-python"), {
      lines: [
        JSON.stringify(start),
        JSON.stringify({ gancc: 1, event: "error", kind: "cuda_oom", message: "CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 7.79 GiB total capacity)", size: 8, batch: 1 }),
      ],
      exit: 1,
    });
    const r = gancc(train("oom", "--python", py));
    expect(r.code, r.err).toBe(1);
    const ir = compileSpec("specs/tiny.gan", { nf: "2", size: "8" });
    const s = summarize(ir).stepBytes;
    expect(r.err).toContain("CUDA ran out of memory at iteration 1, training at size 8×8 with batch 1");
    expect(r.err).toContain(`\`gancc summary\` estimates ${formatBytes(s.activations + s.parameters)}`);
    expect(r.err).toContain("Tried to allocate 20.00 MiB");
    expect(r.err).toContain("no checkpoint had been written yet");
    // the run had started: what it wrote stays, and the report says why it stopped
    expect(existsSync(join(tmp, "oom", "ir.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(tmp, "oom", "run.json"), "utf8"))).toMatchObject({ engine: "torch", device: "cuda:0", deviceName: "Fake GPU" });
    expect(readFileSync(join(tmp, "oom", "index.html"), "utf8")).toContain("CUDA ran out of memory");
  });

  it("a runtime that dies before it starts: the message says so and the new run directory is removed", () => {
    const py = fakePython(join(tmp, "dying-python"), { stderr: "Fatal Python error: Segmentation fault", exit: 139 });
    const r = gancc(train("dies", "--python", py));
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain("Fatal Python error: Segmentation fault");
    expect(r.err).toContain("the PyTorch runtime failed before training started: the PyTorch process exited with code 139");
    expect(existsSync(join(tmp, "dies"))).toBe(false);
  });

  it("a garbled event is an internal error, not silence", () => {
    const py = fakePython(join(tmp, "garbled-python"), { lines: ['{"gancc":1,"event":"iter'], exit: 0 });
    const r = gancc(train("garbled", "--python", py));
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain("unreadable event");
  });
});
