"""Moving values between IR layout (gancc files: conv HWIO, conv-transpose HWOI, linear [in, out]
with NHWC-flattened features, images NHWC) and torch layout, with nets.py's PARAMS table."""
import numpy as np
import torch


def to_torch_layout(a, perm, nhwc):
    """IR-layout numpy array -> torch-layout numpy array."""
    if nhwc is not None:
        h, w, c = nhwc
        n_in, n_out = a.shape
        a = a.reshape(h, w, c, n_out).transpose(2, 0, 1, 3).reshape(n_in, n_out)
    if perm is not None:
        a = a.transpose(perm)
    return np.ascontiguousarray(a)


def to_ir_layout(a, perm, nhwc):
    """torch-layout numpy array -> IR-layout numpy array."""
    if perm is not None:
        a = a.transpose(np.argsort(perm))
    if nhwc is not None:
        h, w, c = nhwc
        n_in, n_out = a.shape
        a = a.reshape(c, h, w, n_out).transpose(1, 2, 0, 3).reshape(n_in, n_out)
    return np.ascontiguousarray(a)


def image_to_torch(a):
    """NHWC (or [N, F]) numpy -> NCHW numpy."""
    return np.ascontiguousarray(a.transpose(0, 3, 1, 2)) if a.ndim == 4 else a


def image_to_ir(t):
    """one NCHW tensor / [C, H, W] image -> numpy NHWC / [H, W, C] float32."""
    a = t.detach().to("cpu", torch.float32).numpy()
    if a.ndim == 4:
        return np.ascontiguousarray(a.transpose(0, 2, 3, 1))
    if a.ndim == 3:
        return np.ascontiguousarray(a.transpose(1, 2, 0))
    return np.ascontiguousarray(a)


class NetParams:
    """The IR-name view of one module's parameters and state (from nets.PARAMS[net])."""

    def __init__(self, module, table):
        self.module = module
        self.table = table
        tensors = dict(module.named_parameters())
        tensors.update({k: v for k, v in module.named_buffers() if v is not None})
        self.by_ir = {}
        for ir_name, key, shape, perm, nhwc in table:
            if key not in tensors:
                raise RuntimeError("internal: nets.py's module has no %s (for %s)" % (key, ir_name))
            self.by_ir[ir_name] = (tensors[key], tuple(shape), perm, nhwc)

    def trainable(self):
        """[(IR name, Parameter)] of the trainable parameters, forward order."""
        return [(n, t) for n, (t, _, _, _) in self.by_ir.items() if isinstance(t, torch.nn.Parameter)]

    def read(self):
        """IR name -> float32 numpy array in IR layout."""
        return {n: to_ir_layout(t.detach().to("cpu", torch.float32).numpy(), perm, nhwc) for n, (t, _, perm, nhwc) in self.by_ir.items()}

    def to_ir(self, name, tensor):
        _, _, perm, nhwc = self.by_ir[name]
        return to_ir_layout(tensor.detach().to("cpu", torch.float32).numpy(), perm, nhwc)

    def from_ir(self, name, array):
        """A torch tensor (device/dtype of the parameter) from an IR-layout array."""
        t, shape, perm, nhwc = self.by_ir[name]
        if tuple(array.shape) != shape:
            raise ValueError("%s: expected shape %s, got %s" % (name, list(shape), list(array.shape)))
        return torch.from_numpy(to_torch_layout(np.asarray(array, dtype=np.float64), perm, nhwc)).to(t.device, t.dtype)

    @torch.no_grad()
    def load(self, values, require_all=True):
        for n, (t, _, _, _) in self.by_ir.items():
            if n not in values:
                if require_all:
                    raise KeyError(n)
                continue
            t.copy_(self.from_ir(n, values[n]))
