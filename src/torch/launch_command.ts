/**
 * What the Node launcher hands the Python runtime: `RUN/torch/options.json` (the contract in
 * python/gancc_torch/main.py) and the command line, one process (`python3 train.py --options …`)
 * or `python3 -m torch.distributed.run` for several processes and/or several machines.
 */
import type { TorchDevice } from "./python_env.js";

/** How many processes, on how many machines, and where this launcher is among them. */
export interface Topology {
  /** processes on this machine (default 1) */
  nproc: number;
  /** machines (default 1) */
  nnodes: number;
  /** this machine's index, 0..nnodes-1 (0 writes the run directory) */
  nodeRank: number;
  /** rank 0's machine (needed when nnodes > 1) */
  masterAddr?: string;
  /** its rendezvous port (default 29500 on several machines; a free one on one machine) */
  masterPort?: number;
}

export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TopologyError";
  }
}

/** Checks the flags' combination; returns the topology with defaults filled in. */
export function resolveTopology(t: Partial<Topology>): Topology {
  const nproc = t.nproc ?? 1;
  const nnodes = t.nnodes ?? 1;
  const nodeRank = t.nodeRank ?? 0;
  const int = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new TopologyError(`${name} must be an integer ≥ ${min}, got ${v}`);
  };
  int("--nproc", nproc, 1);
  int("--nnodes", nnodes, 1);
  int("--node-rank", nodeRank, 0);
  if (nodeRank >= nnodes) throw new TopologyError(`--node-rank ${nodeRank} is not below --nnodes ${nnodes}; the machines are numbered 0..${nnodes - 1}, and 0 writes the run directory`);
  if (nnodes > 1 && !t.masterAddr) throw new TopologyError(`--nnodes ${nnodes} needs --master-addr: the address of the machine started with --node-rank 0, which every machine can reach (e.g. --master-addr 10.0.0.1)`);
  if (t.masterPort !== undefined && (!Number.isInteger(t.masterPort) || t.masterPort < 1 || t.masterPort > 65535)) throw new TopologyError(`--master-port must be a port number 1..65535, got ${t.masterPort}`);
  if (nnodes === 1 && t.nodeRank !== undefined && t.nodeRank !== 0) throw new TopologyError(`--node-rank ${t.nodeRank} needs --nnodes greater than ${t.nodeRank}`);
  return { nproc, nnodes, nodeRank, masterAddr: t.masterAddr, masterPort: t.masterPort };
}

export function worldSize(t: Topology): number {
  return t.nproc * t.nnodes;
}

export function isDistributed(t: Topology): boolean {
  return t.nproc > 1 || t.nnodes > 1;
}

/** options.json, as python/gancc_torch/main.py reads it. */
export interface TorchOptionsFile {
  run_dir: string;
  data: string;
  device: TorchDevice;
  dtype: "float32" | "float64";
  max_iterations: number | null;
  checkpoint_every: number;
  keep_checkpoints: number;
  sample_every_epochs: number;
  /** the checkpoint manifest to resume from (absolute), chosen by the launcher */
  resume: string | null;
  threads: number | null;
  /** tests: pre-made input batches instead of the data loader, and where to dump every parameter after the run */
  batches: string | null;
  dump: string | null;
}

/**
 * The interpreter's arguments that run `script` with `optionsFile` under topology `t`.
 * `launcher`: the runtime's gancc_torch/launch.py, which is `-m torch.distributed.run` with a fix
 * for torch < 2 under Python ≥ 3.11 (it cannot parse its own defaults `--redirects 0 --tee 0`:
 * Std.NONE, a zero IntFlag, is no longer iterated, becomes None, and the launcher crashes).
 * Without it, `-m torch.distributed.run` is used with a mapping for a local rank that does not
 * exist, which means the same ("no redirection") and parses everywhere.
 */
export function pythonArgs(script: string, optionsFile: string, t: Topology, launcher?: string): string[] {
  const run = [script, "--options", optionsFile];
  if (!isDistributed(t)) return run;
  const args = [...(launcher ? [launcher] : ["-m", "torch.distributed.run"]), "--nproc_per_node", String(t.nproc), "--max_restarts", "0", "--monitor_interval", "1"];
  if (!launcher && t.nproc <= 9) args.push("--redirects", "9:1", "--tee", "9:1");
  if (t.nnodes === 1 && t.masterPort === undefined) {
    // one machine: a rendezvous on a free port, so that two runs on one machine do not collide
    args.push("--standalone");
  } else {
    args.push("--nnodes", String(t.nnodes), "--node_rank", String(t.nodeRank), "--master_addr", t.masterAddr ?? "127.0.0.1", "--master_port", String(t.masterPort ?? 29500));
  }
  return [...args, ...run];
}
