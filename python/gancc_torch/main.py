"""The trainer: runs the IR's training loop as src/train/trainer.ts does, printing events for the
Node launcher (one JSON object per line on stdout, each starting with {"gancc":1,).

Options (options.json, written by `gancc train --engine torch` or by hand):
  run_dir           the run directory (checkpoints/ and torch/ are written there)
  data              the dataset root (the IR's data section says how to read it)
  device            "auto" | "cpu" | "cuda"
  dtype             "float32" | "float64"
  max_iterations    stop after this many iterations in all (null: the IR's epochs)
  checkpoint_every  iterations between checkpoints (500); also at every epoch end and at the end
  keep_checkpoints  how many to keep (2)
  sample_every_epochs  epochs between `epoch_end` weight snapshots (1)
  resume            a checkpoint manifest to continue from, or null
  init              a weights file (`param/<IR name>` or plain IR names, IR layout) to start from,
                    or null: the initial weights are drawn as the tfjs engine draws them
  threads           torch CPU threads, or null
  batches           tests: a safetensors file of batches `batch/<i>/<domain>` (NHWC float32, the
                    global batch) used instead of the data loader
  dump              tests: a safetensors file to which every parameter is written at the end
  ir_sha256         the IR hash for checkpoints (default: the one train.py carries)

Distributed (started by torch.distributed.run: RANK / WORLD_SIZE / LOCAL_RANK set): nccl on CUDA,
gloo on CPU; every updated net is wrapped in DistributedDataParallel; every rank plans the same
global batch of world_size x batch items and takes its own slice (so 2 ranks x batch 1 compute
what 1 process x batch 2 does); each rank keeps its own image pool; rank 0 writes checkpoints,
snapshots and events.
"""
import argparse
import json
import os
import re
import signal
import sys
import time
import traceback

import numpy as np
import torch

from . import checkpoint as ckpt
from . import safetensors as st
from .convert import NetParams, image_to_torch
from .data import DataError
from .init import initial_value
from .program import NonFiniteLoss, TrainingProgram

DEFAULTS = {
    "run_dir": ".",
    "data": None,
    "device": "auto",
    "dtype": "float32",
    "max_iterations": None,
    "checkpoint_every": 500,
    "keep_checkpoints": 2,
    "sample_every_epochs": 1,
    "resume": None,
    "init": None,
    "threads": None,
    "batches": None,
    "dump": None,
    "ir_sha256": None,
}


class Events:
    def __init__(self, enabled):
        self.enabled = enabled

    def emit(self, event, **fields):
        if not self.enabled:
            return
        obj = {"gancc": 1, "event": event}
        obj.update(fields)
        sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
        sys.stdout.flush()


class Fatal(Exception):
    def __init__(self, kind, message, **extra):
        super().__init__(message)
        self.kind, self.extra = kind, extra


