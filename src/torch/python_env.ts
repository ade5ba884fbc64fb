/**
 * Finding the Python that runs the torch engine and checking it before anything is written:
 * the interpreter exists and runs, `import torch` works, torch is at least 1.13 (the runtime in
 * python/gancc_torch needs nothing newer), numpy and Pillow import, and CUDA is there when
 * `--device cuda` asks for it. Each failure is a PythonEnvError whose message says what is
 * wrong, with which interpreter, and what to do.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, realpathSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

export const MIN_TORCH = [1, 13] as const;

export type TorchDevice = "auto" | "cpu" | "cuda";

export class PythonEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PythonEnvError";
  }
}

export interface PythonEnv {
  /** the interpreter, as found (absolute where it was found on PATH) */
  python: string;
  pythonVersion: string;
  torch: string;
  cuda: { available: boolean; devices: number; names: string[]; version: string | null };
  /** the device the run asks for: "cpu" or "cuda" (auto resolved: cuda when available) */
  device: "cpu" | "cuda";
}

const INSTALL = "install PyTorch ≥ 1.13 with numpy and Pillow for that interpreter (Debian/Ubuntu: apt-get install python3-torch python3-numpy python3-pil; elsewhere: pip install torch numpy pillow), or pass --python PATH to one that has them";

/** The interpreter to use: `explicit` (a path or a command name on PATH), else python3 on PATH. */
export function findPython(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = explicit ?? "python3";
  if (explicit !== undefined && (isAbsolute(name) || name.includes("/"))) {
    let st;
    try {
      st = statSync(name);
    } catch {
      throw new PythonEnvError(`--python ${name}: no such file; give the path of a Python 3 interpreter with PyTorch (e.g. --python /usr/bin/python3)`);
    }
    if (st.isDirectory()) throw new PythonEnvError(`--python ${name} is a directory; give the interpreter itself (e.g. ${join(name, "bin", "python3")})`);
    try {
      accessSync(name, constants.X_OK);
    } catch {
      throw new PythonEnvError(`--python ${name} is not executable; give the path of a Python 3 interpreter (chmod +x, or another path)`);
    }
    return name;
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) {
        accessSync(p, constants.X_OK);
        return p;
      }
    } catch {
      /* not here */
    }
  }
  throw new PythonEnvError(
    explicit !== undefined
      ? `--python ${name}: no such command on PATH; give the path of a Python 3 interpreter with PyTorch`
      : `the torch engine needs Python 3 with PyTorch, and there is no python3 on PATH; install Python 3 and ${INSTALL.replace("install ", "")}, or train with --engine tfjs (no Python needed)`,
  );
}

/** Prints one JSON line describing the interpreter and its torch; exits 3 when torch does not import. */
const PROBE = `
import json, sys
info = {"python": sys.version.split()[0]}
try:
    import torch
except Exception as e:
    info["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(info)); sys.exit(3)
info["torch"] = str(torch.__version__)
missing = []
for m in ("numpy", "PIL"):
    try:
        __import__(m)
    except Exception as e:
        missing.append("%s (%s)" % (m, e))
info["missing"] = missing
try:
    cuda = torch.cuda.is_available()
    info["cuda"] = {"available": bool(cuda), "devices": torch.cuda.device_count() if cuda else 0,
                    "names": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else [],
                    "version": torch.version.cuda}
except Exception as e:
    info["cuda"] = {"available": False, "devices": 0, "names": [], "version": None, "error": str(e)}
print(json.dumps(info))
`;

