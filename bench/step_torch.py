#!/usr/bin/python3
"""PyTorch side of bench/step.ts: the time of one full CycleGAN training iteration.

    /usr/bin/python3 bench/step_torch.py --size 64 --threads 1 --iters 3      # prints one JSON line

Normally run by bench/step.ts (one subprocess per size and thread count, so that the peak RSS
is per configuration). Debian's python3-torch 1.13 CPU; needs only torch.

The model and the iteration mirror specs/cyclegan.gan as gancc runs it (same structure as
test/parity/make_fixtures.py, written separately for timing): ResNet generator (c7s1-ngf, d, d,
9 residual blocks, u, u, c7s1-3), 70x70 PatchGAN, LSGAN over the whole patch map ("map" variant),
cycle and identity L1 losses, image pool of 50, Adam(2e-4, 0.5, 0.999).
  (1) generator step: one Adam over G_AB+G_BA; six generator forwards, two discriminator forwards,
      the sum of six terms, backward, step;
  (2) discriminator step: one Adam over D_A+D_B; D_A(A), D_A(pool(fake_A)), D_B(B),
      D_B(pool(fake_B)) with the fakes from step 1 (detached); backward, step.
Each iteration ends by reading the loss values (.item()), like gancc's trainIteration.
"""
import argparse
import itertools
import json
import os
import random
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

IN_EPS = 1e-5


class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, eps=IN_EPS), nn.ReLU(inplace=True),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, eps=IN_EPS),
        )

    def forward(self, x):
        return x + self.body(x)


def generator(ngf, n_res):
    m = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), nn.InstanceNorm2d(ngf, eps=IN_EPS), nn.ReLU(inplace=True)]
    c = ngf
    for _ in range(2):
        m += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * c, eps=IN_EPS), nn.ReLU(inplace=True)]
        c *= 2
    m += [ResidualBlock(c) for _ in range(n_res)]
    for _ in range(2):
        m += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1),
              nn.InstanceNorm2d(c // 2, eps=IN_EPS), nn.ReLU(inplace=True)]
        c //= 2
    m += [nn.ReflectionPad2d(3), nn.Conv2d(c, 3, 7), nn.Tanh()]
    return nn.Sequential(*m)


def patchgan(ndf):
    m = [nn.Conv2d(3, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, inplace=True)]
    c = ndf
    for k, s in ((2 * ndf, 2), (4 * ndf, 2), (8 * ndf, 1)):
        m += [nn.Conv2d(c, k, 4, stride=s, padding=1), nn.InstanceNorm2d(k, eps=IN_EPS), nn.LeakyReLU(0.2, inplace=True)]
        c = k
    m += [nn.Conv2d(c, 1, 4, padding=1)]
    return nn.Sequential(*m)


def init_weights(net):
    for mod in net.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(mod.weight, 0.0, 0.02)
            nn.init.zeros_(mod.bias)


class ImagePool:
    """util/image_pool.py of the official CycleGAN code (batch 1 here)."""

    def __init__(self, size):
        self.size, self.images = size, []

    def query(self, images):
        out = []
        for img in images.detach():
            img = img.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif random.random() < 0.5:
                j = random.randrange(self.size)
                out.append(self.images[j].clone())
                self.images[j] = img.clone()
            else:
                out.append(img)
        return torch.cat(out, 0)


def lsgan(pred, target):
    return F.mse_loss(pred, torch.full_like(pred, target))


def rss_now_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--n-res", type=int, default=9)
    ap.add_argument("--lambda-cyc", type=float, default=10.0)
    ap.add_argument("--lambda-idt", type=float, default=0.5)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)
    rss_import = rss_now_bytes()

    G_AB, G_BA = generator(args.ngf, args.n_res), generator(args.ngf, args.n_res)
    D_A, D_B = patchgan(args.ndf), patchgan(args.ndf)
    for n in (G_AB, G_BA, D_A, D_B):
        init_weights(n)
    opt_G = torch.optim.Adam(itertools.chain(G_AB.parameters(), G_BA.parameters()), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(itertools.chain(D_A.parameters(), D_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
    pool_A, pool_B = ImagePool(50), ImagePool(50)
    S = args.size
    real_A = torch.rand(1, 3, S, S) * 2 - 1
    real_B = torch.rand(1, 3, S, S) * 2 - 1
    lc, li = args.lambda_cyc, args.lambda_cyc * args.lambda_idt

    def iteration():
        # (1) generators
        opt_G.zero_grad(set_to_none=True)
        fake_B = G_AB(real_A)
        fake_A = G_BA(real_B)
        terms = [
            lsgan(D_B(fake_B), 1.0),
            lsgan(D_A(fake_A), 1.0),
            lc * F.l1_loss(G_BA(fake_B), real_A),
            lc * F.l1_loss(G_AB(fake_A), real_B),
            li * F.l1_loss(G_AB(real_B), real_B),
            li * F.l1_loss(G_BA(real_A), real_A),
        ]
        sum(terms).backward()
        opt_G.step()
        # (2) discriminators (one optimizer over both, like gancc's `step discriminator updates D_A, D_B`)
        opt_D.zero_grad(set_to_none=True)
        pA, pB = pool_A.query(fake_A), pool_B.query(fake_B)
        d_a = 0.5 * (lsgan(D_A(real_A), 1.0) + lsgan(D_A(pA), 0.0))
        d_b = 0.5 * (lsgan(D_B(real_B), 1.0) + lsgan(D_B(pB), 0.0))
        (d_a + d_b).backward()
        opt_D.step()
        return [t.item() for t in terms] + [d_a.item(), d_b.item()]

    t0 = time.perf_counter()
    iteration()
    warmup_s = time.perf_counter() - t0
    times, cpu = [], []
    for _ in range(args.iters):
        t0, c0 = time.perf_counter(), time.process_time()
        iteration()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)

    # forward alone (no autograd), as a share of the iteration: 6 generator + 6 discriminator forwards
    def fwd_time(net):
        with torch.no_grad():
            net(real_A)
            ts = []
            for _ in range(3):
                t0 = time.perf_counter()
                net(real_A)
                ts.append(time.perf_counter() - t0)
        return statistics.median(ts)

    g_fwd, d_fwd = fwd_time(G_AB), fwd_time(D_A)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "runtime": "pytorch", "torch": torch.__version__, "python": sys.version.split()[0],
        "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
        "size": S, "ngf": args.ngf, "ndf": args.ndf, "n_res": args.n_res, "iters": args.iters,
        "warmup_s": warmup_s, "times_s": times, "cpu_s": cpu, "median_s": statistics.median(times),
        "g_fwd_s": g_fwd, "d_fwd_s": d_fwd,
        "peak_rss_bytes": ru.ru_maxrss * 1024, "rss_after_import_bytes": rss_import,
        "mkldnn": torch.backends.mkldnn.is_available(),
        "params": sum(p.numel() for n in (G_AB, G_BA, D_A, D_B) for p in n.parameters()),
    }))


if __name__ == "__main__":
    main()
