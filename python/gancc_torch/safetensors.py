"""A small safetensors reader/writer on numpy (no `safetensors` package): the format of
src/io/safetensors.ts. Writes the header padded to 8 bytes, F32/F64 tensors largest first."""
import json
import os
import struct

import numpy as np

_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64, "U8": np.uint8}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}


class SafetensorsError(Exception):
    pass


def encode(tensors, metadata=None):
    """bytes of a safetensors file; tensors: name -> numpy array (row-major)."""
    items = []
    for name, a in tensors.items():
        a = np.ascontiguousarray(a)
        if a.dtype not in _NAMES:
            raise SafetensorsError("%s: unsupported dtype %s" % (name, a.dtype))
        items.append((name, a))
    items.sort(key=lambda it: (-it[1].dtype.itemsize, it[0]))
    header = {}
    off = 0
    for name, a in items:
        header[name] = {"dtype": _NAMES[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    parts = [struct.pack("<Q", len(h)), h] + [a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes() for _, a in items]
    return b"".join(parts)


def decode(data, source="<buffer>"):
    """(tensors: name -> numpy array, metadata dict) of a safetensors file's bytes."""
    if len(data) < 8:
        raise SafetensorsError("%s: too short to be a safetensors file" % source)
    (n,) = struct.unpack("<Q", data[:8])
    if n > 100_000_000 or 8 + n > len(data):
        raise SafetensorsError("%s: header length %d is invalid" % (source, n))
    try:
        header = json.loads(data[8 : 8 + n].decode("utf-8"))
    except ValueError as e:
        raise SafetensorsError("%s: header is not JSON (%s)" % (source, e))
    meta = header.pop("__metadata__", {}) or {}
    base = 8 + n
    out = {}
    for name, info in header.items():
        dt = _DTYPES.get(info.get("dtype"))
        if dt is None:
            raise SafetensorsError("%s: tensor %s has unsupported dtype %s" % (source, name, info.get("dtype")))
        b, e = info["data_offsets"]
        shape = tuple(info["shape"])
        if base + e > len(data) or e - b != int(np.prod(shape, dtype=np.int64)) * np.dtype(dt).itemsize:
            raise SafetensorsError("%s: tensor %s has inconsistent offsets" % (source, name))
        out[name] = np.frombuffer(data, dtype=np.dtype(dt).newbyteorder("<"), count=(e - b) // np.dtype(dt).itemsize, offset=base + b).reshape(shape).astype(dt)
    return out, meta


def read_file(path):
    with open(path, "rb") as f:
        return decode(f.read(), path)


def fsync_dir(d):
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_counter = 0


def write_atomic(path, data):
    """Temporary name, fsync, rename, directory fsync (src/io/atomic.ts)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = os.path.dirname(os.path.abspath(path))
    global _counter
    _counter += 1
    tmp = os.path.join(d, ".%s.tmp-%d-%d" % (os.path.basename(path), os.getpid(), _counter))
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(d)


def write_file(path, tensors, metadata=None):
    write_atomic(path, encode(tensors, metadata))
