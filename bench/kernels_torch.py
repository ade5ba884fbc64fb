#!/usr/bin/python3
"""PyTorch side of bench/kernels.ts: the same conv kernels on the same shapes, for the ceiling.

    /usr/bin/python3 bench/kernels_torch.py --threads 1 < layers.json     # prints one JSON line

Normally run by bench/kernels.ts in the same run. Input: a JSON list of layers
{"name", "kind": "conv"|"convT", "x": [N,H,W,C] (NHWC, the conv's input; for convT the convT's
input), "k", "co", "s", "p", "op"}. For each layer it times the three kernels gancc's bench
times, with aten's own kernels (the ones autograd calls), NCHW float32:
  conv:  fwd = conv2d, dx = convolution_backward(input grad), dw = convolution_backward(weight grad)
  convT: fwd = conv_transpose2d, dx / dw = convolution_backward(transposed=True)
Output: {"threads": T, "ms": {"<name>/<kernel>": best-of wall ms}, "cpu_ms": {... process CPU ms}}.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F


def best_ms(fn, budget_s):
    """Best-of wall and process-CPU ms (as bench/kernels.ts: load from other processes only adds time)."""
    fn()  # warm-up (allocator, oneDNN primitive creation)
    wall, cpu, n = float("inf"), float("inf"), 0
    t0 = time.perf_counter()
    while n < 3 or (time.perf_counter() - t0 < budget_s and n < 30):
        s, c = time.perf_counter(), time.process_time()
        fn()
        cpu = min(cpu, (time.process_time() - c) * 1e3)
        wall = min(wall, (time.perf_counter() - s) * 1e3)
        n += 1
    return wall, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--budget-s", type=float, default=0.6)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    layers = json.load(sys.stdin)
    out, out_cpu = {}, {}
    torch.manual_seed(0)
    with torch.no_grad():
        for L in layers:
            n, h, w, c = L["x"]
            k, co, s, p, op = L["k"], L["co"], L["s"], L["p"], L.get("op", 0)
            x = torch.randn(n, c, h, w)
            if L["kind"] == "conv":
                wt = torch.randn(co, c, k, k)
                y = F.conv2d(x, wt, stride=s, padding=p)
                fwd = lambda: F.conv2d(x, wt, stride=s, padding=p)
                transposed = False
            else:
                wt = torch.randn(c, co, k, k)  # ConvTranspose2d weight [in, out, k, k]
                y = F.conv_transpose2d(x, wt, stride=s, padding=p, output_padding=op)
                fwd = lambda: F.conv_transpose2d(x, wt, stride=s, padding=p, output_padding=op)
                transposed = True
            dy = torch.randn_like(y)

            def bwd(mask):
                return lambda: torch.ops.aten.convolution_backward(
                    dy, x, wt, None, [s, s], [p, p], [1, 1], transposed, [op, op], 1, mask)

            name = L["name"]
            for kernel, fn in (("fwd", fwd), ("dx", bwd([True, False, False])), ("dw", bwd([False, True, False]))):
                out[f"{name}/{kernel}"], out_cpu[f"{name}/{kernel}"] = best_ms(fn, args.budget_s)
    print(json.dumps({"threads": torch.get_num_threads(), "torch": torch.__version__, "ms": out, "cpu_ms": out_cpu}))


if __name__ == "__main__":
    main()
