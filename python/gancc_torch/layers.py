"""The few layers nets.py uses that torch.nn lacks in the needed form, and loss helpers."""
import torch
from torch import nn


class BatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d without the `num_batches_tracked` counter: gancc's weights files do not carry
    it, so state_dict() keys are exactly those `gancc weights export` writes. (With a fixed
    momentum, PyTorch uses the counter for nothing.)"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.num_batches_tracked = None

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        state_dict.pop(prefix + "num_batches_tracked", None)
        # skip _BatchNorm's hook, which would add the counter back for old-format dicts
        nn.Module._load_from_state_dict(self, state_dict, prefix, *args, **kwargs)


class GlobalAvgPool(nn.Module):
    """Mean over H x W, kept 4-D: N x C x H x W -> N x C x 1 x 1."""

    def forward(self, x):
        return torch.mean(x, dim=(2, 3), keepdim=True)


class Residual(nn.Module):
    """x + conv_block(x) (the official ResnetBlock's naming)."""

    def __init__(self, conv_block):
        super().__init__()
        self.conv_block = conv_block

    def forward(self, x):
        return x + self.conv_block(x)


class Skip(nn.Module):
    """cat([x, model(x)], channels) (the official UnetSkipConnectionBlock's naming)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return torch.cat([x, self.model(x)], 1)


class Concat(nn.Module):
    """Concatenates its inputs along channels."""

    def forward(self, *xs):
        return torch.cat(xs, 1)


class Add(nn.Module):
    """Adds its inputs."""

    def forward(self, *xs):
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y


def bce_with_logits(x, t):
    """Binary cross-entropy with logits, the stable form of src/runtime/criteria.ts, mean."""
    return torch.mean(torch.relu(x) - x * t + torch.log1p(torch.exp(-torch.abs(x))))
