// The torch launcher's checks before anything runs: finding the interpreter, torch's version,
// CUDA; the flags' topology; the events' parsing; the out-of-memory message. Conditions that
// cannot be produced here (an old torch, no torch) are made with a fake `torch` package put first
// on PYTHONPATH, and a missing interpreter with an empty PATH.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PythonEnvError, checkPythonEnv, findPython, torchVersionParts } from "../../src/torch/python_env.js";
import { TopologyError, pythonArgs, resolveTopology } from "../../src/torch/launch_command.js";
import { parseEventLine } from "../../src/torch/launch_events.js";
import { explainFailure } from "../../src/torch/launch.js";
import { formatBytes, summarize } from "../../src/compiler/summary.js";
import { PYTHON, compileSpec, noTorch, tempDir } from "./helpers.js";

/** A folder with a fake `torch` package whose __init__ runs `body`. */
function fakeTorch(body: string): string {
  const dir = tempDir("faketorch");
  mkdirSync(join(dir, "torch"));
  writeFileSync(join(dir, "torch", "__init__.py"), body);
  return dir;
}

describe("finding the interpreter", () => {
  it("python3 on PATH, or a clear message when there is none", () => {
    const bin = tempDir("bin");
    expect(() => findPython(undefined, { PATH: bin })).toThrow(PythonEnvError);
    expect(() => findPython(undefined, { PATH: bin })).toThrow(/no python3 on PATH.*--engine tfjs/);
    const p = join(bin, "python3");
    writeFileSync(p, "#!/bin/sh\nexit 0\n");
    chmodSync(p, 0o755);
    expect(findPython(undefined, { PATH: `/nonexistent:${bin}` })).toBe(p);
  });

  it("--python pointing nowhere, at a directory, at a file that cannot run", () => {
    const dir = tempDir("py");
    expect(() => findPython(join(dir, "nope"))).toThrow(/--python .*nope: no such file/);
    expect(() => findPython(dir)).toThrow(/is a directory/);
    const f = join(dir, "notexec");
    writeFileSync(f, "");
    chmodSync(f, 0o644);
    expect(() => findPython(f)).toThrow(/is not executable/);
    expect(() => findPython("no-such-python-here", { PATH: dir })).toThrow(/no such command on PATH/);
  });

  it("an executable that is not Python", () => {
    const dir = tempDir("py");
    const f = join(dir, "python3");
    writeFileSync(f, "#!/bin/sh\necho hello; exit 4\n");
    chmodSync(f, 0o755);
    expect(() => checkPythonEnv(f, { device: "auto" })).toThrow(/is not a working Python 3 interpreter \(exit 4/);
  });

  it("torch version parts", () => {
    expect(torchVersionParts("1.13.0a0+gitabc")).toEqual([1, 13]);
    expect(torchVersionParts("2.1.0+cu121")).toEqual([2, 1]);
    expect(torchVersionParts("garbage")).toBeUndefined();
  });
});

describe.skipIf(noTorch())("checking torch (with /usr/bin/python3)", () => {
  it("accepts Debian's torch 1.13 on the CPU; auto resolves to cpu here", () => {
    const env = checkPythonEnv(PYTHON, { device: "auto" });
    expect(torchVersionParts(env.torch)![0]! * 100 + torchVersionParts(env.torch)![1]!).toBeGreaterThanOrEqual(113);
    expect(env.device).toBe(env.cuda.available ? "cuda" : "cpu");
  });

  it("torch missing: names the interpreter and how to install it", () => {
    const dir = fakeTorch("raise ImportError('No module named torch (fake)')\n");
    const run = () => checkPythonEnv(PYTHON, { device: "auto", env: { ...process.env, PYTHONPATH: dir } });
    expect(run).toThrow(/PyTorch cannot be imported by \/usr\/bin\/python3.*ImportError.*apt-get install python3-torch/);
  });

  it("torch older than 1.13", () => {
    const dir = fakeTorch("__version__ = '1.12.1'\n");
    expect(() => checkPythonEnv(PYTHON, { device: "auto", env: { ...process.env, PYTHONPATH: dir } })).toThrow(/has PyTorch 1\.12\.1, and the torch engine needs 1\.13 or newer/);
  });

  it("CUDA requested but absent (the real condition on this CPU-only machine), and --nproc above the GPU count", () => {
    const env = checkPythonEnv(PYTHON, { device: "auto" });
    if (env.cuda.available) {
      expect(() => checkPythonEnv(PYTHON, { device: "cuda", nproc: env.cuda.devices + 1 })).toThrow(/--nproc .* one GPU per process/);
      return;
    }
    expect(() => checkPythonEnv(PYTHON, { device: "cuda" })).toThrow(/--device cuda, but PyTorch .* sees no CUDA GPU.*--device cpu/);
    // and with a fake CUDA build whose driver is missing
    const dir = fakeTorch("__version__ = '2.1.0+cu121'\nclass cuda:\n  @staticmethod\n  def is_available(): return False\nclass version:\n  cuda = '12.1'\n");
    expect(() => checkPythonEnv(PYTHON, { device: "cuda", env: { ...process.env, PYTHONPATH: dir } })).toThrow(/built for CUDA 12\.1; check the driver with nvidia-smi/);
  });
});

describe("topology", () => {
  it("defaults, and the flags that do not fit together", () => {
    expect(resolveTopology({})).toEqual({ nproc: 1, nnodes: 1, nodeRank: 0, masterAddr: undefined, masterPort: undefined });
    expect(() => resolveTopology({ nnodes: 2 })).toThrow(/needs --master-addr/);
    expect(() => resolveTopology({ nnodes: 2, nodeRank: 2, masterAddr: "h" })).toThrow(/--node-rank 2 is not below --nnodes 2/);
    expect(() => resolveTopology({ nodeRank: 1 })).toThrow(TopologyError);
    expect(() => resolveTopology({ nproc: 0 })).toThrow(/--nproc must be an integer ≥ 1/);
    expect(() => resolveTopology({ masterPort: 70000 })).toThrow(/--master-port/);
  });

  it("one process runs train.py; several run torch.distributed.run", () => {
    expect(pythonArgs("t.py", "o.json", resolveTopology({}))).toEqual(["t.py", "--options", "o.json"]);
    const one = pythonArgs("t.py", "o.json", resolveTopology({ nproc: 2 }));
    expect(one.slice(0, 4)).toEqual(["-m", "torch.distributed.run", "--nproc_per_node", "2"]);
    expect(one).toContain("--standalone");
    expect(one.slice(-3)).toEqual(["t.py", "--options", "o.json"]);
    const two = pythonArgs("t.py", "o.json", resolveTopology({ nproc: 1, nnodes: 2, nodeRank: 1, masterAddr: "10.0.0.1", masterPort: 1234 }));
    expect(two.join(" ")).toContain("--nnodes 2 --node_rank 1 --master_addr 10.0.0.1 --master_port 1234");
    expect(two).not.toContain("--standalone");
    // the runtime's launch.py (torch.distributed.run with a fix for torch < 2 on Python ≥ 3.11), when given
    const l = pythonArgs("t.py", "o.json", resolveTopology({ nproc: 2 }), "gancc_torch/launch.py");
    expect(l.slice(0, 3)).toEqual(["gancc_torch/launch.py", "--nproc_per_node", "2"]);
    expect(l).not.toContain("--redirects");
  });
});

describe("events", () => {
  it("parses event lines, passes other lines, reports broken ones", () => {
    expect(parseEventLine("hello")).toBeUndefined();
    expect(parseEventLine('{"other":1}')).toBeUndefined();
    expect(parseEventLine('{"gancc":1,"event":"checkpoint","iteration":3,"manifest":"checkpoints/iter-000003.json"}')).toEqual({ gancc: 1, event: "checkpoint", iteration: 3, manifest: "checkpoints/iter-000003.json" });
    expect(parseEventLine('{"gancc":1,"event":"checkp')).toMatchObject({ event: "error", kind: "internal", message: expect.stringContaining("unreadable event") });
    expect(parseEventLine('{"gancc":1,"event":"party"}')).toMatchObject({ event: "error", kind: "internal", message: expect.stringContaining("unknown event") });
  });

  it("out of memory: names the size and batch and gives `gancc summary`'s estimate for that batch", () => {
    const ir = compileSpec("specs/cyclegan.gan");
    const m = explainFailure(ir, { event: "error", kind: "cuda_oom", message: "CUDA out of memory. Tried to allocate 2.00 GiB", size: 256, batch: 4 }, 10, "the last checkpoint (iteration 10) is kept in R");
    const s = summarize(ir).stepBytes;
    const act = (s.activations / ir.train.batch) * 4;
    expect(m).toContain("size 256×256 with batch 4");
    expect(m).toContain(`estimates ${formatBytes(act + s.parameters)}`);
    expect(m).toContain("Tried to allocate 2.00 GiB");
    expect(m).toContain("iteration 11"); // the one after the 10 completed
    expect(m).toContain("the last checkpoint (iteration 10) is kept");
    const nf = explainFailure(ir, { event: "error", kind: "nonfinite", message: "x", loss: "generator", term: "cycle_A", value: "nan", iteration: 6 }, 5, "K");
    expect(nf).toMatch(/loss term `cycle_A` \(loss `generator`\) became nan at iteration 6.*K/);
  });
});

describe.skipIf(noTorch())("a default python3 without torch", () => {
  it("names another python3 that has it (a pyenv python3 shadowing Debian's), only when asked to", () => {
    const bin = tempDir("shadow");
    const fake = join(bin, "python3");
    // the probe answers "no torch"; any other call (the other-interpreter check) fails too
    writeFileSync(fake, `#!/bin/sh\nif [ "$1" = "-c" ]; then echo '{"python": "3.11.7", "error": "ModuleNotFoundError: No module named torch"}'; exit 3; fi\nexit 1\n`);
    chmodSync(fake, 0o755);
    const env = { ...process.env, PATH: `${bin}:/usr/bin:/bin` };
    expect(() => checkPythonEnv(fake, { device: "auto", env, suggestOthers: true })).toThrow(
      new RegExp(`PyTorch cannot be imported by ${fake}.*; ${PYTHON} has PyTorch [0-9.]+\\S*: pass --python ${PYTHON}, or install`),
    );
    expect(() => checkPythonEnv(fake, { device: "auto", env })).toThrow(/PyTorch cannot be imported by .*: ModuleNotFoundError: No module named torch; install PyTorch/);
  });
});
