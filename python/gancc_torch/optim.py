"""Port of src/runtime/optim.ts: Adam, RMSProp and SGD with the IR's hyper-parameters and the same
update formulas as the tfjs engine (PyTorch semantics: Adam's eps outside the sqrt of the
bias-corrected v, RMSProp's v starting at 0 with eps outside the sqrt). Slots are named
`<IR param>/<slot>` and kept in torch layout; checkpoints convert them to IR layout."""
import math

import torch


class _Optimizer:
    slot_names = ()

    def __init__(self, config, params):
        """params: [(IR name, torch Parameter)] in forward order."""
        self.config = config
        self.params = params
        self.t = 0
        self.slots = {}  # IR name -> [tensors]

    def names(self):
        return list(self.slot_names)

    def _slots_for(self, name, p):
        s = self.slots.get(name)
        if s is None:
            s = [torch.zeros_like(p) for _ in self.names()]
            self.slots[name] = s
        return s

    @torch.no_grad()
    def apply(self, lr_scale=1.0):
        """One update from each parameter's .grad (a parameter without one is skipped)."""
        self.t += 1
        lr = self.config["lr"] * lr_scale
        for name, p in self.params:
            if p.grad is None:
                continue
            self.update(p, p.grad, self._slots_for(name, p), lr, self.t)


class Adam(_Optimizer):
    slot_names = ("m", "v")

    @torch.no_grad()
    def apply(self, lr_scale=1.0):
        """On CUDA: the same update as `update`, for all parameters at once with torch's _foreach
        ops (a few kernel launches instead of ~10 per parameter; what torch.optim.Adam does there)."""
        live = [(n, p) for n, p in self.params if p.grad is not None]
        if not live or live[0][1].device.type != "cuda":
            return super().apply(lr_scale)
        self.t += 1
        t = self.t
        c = self.config
        lr = c["lr"] * lr_scale
        b1, b2, eps, wd = c.get("beta1", 0.9), c.get("beta2", 0.999), c.get("eps", 1e-8), c.get("weight_decay", 0)
        ps = [p for _, p in live]
        gs = [p.grad for p in ps]
        if wd:
            gs = torch._foreach_add(gs, ps, alpha=wd)
        slots = [self._slots_for(n, p) for n, p in live]
        ms = [s[0] for s in slots]
        vs = [s[1] for s in slots]
        torch._foreach_mul_(ms, b1)
        torch._foreach_add_(ms, gs, alpha=1 - b1)
        torch._foreach_mul_(vs, b2)
        torch._foreach_addcmul_(vs, gs, gs, value=1 - b2)
        denom = torch._foreach_sqrt(vs)
        torch._foreach_div_(denom, math.sqrt(1 - b2**t))
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(ps, ms, denom, value=-(lr / (1 - b1**t)))

    def update(self, p, g, s, lr, t):
        c = self.config
        b1, b2, eps, wd = c.get("beta1", 0.9), c.get("beta2", 0.999), c.get("eps", 1e-8), c.get("weight_decay", 0)
        m, v = s
        if wd:
            g = g + p * wd
        m.mul_(b1).add_(g * (1 - b1))
        v.mul_(b2).add_(g * g * (1 - b2))
        denom = v.sqrt() / math.sqrt(1 - b2**t) + eps
        p.sub_((m / denom) * (lr / (1 - b1**t)))


class RMSProp(_Optimizer):
    def names(self):
        return ["v", "b"] if self.config.get("momentum", 0) > 0 else ["v"]

    def update(self, p, g, s, lr, t):
        c = self.config
        a, eps, mu = c.get("decay", 0.99), c.get("eps", 1e-8), c.get("momentum", 0)
        v = s[0]
        v.mul_(a).add_(g * g * (1 - a))
        step = g / (v.sqrt() + eps)
        if mu > 0:
            b = s[1]
            b.mul_(mu).add_(step)
            p.sub_(b * lr)
        else:
            p.sub_(step * lr)


class SGD(_Optimizer):
    def names(self):
        return ["b"] if self.config.get("momentum", 0) > 0 else []

    def update(self, p, g, s, lr, t):
        c = self.config
        mu, wd = c.get("momentum", 0), c.get("weight_decay", 0)
        if wd:
            g = g + p * wd
        if mu > 0:
            b = s[0]
            if t == 1:
                b.copy_(g)
            else:
                b.mul_(mu).add_(g)
            p.sub_(b * lr)
        else:
            p.sub_(g * lr)


OPTIMIZERS = {"adam": Adam, "rmsprop": RMSProp, "sgd": SGD}
