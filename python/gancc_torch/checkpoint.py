"""Checkpoints in the tfjs engine's format (src/train/checkpoint.ts), so a run resumes on either
engine: checkpoints/iter-NNNNNN.safetensors (`param/<IR name>` IR layout, `opt<i>/<IR name>/<slot>`,
`pool/<value id>/<k>` NHWC, all F32), iter-NNNNNN.json (the manifest), latest.json written last;
atomic writes; the newest `keep` kept."""
import datetime
import json
import os
import re

import numpy as np

from . import safetensors as st
from .convert import image_to_ir

FORMAT = "gancc-checkpoint"


def save(directory, ir, ir_sha256, nets, program, iteration, epoch, epoch_iteration, data_state, lr_scale, losses, backend, keep=2):
    """nets: net name -> NetParams. Returns the manifest file name relative to the run dir."""
    os.makedirs(directory, exist_ok=True)
    tensors = {}
    owner = {}
    for np_ in nets.values():
        for n, a in np_.read().items():
            tensors["param/" + n] = a
            owner[n] = np_
    for i, opt in enumerate(program.optimizers):
        names = opt.names()
        for pname, slots in opt.slots.items():
            for sname, s in zip(names, slots):
                tensors["opt%d/%s/%s" % (i, pname, sname)] = owner[pname].to_ir(pname, s)
    pools = {}
    for vid, p in program.pools.items():
        pools[vid] = {"size": p.size, "swap": p.swap, "shape": p.shape, "count": len(p.images)}
        for k, img in enumerate(p.images):
            tensors["pool/%s/%d" % (vid, k)] = image_to_ir(img)
    stem = "iter-%06d" % iteration
    manifest = {
        "format": FORMAT,
        "version": 1,
        "iteration": iteration,
        "epoch": epoch,
        "epochIteration": epoch_iteration,
        "specName": ir["spec"]["name"],
        "specSha256": ir["spec"]["sha256"],
        "irSha256": ir_sha256,
        "tensors": stem + ".safetensors",
        "optimizers": [{"t": o.t} for o in program.optimizers],
        "pools": pools,
        "rng": program.rng.state(),
        "data": data_state,
        "lrScale": lr_scale,
        "losses": losses,
        "backend": backend,
        "savedAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }
    st.write_file(os.path.join(directory, manifest["tensors"]), tensors, {"format": FORMAT, "iteration": str(iteration)})
    text = json.dumps(manifest, indent=1) + "\n"
    st.write_atomic(os.path.join(directory, stem + ".json"), text)
    st.write_atomic(os.path.join(directory, "latest.json"), text)
    _prune(directory, keep)
    return stem + ".json"


def _prune(directory, keep):
    stems = sorted(f[:-5] for f in os.listdir(directory) if re.match(r"^iter-\d+\.json$", f))
    kept = stems[max(0, len(stems) - keep):]
    if not kept:
        return
    old = [f for f in os.listdir(directory) if re.match(r"^iter-\d+\.(json|safetensors)$", f) and re.sub(r"\.(json|safetensors)$", "", f) < kept[0]]
    old.sort(key=lambda f: (0 if f.endswith(".json") else 1, f))
    for f in old:
        try:
            os.unlink(os.path.join(directory, f))
        except OSError:
            pass
    if old:
        st.fsync_dir(directory)


class CheckpointError(Exception):
    pass


def load(manifest_file):
    """(manifest, tensors) of a checkpoint manifest and its tensors file."""
    try:
        with open(manifest_file, "r", encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        raise CheckpointError("%s cannot be read as a checkpoint manifest (%s)" % (manifest_file, e))
    if not isinstance(m, dict) or m.get("format") != FORMAT or m.get("version") != 1:
        raise CheckpointError("%s is not a gancc checkpoint manifest" % manifest_file)
    t = m.get("tensors")
    if not isinstance(t, str) or os.path.basename(t) != t or t.startswith(".") or not t.endswith(".safetensors"):
        raise CheckpointError("%s names an invalid tensors file %r" % (manifest_file, t))
    try:
        tensors, _ = st.read_file(os.path.join(os.path.dirname(manifest_file), t))
    except (OSError, st.SafetensorsError) as e:
        raise CheckpointError("the checkpoint's tensors cannot be read: %s" % e)
    return m, tensors


def restore(manifest, tensors, nets, program, to_device):
    """Loads weights, optimizer state, pools and the rng into the nets and program."""
    params = {}
    slots = [dict() for _ in program.optimizers]
    pools = {}
    for name, a in tensors.items():
        mo = re.match(r"^opt(\d+)/(.+)$", name)
        if name.startswith("param/"):
            params[name[6:]] = a
        elif mo and int(mo.group(1)) < len(slots):
            slots[int(mo.group(1))][mo.group(2)] = a
        elif name.startswith("pool/"):
            _, vid, k = name.split("/")
            pools.setdefault(vid, {})[int(k)] = a
        else:
            raise CheckpointError("unexpected tensor %s in the checkpoint" % name)
    owner = {}
    for np_ in nets.values():
        np_.load(params)
        for n in np_.by_ir:
            owner[n] = np_
    if len(manifest["optimizers"]) != len(program.optimizers):
        raise CheckpointError("the checkpoint has %d optimizers, this program has %d" % (len(manifest["optimizers"]), len(program.optimizers)))
    for i, opt in enumerate(program.optimizers):
        opt.t = manifest["optimizers"][i]["t"]
        names = opt.names()
        for pname, p in opt.params:
            vals = [slots[i].get("%s/%s" % (pname, s)) for s in names]
            if all(v is None for v in vals):
                continue
            if any(v is None for v in vals):
                raise CheckpointError("optimizer %d has an incomplete state for %s" % (i, pname))
            opt.slots[pname] = [owner[pname].from_ir(pname, v).to(p.dtype) for v in vals]
    for vid, p in program.pools.items():
        info = manifest["pools"].get(vid)
        if not info:
            continue
        imgs = pools.get(vid, {})
        p.shape = info["shape"]
        p.images = [to_device(np.asarray(imgs[k])) for k in range(info["count"])]
    from .rng import Rng

    program.rng = Rng.from_state([int(x) for x in manifest["rng"]])
