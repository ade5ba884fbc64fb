"""Port of src/runtime/program.ts: one training iteration of the IR's training program.

The steps run in order, each `repeat` times; each differentiates its loss with respect to the
parameters of the nets it updates only (backward(inputs=...)), applies its optimizer, then its
clipping. Values of the loss graph (losses.py VALUES) are shared within an iteration: a step
reuses a value an earlier step or repeat computed when the value does not depend on a net the step
updates (it is then used detached: no gradient can reach an updated net through it); a value that
does depend on an updated net is recomputed with the current weights. `pool` values are detached
and query the image pool once per iteration.

A value recomputed while none of the nets it depends on has been updated since (pix2pix's G(A):
computed for the discriminator step, needed with gradients by the generator step) is a replay: it
draws the same dropout masks (torch's generator is seeded per net application from the
iteration's seed and the value id) and does not update batch-norm running statistics again.
"""
import math

import torch
from torch import nn

from .optim import OPTIMIZERS
from .pool import ImagePool
from .rng import Rng


class Value:
    """One value of the loss graph (written by losses.py)."""

    __slots__ = ("op", "inputs", "grads", "fn", "domain", "net")

    def __init__(self, op, inputs, grads=(), fn=None, domain=None, net=None):
        self.op = op
        self.inputs = list(inputs)
        self.grads = list(grads)
        self.fn = fn
        self.domain = domain
        self.net = net


class NonFiniteLoss(Exception):
    def __init__(self, loss, term, value):
        super().__init__("loss term `%s` of loss `%s` is %s" % (term, loss, value))
        self.loss, self.term, self.value = loss, term, value


def _by_number(i):
    return int(i[1:])


class TrainingProgram:
    def __init__(self, ir, values, losses, modules, params, seed=None, wrapped=None, dtype=torch.float32, device="cpu"):
        """
        ir: the IR (dict); values/losses: losses.py's VALUES and LOSSES; modules: net name ->
        nn.Module; params: net name -> [(IR name, Parameter)] trainable, forward order;
        wrapped: net name -> the DDP wrapper to call when the step updates that net.
        """
        self.ir = ir
        self.values = values
        self.losses = losses
        self.modules = modules
        self.wrapped = wrapped or {}
        self.dtype = dtype
        self.device = device
        seed = ir["train"]["seed"] if seed is None else seed
        self.rng = Rng.derive(seed, "train")
        self.optimizers = []
        for s in ir["train"]["steps"]:
            ps = [p for n in s["updates"] for p in params[n]]
            self.optimizers.append(OPTIMIZERS[s["optimizer"]["kind"]](s["optimizer"], ps))
        self.pools = {}
        for vid in sorted((k for k, v in values.items() if v.op == "pool"), key=_by_number):
            self.pools[vid] = ImagePool(ir["train"]["pool"]["size"], ir["train"]["pool"]["swap"])
        self.updates = {}
        self._bn = {n: [m for m in mod.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)] for n, mod in modules.items()}

    def _versions(self, nets):
        return ",".join("%s:%d" % (n, self.updates.get(n, 0)) for n in nets)

    def run_iteration(self, batch, lr_scale=1.0):
        """batch: domain name -> NCHW tensor on the device. Returns {loss: {term: float}}."""
        cache = {}
        computed_at = {}
        iter_seed = self.rng.u32()
        kept = []
        for si, step in enumerate(self.ir["train"]["steps"]):
            for r in range(step["repeat"]):
                terms = self._run_step(step, self.optimizers[si], batch, cache, computed_at, iter_seed, lr_scale)
                if r == step["repeat"] - 1:
                    kept.extend(terms)
        out = {}
        vals = torch.stack([t for _, _, t in kept]).double().cpu().tolist() if kept else []
        bad = None
        for (loss, term, _), v in zip(kept, vals):
            out.setdefault(loss, {})[term] = v
            if not math.isfinite(v) and bad is None:
                bad = NonFiniteLoss(loss, term, v)
        if bad:
            raise bad
        return out

    def _apply(self, vid, v, x, updates, iter_seed, replay):
        name = v.net
        module = self.wrapped.get(name) if name in updates and name in self.wrapped else self.modules[name]
        torch.manual_seed(Rng.derive(iter_seed, vid).u32())
        bns = self._bn[name] if replay else []
        saved = [m.momentum for m in bns]
        for m in bns:
            m.momentum = 0.0
        try:
            return module(x)
        finally:
            for m, mo in zip(bns, saved):
                m.momentum = mo

    def _run_step(self, step, opt, batch, cache, computed_at, iter_seed, lr_scale):
        updates = set(step["updates"])
        terms = self.losses[step["loss"]]

        def reusable(vid):
            return vid in cache and not any(n in updates for n in self.values[vid].grads)

        fresh = []
        seen = set()

        def visit(vid):
            v = self.values[vid]
            if vid in seen or reusable(vid) or v.op == "domain":
                return
            seen.add(vid)
            fresh.append(vid)
            if v.op != "pool":
                for i in v.inputs:
                    visit(i)

        for _, vid in terms:
            visit(vid)
        for vid in fresh:
            cache.pop(vid, None)

        def get(vid):
            v = self.values[vid]
            if v.op == "domain":
                return batch[v.domain]
            if vid in cache:
                c = cache[vid]
                return c.detach() if vid not in seen else c
            xs = [get(i) for i in v.inputs]
            version = self._versions(v.grads)
            replay = computed_at.get(vid) == version
            computed_at[vid] = version
            if v.op == "apply":
                y = self._apply(vid, v, xs[0], updates, iter_seed, replay)
            else:
                y = v.fn(*xs)
                if not torch.is_tensor(y):
                    y = torch.tensor(float(y), dtype=self.dtype, device=self.device)
            cache[vid] = y
            return y

        # pools first, their inputs without gradients (pool() detaches anyway)
        for vid in sorted((i for i in fresh if self.values[i].op == "pool"), key=_by_number):
            v = self.values[vid]
            with torch.no_grad():
                x = get(v.inputs[0])
            cache[vid] = self.pools[vid].query(x, self.rng)

        ts = [get(vid) for _, vid in terms]
        total = ts[0]
        for t in ts[1:]:
            total = total + t
        params = [p for _, p in opt.params]
        for p in params:
            p.grad = None
        if total.requires_grad:
            total.backward(inputs=params)
        opt.apply(lr_scale)
        for n in step["updates"]:
            self.updates[n] = self.updates.get(n, 0) + 1
        clip = step.get("clip")
        if clip:
            with torch.no_grad():
                for p in params:
                    p.clamp_(clip["min"], clip["max"])
        for p in params:
            p.grad = None
        return [(step["loss"], name, t.detach()) for (name, _), t in zip(terms, ts)]