/** `1.13.0a0+git…`, `2.1.0+cu121` → [major, minor]; undefined when unreadable. */
export function torchVersionParts(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * Runs the probe with `python` and checks what the run needs. `device` "cuda" fails when CUDA
 * is absent, and so does `nproc` above the GPU count on CUDA.
 */
export function checkPythonEnv(python: string, o: { device: TorchDevice; nproc?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number; suggestOthers?: boolean }): PythonEnv {
  const r = spawnSync(python, ["-c", PROBE], { encoding: "utf8", env: o.env ?? process.env, timeout: o.timeoutMs ?? 120_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new PythonEnvError(`cannot run ${python}: no such file; give --python the path of a Python 3 interpreter with PyTorch`);
    if (code === "EACCES") throw new PythonEnvError(`cannot run ${python}: permission denied; give --python the path of a Python 3 interpreter`);
    if (code === "ETIMEDOUT") throw new PythonEnvError(`${python} did not answer within ${Math.round((o.timeoutMs ?? 120_000) / 1000)} s while importing torch; check that \`${python} -c "import torch"\` works`);
    throw new PythonEnvError(`cannot run ${python}: ${r.error.message}`);
  }
  const line = (r.stdout ?? "").trim().split("\n").reverse().find((l) => l.startsWith("{"));
  let info: { python?: string; torch?: string; error?: string; missing?: string[]; cuda?: PythonEnv["cuda"] } | undefined;
  try {
    info = line ? JSON.parse(line) : undefined;
  } catch {
    info = undefined;
  }
  if (!info) {
    const err = (r.stderr ?? "").trim().split("\n").slice(-3).join(" | ");
    throw new PythonEnvError(`${python} is not a working Python 3 interpreter (exit ${r.status ?? r.signal}${err ? `: ${err}` : ""}); give --python the path of one with PyTorch ≥ 1.13`);
  }
  if (info.error !== undefined || info.torch === undefined) {
    const other = o.suggestOthers ? otherPythonWithTorch(python, o.env ?? process.env) : undefined;
    const hint = other ? `; ${other.path} has PyTorch ${other.torch}: pass --python ${other.path}, or ` : "; ";
    throw new PythonEnvError(`PyTorch cannot be imported by ${python} (Python ${info.python}): ${info.error}${hint}${INSTALL}`);
  }
  const parts = torchVersionParts(info.torch);
  if (!parts || parts[0] < MIN_TORCH[0] || (parts[0] === MIN_TORCH[0] && parts[1] < MIN_TORCH[1])) {
    throw new PythonEnvError(`${python} has PyTorch ${info.torch}, and the torch engine needs ${MIN_TORCH.join(".")} or newer; upgrade it (pip install -U torch) or pass --python PATH to another interpreter`);
  }
  if (info.missing?.length) throw new PythonEnvError(`${python} has PyTorch ${info.torch} but cannot import ${info.missing.join(", ")}; install them (apt-get install python3-numpy python3-pil, or pip install numpy pillow)`);
  const cuda = info.cuda ?? { available: false, devices: 0, names: [], version: null };
  if (o.device === "cuda" && !cuda.available) {
    throw new PythonEnvError(
      `--device cuda, but PyTorch ${info.torch} in ${python} sees no CUDA GPU (${cuda.version ? `built for CUDA ${cuda.version}; check the driver with nvidia-smi and CUDA_VISIBLE_DEVICES` : "it is a CPU-only build; install a CUDA build of PyTorch"}). Use --device cpu (or auto) to train on the CPU`,
    );
  }
  const device = o.device === "auto" ? (cuda.available ? "cuda" : "cpu") : o.device;
  if (device === "cuda" && o.nproc !== undefined && o.nproc > cuda.devices) {
    throw new PythonEnvError(`--nproc ${o.nproc} asks for one GPU per process, and this machine has ${cuda.devices} (${cuda.names.join(", ")}); use --nproc ${cuda.devices} or fewer`);
  }
  return { python, pythonVersion: info.python ?? "?", torch: info.torch, cuda, device };
}

/**
 * Another python3 that imports torch ≥ 1.13, for the message when the default one (python3 on
 * PATH) cannot: a pyenv or virtualenv python3 often shadows the system one that has Debian's
 * python3-torch. Looks at the other python3s on PATH and the usual system places; the first that
 * answers wins. Only called on that error path (each probe is a Python start with an import).
 */
export function otherPythonWithTorch(python: string, env: NodeJS.ProcessEnv = process.env): { path: string; torch: string } | undefined {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  };
  const seen = new Set([real(python) ?? python]);
  const candidates = [...(env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, "python3")), "/usr/bin/python3", "/usr/local/bin/python3", "/opt/conda/bin/python3"];
  for (const p of candidates) {
    const r0 = real(p);
    if (!r0 || seen.has(r0)) continue;
    seen.add(r0);
    const r = spawnSync(p, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8", env, timeout: 60_000 });
    const v = r.status === 0 ? (r.stdout ?? "").trim().split("\n").pop() : undefined;
    const parts = v ? torchVersionParts(v) : undefined;
    if (v && parts && (parts[0] > MIN_TORCH[0] || (parts[0] === MIN_TORCH[0] && parts[1] >= MIN_TORCH[1]))) return { path: p, torch: v };
  }
  return undefined;
}
