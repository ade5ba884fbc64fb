"""Port of src/runtime/init.ts: a parameter's initial values depend only on the run's seed and
its IR name (each draws from Rng.derive(seed, name)), so both engines start from the same
weights. Values are in IR layout (conv HWIO, conv-transpose HWOI, linear [in, out]).

The draws are sequential (sfc32 in Python, ~0.6 s per million values); the Node launcher can pass
the initial weights instead (options "init"), which is instant.
"""
import math

import numpy as np

from .rng import Rng


def fans(shape):
    if len(shape) == 4:
        rf = shape[0] * shape[1]
        return shape[2] * rf, shape[3] * rf
    if len(shape) == 2:
        return shape[0], shape[1]
    f = shape[0] if shape else 1
    return f, f


def _normals(rng, n):
    """n draws of Rng.normal() (float64), vectorised after the sequential u32 draws."""
    u = np.array(rng.u32_array(2 * n), dtype=np.float64) / 4294967296.0
    if n and np.any(u[0::2] <= 0):
        # a zero draw (probability 2^-32 each) shifts the stream: redo exactly, one at a time
        raise _Redo()
    return np.sqrt(-2 * np.log(u[0::2])) * np.cos(2 * math.pi * u[1::2])


class _Redo(Exception):
    pass


def _normal_array(seed, name, n, mean, std):
    rng = Rng.derive(seed, name)
    try:
        z = _normals(rng, n)
    except _Redo:
        rng = Rng.derive(seed, name)
        z = np.array([rng.normal() for _ in range(n)])
    return (mean + std * z).astype(np.float32)


def _orthogonal(shape, gain, rng):
    rows = shape[3] if len(shape) == 4 else shape[1] if len(shape) == 2 else shape[0]
    size = int(np.prod(shape))
    cols = size // rows
    tall, wide = (cols, rows) if rows < cols else (rows, cols)
    q = []
    for _ in range(wide):
        v = np.array([rng.normal() for _ in range(tall)], dtype=np.float64)
        for u in q:
            # sequential accumulation as in init.ts
            d = 0.0
            for k in range(tall):
                d += v[k] * u[k]
            v = v - d * u
        nrm = 0.0
        for k in range(tall):
            nrm += v[k] * v[k]
        nrm = math.sqrt(nrm) or 1.0
        q.append(v / nrm)
    Q = np.stack(q)  # wide x tall
    M = Q if rows < cols else Q.T  # rows x cols (torch matrix)
    if len(shape) == 4:
        kh, kw, a, b = shape
        t = M.reshape(b, a, kh, kw)  # torch [b, a, kh, kw]
        out = np.transpose(t, (2, 3, 1, 0))
    elif len(shape) == 2:
        out = M.T  # [in, out]
    else:
        out = M[:, 0]
    return (gain * out).astype(np.float32).reshape(shape)


def initial_value(p, init, seed):
    """Initial values of one IR parameter (a dict from ir.json) as a float32 numpy array, IR layout."""
    shape = tuple(p["shape"])
    n = int(np.prod(shape)) if shape else 1
    kind = p["init"]
    if kind == "zeros":
        return np.zeros(shape, np.float32)
    if kind == "ones":
        return np.ones(shape, np.float32)
    if kind == "norm_weight":
        std = init.get("std", 0.02) if init["kind"] == "normal" else 0.02
        return _normal_array(seed, p["name"], n, 1.0, std).reshape(shape)
    fan_in, fan_out = fans(shape)
    k = init["kind"]
    if k == "normal":
        return _normal_array(seed, p["name"], n, init.get("mean", 0.0), init.get("std", 0.02)).reshape(shape)
    if k == "xavier":
        return _normal_array(seed, p["name"], n, 0.0, init.get("gain", 0.02) * math.sqrt(2 / (fan_in + fan_out))).reshape(shape)
    if k == "kaiming":
        return _normal_array(seed, p["name"], n, 0.0, init.get("gain", 1.0) * math.sqrt(2 / fan_in)).reshape(shape)
    if k == "uniform":
        s = init.get("scale", 0.05)
        u = (np.array(Rng.derive(seed, p["name"]).u32_array(n), dtype=np.float64) / 4294967296.0).astype(np.float32)
        return ((2 * u - 1) * np.float32(s)).astype(np.float32).reshape(shape)
    if k == "orthogonal":
        return _orthogonal(shape, init.get("gain", 0.02), Rng.derive(seed, p["name"]))
    raise ValueError("internal: unknown initialiser %r" % k)
