"""Port of src/runtime/rng.ts: sfc32 seeded through splitmix32, streams derived from names.

The same seed and name give the same numbers as the tfjs engine, so data order, crops, flips and
image-pool decisions follow the same streams in both engines, and a checkpoint's `rng` state
(four uint32) continues in either.
"""
import math

M32 = 0xFFFFFFFF


def hash_string(s):
    """32-bit FNV-1a over UTF-16 code units (JavaScript's charCodeAt)."""
    h = 0x811C9DC5
    b = s.encode("utf-16-le")
    for i in range(0, len(b), 2):
        h ^= b[i] | (b[i + 1] << 8)
        h = (h * 0x01000193) & M32
    return h


def _splitmix32(x):
    s = x & M32

    def nxt():
        nonlocal s
        s = (s + 0x9E3779B9) & M32
        z = s
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
        return (z ^ (z >> 16)) & M32

    return nxt


class Rng:
    __slots__ = ("a", "b", "c", "d")

    def __init__(self, seed=0):
        if isinstance(seed, str):
            x = hash_string(seed)
        else:
            x = (int(seed) & M32) ^ (int(seed) // 2**32)
        mix = _splitmix32(x)
        self.a = mix()
        self.b = mix()
        self.c = mix()
        self.d = mix() | 1
        for _ in range(12):
            self.u32()

    @staticmethod
    def derive(seed, name):
        return Rng("%d\u0000%s" % (int(seed) & M32, name))

    @staticmethod
    def from_state(state):
        if len(state) != 4 or any((not isinstance(v, int)) or v < 0 or v > M32 for v in state):
            raise ValueError("Rng state: expected four uint32 values, got %r" % (state,))
        r = Rng(0)
        r.a, r.b, r.c, r.d = state
        return r

    def state(self):
        return [self.a, self.b, self.c, self.d]

    def u32(self):
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & M32
        self.d = (d + 1) & M32
        self.a = b ^ (b >> 9)
        self.b = (c + (c << 3)) & M32
        c = ((c << 21) | (c >> 11)) & M32
        self.c = (c + t) & M32
        return t

    def next(self):
        return self.u32() / 4294967296.0

    def int(self, n):
        if not n >= 1:
            raise ValueError("Rng.int: n must be >= 1, got %r" % (n,))
        return int(math.floor(self.next() * n))

    def normal(self):
        u = self.next()
        while u <= 0:
            u = self.next()
        v = self.next()
        return math.sqrt(-2 * math.log(u)) * math.cos(2 * math.pi * v)

    def shuffle(self, xs):
        for i in range(len(xs) - 1, 0, -1):
            j = self.int(i + 1)
            xs[i], xs[j] = xs[j], xs[i]
        return xs

    def u32_array(self, n):
        """n consecutive u32 draws (a list), for vectorised transforms."""
        a, b, c, d = self.a, self.b, self.c, self.d
        out = [0] * n
        for i in range(n):
            t = (a + b + d) & M32
            d = (d + 1) & M32
            a = b ^ (b >> 9)
            b = (c + (c << 3)) & M32
            c = ((c << 21) | (c >> 11)) & M32
            c = (c + t) & M32
            out[i] = t
        self.a, self.b, self.c, self.d = a, b, c, d
        return out