def lr_multiplier(schedule, epoch, epochs):
    """src/runtime/optim.ts lrMultiplier."""
    import math

    k = schedule["kind"]
    if k == "constant":
        return 1.0
    if k == "linear_decay":
        after = schedule.get("after", 0)
        return 1 - max(0, epoch + 1 - after) / (epochs - after + 1)
    if k == "step":
        return schedule.get("gamma", 0.1) ** (epoch // schedule.get("every", 1))
    if k == "cosine":
        return 0.5 * (1 + math.cos(math.pi * epoch / epochs))
    raise ValueError("internal: unknown schedule %r" % k)


class BatchFile:
    """Pre-made global batches (tests): batch/<i>/<domain>, NHWC float32; one epoch = all of them."""

    def __init__(self, path, domains):
        try:
            tensors, _ = st.read_file(path)
        except (OSError, st.SafetensorsError) as e:
            raise Fatal("data", "the batches file %s cannot be read (%s)" % (path, e))
        self.batches = []
        i = 0
        while ("batch/%d/%s" % (i, domains[0])) in tensors:
            self.batches.append({d: tensors["batch/%d/%s" % (i, d)] for d in domains})
            i += 1
        if not self.batches:
            raise Fatal("data", "%s holds no batches (expected tensors batch/0/%s, ...)" % (path, domains[0]))
        self.batches_per_epoch = len(self.batches)
        self.iteration = 0

    def seek(self, iteration):
        self.iteration = iteration

    def next(self):
        i = self.iteration % len(self.batches)
        self.iteration += 1
        return {"epoch": (self.iteration - 1) // len(self.batches), "index": i, "last": i == len(self.batches) - 1, "data": self.batches[i]}

    def state(self):
        return None


def _device(opt):
    want = opt["device"]
    if want == "cuda" and not torch.cuda.is_available():
        raise Fatal("cuda_missing", "device cuda was requested but torch %s sees no CUDA GPU (torch.cuda.is_available() is False); use --device cpu, or install a CUDA build of torch" % torch.__version__)
    if want == "cuda" or (want == "auto" and torch.cuda.is_available()):
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device("cpu")


def main(nets_module, losses_module, ir_path, ir_sha256=None, argv=None):
    ap = argparse.ArgumentParser(description="Train a gancc spec with PyTorch")
    ap.add_argument("--options", required=True, help="options.json (see gancc_torch/main.py)")
    args = ap.parse_args(argv)
    with open(args.options, "r", encoding="utf-8") as f:
        opt = dict(DEFAULTS)
        opt.update(json.load(f))
    rank = int(os.environ.get("RANK", "0"))
    world = int(os.environ.get("WORLD_SIZE", "1"))
    events = Events(rank == 0)
    try:
        return _train(nets_module, losses_module, ir_path, opt["ir_sha256"] or ir_sha256, opt, rank, world, events)
    except Fatal as e:
        events.emit("error", kind=e.kind, message=str(e), **e.extra)
        if rank != 0:
            sys.stderr.write("rank %d: %s\n" % (rank, e))
        return 1
    except DataError as e:
        events.emit("error", kind="data", message=str(e))
        return 1
    except NonFiniteLoss as e:
        events.emit("error", kind="nonfinite", message=str(e), loss=e.loss, term=e.term, value=str(e.value), iteration=getattr(e, "iteration", None))
        return 1
    except Exception as e:  # noqa: BLE001 - reported as an event, then a non-zero exit
        if type(e).__name__ == "OutOfMemoryError" or "CUDA out of memory" in str(e):
            events.emit("error", kind="cuda_oom", message=str(e).splitlines()[0], size=_size(ir_path), batch=_batch(ir_path))
            return 1
        if world > 1 and re.search(r"gloo|nccl|NCCL|Connection (closed|reset)|connection|timed out", str(e)):
            events.emit("error", kind="rank_lost", message="another training process stopped or lost its connection (%s); this one stops too. The last checkpoint is intact." % str(e).splitlines()[0])
            return 1
        traceback.print_exc()
        events.emit("error", kind="internal", message="%s: %s" % (type(e).__name__, e))
        return 1


def _ir(ir_path):
    with open(ir_path, "r", encoding="utf-8") as f:
        return json.load(f)


def _size(ir_path):
    ir = _ir(ir_path)
    return ir["data"]["crop"]


def _batch(ir_path):
    return _ir(ir_path)["train"]["batch"]


def _train(nets_module, losses_module, ir_path, ir_sha256, opt, rank, world, events):
    ir = _ir(ir_path)
    if opt["threads"]:
        torch.set_num_threads(int(opt["threads"]))
    device = _device(opt)
    dtype = torch.float64 if opt["dtype"] == "float64" else torch.float32
    backend_name = None
    if world > 1:
        import torch.distributed as dist

        backend_name = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend_name)
    run_dir = os.path.abspath(opt["run_dir"])
    domains = [d["name"] for d in ir["data"]["domains"]]
    batch = ir["train"]["batch"]

    # nets, in IR layout at the boundary
    modules = nets_module.build_nets()
    for m in modules.values():
        m.to(device=device, dtype=dtype)
        m.train()
    params = {n: NetParams(modules[n], nets_module.PARAMS[n]) for n in modules}
    program_params = {n: params[n].trainable() for n in modules}
    updated = sorted({n for s in ir["train"]["steps"] for n in s["updates"]})
    seed = ir["train"]["seed"]

    stop = {"now": False}

    def on_signal(signum, _frame):
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    resumed = None
    if opt["resume"]:
        try:
            resumed = ckpt.load(opt["resume"])
        except ckpt.CheckpointError as e:
            raise Fatal("data", str(e))
        if ir_sha256 and resumed[0].get("irSha256") != ir_sha256:
            raise Fatal("data", "%s was saved by a different IR (irSha256 %s, this run's %s): resume with the spec and --set values it was trained with" % (opt["resume"], resumed[0].get("irSha256"), ir_sha256))
    elif opt["init"]:
        try:
            tensors, _ = st.read_file(opt["init"])
        except (OSError, st.SafetensorsError) as e:
            raise Fatal("data", "the initial weights %s cannot be read (%s)" % (opt["init"], e))
        vals = {(k[6:] if k.startswith("param/") else k): v for k, v in tensors.items()}
        for p in params.values():
            try:
                p.load(vals)
            except KeyError as e:
                raise Fatal("data", "%s has no value for parameter %s (a weights file of this spec, with the same --set values, is needed)" % (opt["init"], e.args[0]))
            except ValueError as e:
                raise Fatal("data", "%s does not fit this spec: %s" % (opt["init"], e))
    else:
        total = sum(int(np.prod(p["shape"])) for net in ir["nets"] for p in net["params"])
        if rank == 0 and total > 2_000_000:
            sys.stderr.write("drawing the initial weights (%.1fM parameters) from seed %d as the tfjs engine does; this takes about %d s\n" % (total / 1e6, seed, max(1, round(total * 6e-7))))
            sys.stderr.flush()
        for net in ir["nets"]:
            params[net["name"]].load({p["name"]: initial_value(p, net["init"], seed) for p in net["params"]})

    wrapped = {}
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        for n in updated:
            wrapped[n] = DDP(modules[n], device_ids=[device.index] if device.type == "cuda" else None)

    program = TrainingProgram(ir, losses_module.VALUES, losses_module.LOSSES, modules, program_params, wrapped=wrapped, dtype=dtype, device=device)

    def to_device(a):
        t = torch.from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1) if a.ndim == 3 else a))
        return t.to(device=device, dtype=dtype)

    iteration = epoch = epoch_iteration = 0
    last_losses = {}
    if resumed:
        m, tensors = resumed
        ckpt.restore(m, tensors, params, program, to_device)
        iteration, epoch, epoch_iteration = m["iteration"], m["epoch"], m["epochIteration"]
        last_losses = m.get("losses", {})

    # data: every rank plans the same global batch and takes its slice
    if opt["batches"]:
        source = BatchFile(opt["batches"], domains)
        source.seek(iteration)
    else:
        from .data import open_loader

        source = open_loader(opt["data"], ir, batch * world, seed, world > 1, (resumed[0].get("data") if resumed else None))
    per_epoch = source.batches_per_epoch
    epochs = ir["train"]["epochs"]
    total = epochs * per_epoch
    if opt["max_iterations"] is not None:
        total = min(total, int(opt["max_iterations"]))
    backend = "torch-cuda" if device.type == "cuda" else "torch-cpu"
    events.emit(
        "start",
        torch=torch.__version__.split("+")[0],
        device=str(device) if device.type == "cuda" else "cpu",
        device_name=torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        world_size=world,
        dist_backend=backend_name,
        dtype=opt["dtype"],
        iteration=iteration,
        epoch=epoch,
        iterations_per_epoch=per_epoch,
        total_iterations=total,
    )
    ck_dir = os.path.join(run_dir, "checkpoints")
    lr_scale = lr_multiplier(ir["train"]["schedule"], epoch, epochs)
    last_saved = iteration

    def save():
        nonlocal last_saved
        if rank == 0:
            name = ckpt.save(ck_dir, ir, ir_sha256 or "", params, program, iteration, epoch, epoch_iteration, source.state(), lr_scale, last_losses, backend, opt["keep_checkpoints"])
            events.emit("checkpoint", iteration=iteration, manifest="checkpoints/" + name)
        last_saved = iteration
        return "checkpoints/iter-%06d.json" % iteration

    def snapshot(ep):
        if rank != 0:
            return
        d = os.path.join(run_dir, "torch")
        os.makedirs(d, exist_ok=True)
        name = "epoch-%04d.safetensors" % ep
        vals = {}
        for p in params.values():
            vals.update({"param/" + k: v for k, v in p.read().items()})
        st.write_file(os.path.join(d, name), vals, {"format": "gancc-torch-snapshot", "iteration": str(iteration)})
        events.emit("epoch_end", epoch=ep, iteration=iteration, weights="torch/" + name)

    state = "finished"
    lo, hi = rank * batch, (rank + 1) * batch
    while epoch < epochs and (opt["max_iterations"] is None or iteration < int(opt["max_iterations"])):
        b = source.next()
        if b["epoch"] != epoch:
            epoch, epoch_iteration = b["epoch"], 0
        if epoch >= epochs:
            break
        lr_scale = lr_multiplier(ir["train"]["schedule"], epoch, epochs)
        x = {d: torch.from_numpy(image_to_torch(np.asarray(b["data"][d])[lo:hi] if world > 1 else np.asarray(b["data"][d]))).to(device=device, dtype=dtype) for d in domains}
        t0, c0 = time.time(), time.process_time()
        try:
            last_losses = program.run_iteration(x, lr_scale)
        except NonFiniteLoss as e:
            e.iteration = iteration + 1
            raise
        cpu = time.process_time() - c0
        if world > 1:
            last_losses = _mean_losses(last_losses, device)
        iteration += 1
        epoch_iteration += 1
        events.emit("iteration", iteration=iteration, epoch=epoch, epoch_iteration=epoch_iteration, losses=last_losses, lr_scale=lr_scale, seconds=time.time() - t0, cpu_seconds=cpu)
        want_stop = _agree(stop["now"], world, device)
        if b["last"]:
            epoch += 1
            epoch_iteration = 0
            save()
            if epoch % max(1, int(opt["sample_every_epochs"])) == 0 or epoch == epochs:
                snapshot(epoch)
        elif iteration % int(opt["checkpoint_every"]) == 0 or want_stop:
            save()
        if want_stop:
            state = "stopped"
            break
    if last_saved != iteration or not os.path.exists(os.path.join(ck_dir, "iter-%06d.json" % iteration)):
        save()
    if state == "finished" and opt["max_iterations"] is not None and epoch < epochs:
        state = "stopped"
    if opt["dump"] and rank == 0:
        vals = {}
        for p in params.values():
            vals.update({"param/" + k: v for k, v in p.read().items()})
        st.write_file(opt["dump"], vals)
    events.emit("done", state=state, iteration=iteration, manifest="checkpoints/iter-%06d.json" % iteration)
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
        dist.destroy_process_group()
    return 0


def _mean_losses(losses, device):
    import torch.distributed as dist

    keys = [(l, t) for l in sorted(losses) for t in losses[l]]
    v = torch.tensor([losses[l][t] for l, t in keys], dtype=torch.float64, device=device)
    dist.all_reduce(v)
    v /= dist.get_world_size()
    out = {}
    for (l, t), x in zip(keys, v.tolist()):
        out.setdefault(l, {})[t] = x
    return out


def _agree(flag, world, device):
    """A stop request on any rank stops every rank after the same iteration."""
    if world <= 1:
        return flag
    import torch.distributed as dist

    v = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(v)
    return bool(v.item() > 0)
