#!/usr/bin/python3
"""PyTorch reference fixtures for gancc's parity tests.

Regenerate (deterministic; writes test/parity/fixtures/*.safetensors and prints their sizes):

    /usr/bin/python3 test/parity/make_fixtures.py

Options: --ngf N --ndf N --n-res N --size N --out DIR (defaults: the committed fixtures, which
use ngf=4, ndf=2, n_res=9, 32x32, batch 1). Why so narrow: the files must total <= 1.5 MB, and a
float32 ResNet generator with n_res=9 is 180k parameters (722 KB) at ngf=8, so initial + updated
weights of two generators and two ndf=8 PatchGANs would be about 5.5 MB. The architecture (9 residual
blocks, every layer kind, every shape rule) is the spec's; only the channel widths are reduced.
`--ngf 8 --ndf 8` regenerates the wider version (5.5 MB) if the budget allows it.
Needs only torch and numpy (Debian's PyTorch 1.13 CPU). The safetensors files are written by
hand here (the `safetensors` python package is not required). Everything is stored in torch's
layout: activations NCHW, conv weights OIHW, conv-transpose weights IOHW; the TS side transposes.

Files written:
  cyclegan_common.safetensors  everything the two loss variants share: initial weights of
                               G_AB, G_BA, D_A, D_B, the inputs real_A/real_B, the generator
                               forward outputs and the discriminators' raw patch maps.
  cyclegan_avg.safetensors     the seed's loss (patch map averaged to one score per image):
                               loss terms and every parameter after one training iteration.
  cyclegan_map.safetensors     the official loss (LSGAN MSE over the whole patch map): same.
  ops.safetensors              single-op forward/backward pairs (kernel tests).
  layers.safetensors           one case per runtime layer (every op in the ops table), gancc layout.
  dtypes.safetensors           a tiny file of every supported dtype, for the reader's tests.
This is a dev-time tool only: the TypeScript tests read the committed files and never run Python.
"""
import argparse
import copy
import itertools
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 0
LR = 2e-4
BETAS = (0.5, 0.999)
ADAM_EPS = 1e-8
IN_EPS = 1e-5


# ---------------------------------------------------------------------------------------------
# safetensors writer (by hand: 8-byte LE header length, JSON header, raw LE data)

_DTYPES = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64", np.dtype("<i4"): "I32",
           np.dtype("<i8"): "I64", np.dtype("u1"): "U8"}


def safetensors_bytes(tensors, metadata=None, pad=True, order=None):
    """tensors: dict name -> numpy array (or torch tensor). Returns the file's bytes.
    pad=False leaves the header unpadded (still valid; exercises unaligned reads)."""
    arrays = {}
    for name, t in tensors.items():
        a = t.detach().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
        a = np.require(a, requirements="C")  # (np.ascontiguousarray would turn a 0-d array into 1-d)
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        if a.dtype not in _DTYPES:
            raise ValueError(f"{name}: unsupported dtype {a.dtype}")
        arrays[name] = a
    names = order if order is not None else sorted(arrays, key=lambda n: (-arrays[n].dtype.itemsize, n))
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    off = 0
    for n in names:
        a = arrays[n]
        header[n] = {"dtype": _DTYPES[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad:
        hb += b" " * ((8 - len(hb) % 8) % 8)
    return struct.pack("<Q", len(hb)) + hb + b"".join(arrays[n].tobytes() for n in names)


def write_file(path, data):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def f32(t):
    return t.detach().to(torch.float32).contiguous()


# ---------------------------------------------------------------------------------------------
# The seed's CycleGAN modules (aitorzip/PyTorch-CycleGAN layout and parameter names)

class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, eps=IN_EPS), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(c, c, 3), nn.InstanceNorm2d(c, eps=IN_EPS),
        )

    def forward(self, x):
        return x + self.conv_block(x)


class Generator(nn.Module):
    def __init__(self, ngf, n_res):
        super().__init__()
        m = [nn.ReflectionPad2d(3), nn.Conv2d(3, ngf, 7), nn.InstanceNorm2d(ngf, eps=IN_EPS), nn.ReLU()]
        c = ngf
        for _ in range(2):
            m += [nn.Conv2d(c, c * 2, 3, stride=2, padding=1), nn.InstanceNorm2d(c * 2, eps=IN_EPS), nn.ReLU()]
            c *= 2
        m += [ResidualBlock(c) for _ in range(n_res)]
        for _ in range(2):
            m += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1),
                  nn.InstanceNorm2d(c // 2, eps=IN_EPS), nn.ReLU()]
            c //= 2
        m += [nn.ReflectionPad2d(3), nn.Conv2d(c, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*m)

    def forward(self, x):
        return self.model(x)


class Discriminator(nn.Module):
    """PatchGAN; forward returns the raw patch map [N,1,h,w]. The loss variant decides the reduction."""

    def __init__(self, ndf):
        super().__init__()
        m = [nn.Conv2d(3, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        m += [nn.Conv2d(ndf, ndf * 2, 4, stride=2, padding=1), nn.InstanceNorm2d(ndf * 2, eps=IN_EPS), nn.LeakyReLU(0.2)]
        m += [nn.Conv2d(ndf * 2, ndf * 4, 4, stride=2, padding=1), nn.InstanceNorm2d(ndf * 4, eps=IN_EPS), nn.LeakyReLU(0.2)]
        m += [nn.Conv2d(ndf * 4, ndf * 8, 4, padding=1), nn.InstanceNorm2d(ndf * 8, eps=IN_EPS), nn.LeakyReLU(0.2)]
        m += [nn.Conv2d(ndf * 8, 1, 4, padding=1)]
        self.model = nn.Sequential(*m)

    def forward(self, x):
        return self.model(x)


def init_weights(net):
    for mod in net.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(mod.weight, 0.0, 0.02)
            nn.init.zeros_(mod.bias)


def bias_before_norm(nets):
    """Names of conv biases whose conv feeds an InstanceNorm directly (their gradient is exactly 0
    in exact arithmetic, because the norm subtracts the per-channel mean)."""
    names = []
    for n, net in nets.items():
        for prefix, mod in net.named_modules():
            if isinstance(mod, nn.Sequential):
                kids = list(mod.children())
                for i in range(len(kids) - 1):
                    if isinstance(kids[i], (nn.Conv2d, nn.ConvTranspose2d)) and isinstance(kids[i + 1], nn.InstanceNorm2d):
                        names.append(f"{n}.{prefix}.{i}.bias")
    return sorted(names)


def gan_score(patch_map, variant):
    if variant == "avg":  # the seed: F.avg_pool2d(x, x.size()[2:]).view(N, -1) -> [N, 1]
        return F.avg_pool2d(patch_map, patch_map.size()[2:]).view(patch_map.size(0), -1)
    if variant == "map":  # official: the whole [N,1,h,w] map goes into the loss
        return patch_map
    raise ValueError(variant)


def lsgan(pred, target_value):
    return F.mse_loss(pred, torch.full_like(pred, target_value))


RECIPE = (
    "One training iteration of the seed recipe (aitorzip/PyTorch-CycleGAN), image pool EMPTY at start so "
    "the pool returns the current fake. Names follow the .gan spec: G_AB: A->B, G_BA: B->A, D_A judges "
    "domain A, D_B judges domain B. "
    "(1) one Adam over G_AB+G_BA params (lr 2e-4, betas (0.5,0.999), eps 1e-8), zero_grad, then "
    "idt_A = G_AB(real_B), loss.idt_A = 5*L1(idt_A, real_B) [seed: loss_identity_B]; "
    "idt_B = G_BA(real_A), loss.idt_B = 5*L1(idt_B, real_A) [seed: loss_identity_A]; "
    "fake_B = G_AB(real_A), loss.gan_A = MSE(score(D_B(fake_B)), 1) [seed: loss_GAN_A2B]; "
    "fake_A = G_BA(real_B), loss.gan_B = MSE(score(D_A(fake_A)), 1) [seed: loss_GAN_B2A]; "
    "rec_A = G_BA(fake_B), loss.cycle_A = 10*L1(rec_A, real_A) [seed: loss_cycle_ABA]; "
    "rec_B = G_AB(fake_A), loss.cycle_B = 10*L1(rec_B, real_B) [seed: loss_cycle_BAB]; "
    "loss.G = sum of the six; backward; step. "
    "(2) D_A with its own Adam (same hyper-parameters): zero_grad, loss.D_A = 0.5*(MSE(score(D_A(real_A)),1) "
    "+ MSE(score(D_A(fake_A.detach())),0)); backward; step. (3) D_B likewise with real_B, fake_B.detach(). "
    "fake_A/fake_B are the ones from step 1 (before the generator update). "
    "score(m) = avg_pool2d over the whole map -> [N,1] for variant avg, the raw map for variant map. "
    "L1/MSE are means over all elements. Init: torch.manual_seed(0); modules built in the order G_AB, G_BA, "
    "D_A, D_B; conv/conv-transpose weights N(0,0.02) and biases 0, applied in that order; then real_A, "
    "real_B = torch.rand(1,3,S,S)*2-1 in that order. InstanceNorm2d affine=False, "
    "track_running_stats=False, eps 1e-5."
)


def build(ngf, ndf, n_res, size):
    torch.manual_seed(SEED)
    nets = {"G_AB": Generator(ngf, n_res), "G_BA": Generator(ngf, n_res),
            "D_A": Discriminator(ndf), "D_B": Discriminator(ndf)}
    for n in ("G_AB", "G_BA", "D_A", "D_B"):
        init_weights(nets[n])
    real_A = torch.rand(1, 3, size, size) * 2 - 1
    real_B = torch.rand(1, 3, size, size) * 2 - 1
    return nets, real_A, real_B


def train_iteration(nets0, real_A, real_B, variant):
    nets = {k: copy.deepcopy(v) for k, v in nets0.items()}
    G_AB, G_BA, D_A, D_B = nets["G_AB"], nets["G_BA"], nets["D_A"], nets["D_B"]
    opt_G = torch.optim.Adam(itertools.chain(G_AB.parameters(), G_BA.parameters()), lr=LR, betas=BETAS, eps=ADAM_EPS)
    opt_DA = torch.optim.Adam(D_A.parameters(), lr=LR, betas=BETAS, eps=ADAM_EPS)
    opt_DB = torch.optim.Adam(D_B.parameters(), lr=LR, betas=BETAS, eps=ADAM_EPS)
    L, out = {}, {}

    # (1) generators
    opt_G.zero_grad()
    idt_A = G_AB(real_B)
    L["idt_A"] = F.l1_loss(idt_A, real_B) * 5.0
    idt_B = G_BA(real_A)
    L["idt_B"] = F.l1_loss(idt_B, real_A) * 5.0
    fake_B = G_AB(real_A)
    d_b_fake = D_B(fake_B)
    L["gan_A"] = lsgan(gan_score(d_b_fake, variant), 1.0)
    fake_A = G_BA(real_B)
    d_a_fake = D_A(fake_A)
    L["gan_B"] = lsgan(gan_score(d_a_fake, variant), 1.0)
    rec_A = G_BA(fake_B)
    L["cycle_A"] = F.l1_loss(rec_A, real_A) * 10.0
    rec_B = G_AB(fake_A)
    L["cycle_B"] = F.l1_loss(rec_B, real_B) * 10.0
    loss_G = L["idt_A"] + L["idt_B"] + L["gan_A"] + L["gan_B"] + L["cycle_A"] + L["cycle_B"]
    L["G"] = loss_G
    loss_G.backward()
    grads = {f"G_AB.{k}": p.grad.clone() for k, p in G_AB.named_parameters()}
    grads.update({f"G_BA.{k}": p.grad.clone() for k, p in G_BA.named_parameters()})
    opt_G.step()
    out.update({"fake_B": fake_B, "fake_A": fake_A, "rec_A": rec_A, "rec_B": rec_B,
                "idt_A": idt_A, "idt_B": idt_B, "D_B_fake_B": d_b_fake, "D_A_fake_A": d_a_fake})

    # (2) D_A, (3) D_B; the pool is empty, so it hands back the current fake
    for name, D, opt, real, fake in (("D_A", D_A, opt_DA, real_A, fake_A), ("D_B", D_B, opt_DB, real_B, fake_B)):
        opt.zero_grad()
        m_real = D(real)
        l_real = lsgan(gan_score(m_real, variant), 1.0)
        m_fake = D(fake.detach())
        l_fake = lsgan(gan_score(m_fake, variant), 0.0)
        loss = (l_real + l_fake) * 0.5
        loss.backward()
        grads.update({f"{name}.{k}": p.grad.clone() for k, p in D.named_parameters()})
        opt.step()
        L[name], L[f"{name}_real"], L[f"{name}_fake"] = loss, l_real, l_fake
        out[f"{name}_real_{name[-1]}"] = m_real
        out[f"{name}_fake_{name[-1]}_detached"] = m_fake

    after = {}
    for n in ("G_AB", "G_BA", "D_A", "D_B"):
        for k, p in nets[n].named_parameters():
            after[f"{n}.{k}"] = p
    return out, L, after, grads


def cyclegan_fixtures(args):
    nets, real_A, real_B = build(args.ngf, args.ndf, args.n_res, args.size)
    base_meta = {
        "torch_version": torch.__version__, "seed": str(SEED), "recipe": RECIPE,
        "ngf": str(args.ngf), "ndf": str(args.ndf), "n_res": str(args.n_res), "image_size": str(args.size),
        "batch": "1", "pool": "empty at start: the pool returns the current fake",
        "layout": "torch: activations NCHW [N,C,H,W]; Conv2d weight OIHW [out,in,kh,kw]; "
                  "ConvTranspose2d weight IOHW [in,out,kh,kw]; biases [C]",
        "command": "/usr/bin/python3 test/parity/make_fixtures.py",
        "generated_by": "test/parity/make_fixtures.py",
    }
    common, files = {}, {}
    for n in ("G_AB", "G_BA", "D_A", "D_B"):
        for k, v in nets[n].state_dict().items():
            common[f"{n}.{k}"] = f32(v)
    common["real_A"], common["real_B"] = f32(real_A), f32(real_B)

    stats = {}
    for variant in ("avg", "map"):
        out, L, after, grads = train_iteration(nets, real_A, real_B, variant)
        if variant == "avg":
            # generator outputs and raw patch maps do not depend on the loss variant
            for k in ("fake_B", "fake_A", "rec_A", "rec_B", "idt_A", "idt_B", "D_B_fake_B", "D_A_fake_A",
                      "D_A_real_A", "D_B_real_B", "D_A_fake_A_detached", "D_B_fake_B_detached"):
                common[f"out.{k}"] = f32(out[k])
        else:
            for k, v in out.items():
                assert torch.equal(f32(v), common[f"out.{k}"]), f"forward output {k} differs between variants"
        t = {f"loss.{k}": f32(v).reshape(1) for k, v in L.items()}
        t.update({f"after.{k}": f32(v) for k, v in after.items()})
        # Params whose gradient is (numerically) zero: conv biases right before an InstanceNorm
        # (the norm removes any per-channel constant). Their Adam step is lr*g/(|g|+eps) on float
        # rounding noise, so after.* for them is not reproducible; compare them with tolerance lr.
        noise = bias_before_norm(nets)
        worst = max(grads[k].abs().max().item() for k in noise)
        assert worst < 1e-5, f"bias-before-norm gradient unexpectedly large: {worst}"
        meta = dict(base_meta)
        meta.update({
            "variant": variant,
            "loss": ("seed: patch map averaged to one score per image (F.avg_pool2d(x, x.size()[2:]).view(N,-1)) "
                     "before the LSGAN MSE" if variant == "avg" else
                     "official: LSGAN MSE over the whole patch map"),
            "init_file": "cyclegan_common.safetensors (initial weights, inputs, forward outputs)",
            "noise_grad_params": json.dumps(noise),
            "noise_grad_note": ("conv biases followed directly by InstanceNorm: their true gradient is 0; torch's is "
                                f"float noise (max |g| here {worst:.3g}), so their after.* values are +-lr at random "
                                "or unchanged: compare them with tolerance lr (2e-4), not exactly"),
            "adam_first_step": "after = init - lr * g / (|g| + eps) (bias corrections cancel on step 1)",
        })
        files[f"cyclegan_{variant}.safetensors"] = safetensors_bytes(t, meta)
        stats[variant] = {k: float(v) for k, v in L.items()}
        stats[variant + "_noise"] = (len(noise), worst)
    meta = dict(base_meta)
    meta["contents"] = ("initial state_dicts (G_AB.*, G_BA.*, D_A.*, D_B.*), real_A, real_B, and out.*: "
                        "fake_B=G_AB(real_A), fake_A=G_BA(real_B), rec_A=G_BA(fake_B), rec_B=G_AB(fake_A), "
                        "idt_A=G_AB(real_B), idt_B=G_BA(real_A), D_B_fake_B=D_B(fake_B), D_A_fake_A=D_A(fake_A), "
                        "D_A_real_A=D_A(real_A), D_B_real_B=D_B(real_B), D_*_fake_*_detached = the same maps "
                        "recomputed in the D step (identical values): raw patch maps before any averaging")
    files["cyclegan_common.safetensors"] = safetensors_bytes(common, meta)
    return files, stats


# ---------------------------------------------------------------------------------------------
# Single ops (computed in float64 from float32-representable inputs, stored as F32)

def ops_fixture():
    torch.manual_seed(1)
    d = torch.float64
    t = {}

    def rnd(*shape):
        return (torch.rand(*shape) * 2 - 1).to(torch.float32).to(d)

    # ReflectionPad2d(2)
    x = rnd(1, 2, 5, 6).requires_grad_()
    y = F.pad(x, (2, 2, 2, 2), mode="reflect")
    w = rnd(*y.shape)
    (y * w).sum().backward()
    t.update({"reflect_pad.x": x, "reflect_pad.out": y, "reflect_pad.w": w, "reflect_pad.grad_x": x.grad})

    # ConvTranspose2d(4 -> 3, k3, s2, p1, output_padding 1)
    x = rnd(1, 4, 5, 6).requires_grad_()
    wt = (rnd(4, 3, 3, 3) * 0.3).requires_grad_()
    b = (rnd(3) * 0.1).requires_grad_()
    y = F.conv_transpose2d(x, wt, b, stride=2, padding=1, output_padding=1)
    w = rnd(*y.shape)
    (y * w).sum().backward()
    t.update({"conv_transpose.x": x, "conv_transpose.weight": wt, "conv_transpose.bias": b,
              "conv_transpose.out": y, "conv_transpose.w": w, "conv_transpose.grad_x": x.grad,
              "conv_transpose.grad_weight": wt.grad, "conv_transpose.grad_bias": b.grad})

    # InstanceNorm2d (affine=False, eps 1e-5), batch 2 so per-sample statistics are exercised
    x = (rnd(2, 3, 5, 6) * 2 + 0.5).requires_grad_()
    y = F.instance_norm(x, eps=IN_EPS)
    w = rnd(*y.shape)
    (y * w).sum().backward()
    t.update({"instance_norm.x": x, "instance_norm.out": y, "instance_norm.w": w, "instance_norm.grad_x": x.grad})

    # Conv2d(3 -> 5, k4, s2, p1)
    x = rnd(1, 3, 8, 10).requires_grad_()
    wc = (rnd(5, 3, 4, 4) * 0.3).requires_grad_()
    b = (rnd(5) * 0.1).requires_grad_()
    y = F.conv2d(x, wc, b, stride=2, padding=1)
    w = rnd(*y.shape)
    (y * w).sum().backward()
    t.update({"conv.x": x, "conv.weight": wc, "conv.bias": b, "conv.out": y, "conv.w": w,
              "conv.grad_x": x.grad, "conv.grad_weight": wc.grad, "conv.grad_bias": b.grad})

    meta = {
        "torch_version": torch.__version__, "seed": "1",
        "command": "/usr/bin/python3 test/parity/make_fixtures.py",
        "layout": "NCHW activations; conv.weight OIHW [out,in,kh,kw]; conv_transpose.weight IOHW [in,out,kh,kw]",
        "backward": "every op: loss = sum(out * w); grad_* = d loss / d *",
        "precision": "inputs are float32 values; outputs and grads computed in float64, stored as F32",
        "reflect_pad": "ReflectionPad2d(2) on x [1,2,5,6]",
        "conv_transpose": "ConvTranspose2d(4, 3, kernel 3, stride 2, padding 1, output_padding 1, bias) on x [1,4,5,6]",
        "instance_norm": "InstanceNorm2d(3) affine=False track_running_stats=False eps 1e-5 on x [2,3,5,6]",
        "conv": "Conv2d(3, 5, kernel 4, stride 2, padding 1, bias) on x [1,3,8,10]",
    }
    return safetensors_bytes({k: f32(v) for k, v in t.items()}, meta)


# ---------------------------------------------------------------------------------------------
# One case per runtime layer (src/runtime/layers.ts), stored in GANCC layout (NHWC activations,
# HWIO conv / HWOI conv-transpose kernels, [in,out] linear kernels) so the TS test is data-driven:
#   <case>.x, <case>.x2 (second input of concat/add), <case>.p.<role> (parameters),
#   <case>.out, <case>.w (loss = sum(out * w)), <case>.grad_x, <case>.grad_x2, <case>.grad_p.<role>,
#   and for batch norm in training <case>.after.moving_mean / moving_variance.
# The metadata key "cases" holds {case: {op, attrs, params: [roles], inputs: 1|2}} (JSON).

def _nhwc(t):
    return t.permute(0, 2, 3, 1) if t.dim() == 4 else t


def _kernel_gancc(t, kind):
    # conv OIHW -> HWIO, conv-transpose IOHW -> HWOI: both permute(2, 3, 1, 0); linear [out,in] -> [in,out]
    return t.permute(2, 3, 1, 0) if kind in ("conv", "conv_transpose") else t.t()


def layers_fixture():
    torch.manual_seed(2)
    d = torch.float64

    def rnd(*shape, scale=1.0):
        return ((torch.rand(*shape) * 2 - 1) * scale).to(torch.float32).to(d)

    cases, t = {}, {}

    def case(name, op, attrs, fn, xshape, params=None, x2shape=None, xscale=1.0, extra=None):
        params = params or {}
        x = rnd(*xshape, scale=xscale).requires_grad_()
        x2 = rnd(*x2shape).requires_grad_() if x2shape else None
        ps = {k: v.clone().requires_grad_(not k.startswith("moving")) for k, v in params.items()}
        y = fn(x, x2, ps) if x2 is not None else fn(x, ps)
        w = rnd(*y.shape)
        (y * w).sum().backward()
        kind = op
        t[f"{name}.x"] = _nhwc(x.detach())
        t[f"{name}.grad_x"] = _nhwc(x.grad)
        if x2 is not None:
            t[f"{name}.x2"] = _nhwc(x2.detach())
            t[f"{name}.grad_x2"] = _nhwc(x2.grad)
        t[f"{name}.out"] = _nhwc(y.detach())
        t[f"{name}.w"] = _nhwc(w)
        for k, v in ps.items():
            conv = k == "kernel"
            t[f"{name}.p.{k}"] = _kernel_gancc(v.detach(), kind) if conv else v.detach()
            if v.grad is not None:  # running statistics get no gradient
                t[f"{name}.grad_p.{k}"] = _kernel_gancc(v.grad, kind) if conv else v.grad
        for k, v in (extra or {}).items():
            t[f"{name}.{k}"] = v
        cases[name] = {"op": op, "attrs": attrs, "params": list(params.keys()), "inputs": 2 if x2shape else 1}

    conv_attrs = lambda f, k, s=1, p=0, mode="zeros", dil=1, bias=True: {
        "filters": f, "kernel": k, "stride": s, "pad": p, "pad_mode": mode, "dilation": dil, "bias": bias}
    # conv: zeros pad; reflect pad_mode; dilation 2 without bias
    case("conv_k4s2p1", "conv", conv_attrs(5, 4, 2, 1),
         lambda x, p: F.conv2d(x, p["kernel"], p["bias"], stride=2, padding=1), (2, 3, 8, 10),
         {"kernel": rnd(5, 3, 4, 4, scale=0.3), "bias": rnd(5, scale=0.1)})
    case("conv_reflect", "conv", conv_attrs(4, 3, 1, 1, "reflect"),
         lambda x, p: F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), p["kernel"], p["bias"]), (1, 3, 6, 7),
         {"kernel": rnd(4, 3, 3, 3, scale=0.3), "bias": rnd(4, scale=0.1)})
    case("conv_dilated", "conv", conv_attrs(2, 3, 1, 2, "zeros", 2, False),
         lambda x, p: F.conv2d(x, p["kernel"], None, padding=2, dilation=2), (1, 3, 7, 6),
         {"kernel": rnd(2, 3, 3, 3, scale=0.3)})
    ct_attrs = lambda f, k, s, p, op, dil=1, bias=True: {
        "filters": f, "kernel": k, "stride": s, "pad": p, "output_pad": op, "dilation": dil, "bias": bias}
    case("conv_transpose_k3s2", "conv_transpose", ct_attrs(3, 3, 2, 1, 1),
         lambda x, p: F.conv_transpose2d(x, p["kernel"], p["bias"], stride=2, padding=1, output_padding=1), (2, 4, 4, 5),
         {"kernel": rnd(4, 3, 3, 3, scale=0.3), "bias": rnd(3, scale=0.1)})
    case("conv_transpose_k4s2", "conv_transpose", ct_attrs(2, 4, 2, 1, 0, 1, False),
         lambda x, p: F.conv_transpose2d(x, p["kernel"], None, stride=2, padding=1), (1, 3, 4, 4),
         {"kernel": rnd(3, 2, 4, 4, scale=0.3)})
    case("conv_transpose_dilated", "conv_transpose", ct_attrs(2, 3, 1, 1, 0, 2),
         lambda x, p: F.conv_transpose2d(x, p["kernel"], p["bias"], padding=1, dilation=2), (1, 3, 4, 5),
         {"kernel": rnd(3, 2, 3, 3, scale=0.3), "bias": rnd(2, scale=0.1)})
    case("reflect_pad", "reflect_pad", {"pad": 2}, lambda x, p: F.pad(x, (2, 2, 2, 2), mode="reflect"), (1, 2, 4, 5))
    case("replicate_pad", "replicate_pad", {"pad": 2}, lambda x, p: F.pad(x, (2, 2, 2, 2), mode="replicate"), (1, 2, 4, 5))
    case("zero_pad", "zero_pad", {"pad": 1}, lambda x, p: F.pad(x, (1, 1, 1, 1)), (1, 2, 3, 4))
    case("instance_norm", "instance_norm", {"affine": False, "eps": 1e-5}, lambda x, p: F.instance_norm(x, eps=1e-5),
         (2, 3, 5, 4), xscale=2.0)
    case("instance_norm_affine", "instance_norm", {"affine": True, "eps": 1e-5},
         lambda x, p: F.instance_norm(x, weight=p["gamma"], bias=p["beta"], eps=1e-5), (2, 3, 5, 4),
         {"gamma": 1 + rnd(3, scale=0.5), "beta": rnd(3)}, xscale=2.0)
    # batch norm, training mode: batch statistics, running stats updated with momentum 0.1 (unbiased var)
    rm, rv = rnd(3, scale=0.2), 1 + rnd(3, scale=0.2)
    bn_state = {}

    def bn_train(x, p):
        m, v = rm.clone(), rv.clone()
        y = F.batch_norm(x, m, v, p["gamma"], p["beta"], training=True, momentum=0.1, eps=1e-5)
        bn_state.update({"after.moving_mean": m, "after.moving_variance": v})
        return y
    bn_attrs = {"affine": True, "eps": 1e-5, "momentum": 0.1}
    case("batch_norm_train", "batch_norm", bn_attrs, bn_train, (3, 3, 4, 5),
         {"gamma": 1 + rnd(3, scale=0.5), "beta": rnd(3), "moving_mean": rm, "moving_variance": rv}, xscale=2.0,
         extra=bn_state)
    case("batch_norm_eval", "batch_norm", bn_attrs,
         lambda x, p: F.batch_norm(x, p["moving_mean"], p["moving_variance"], p["gamma"], p["beta"], training=False, eps=1e-5),
         (2, 3, 4, 5), {"gamma": 1 + rnd(3, scale=0.5), "beta": rnd(3), "moving_mean": rnd(3, scale=0.2),
                        "moving_variance": 1 + rnd(3, scale=0.2)}, xscale=2.0)
    case("relu", "relu", {}, lambda x, p: F.relu(x), (1, 2, 3, 4))
    case("leaky_relu", "leaky_relu", {"slope": 0.2}, lambda x, p: F.leaky_relu(x, 0.2), (1, 2, 3, 4))
    case("tanh", "tanh", {}, lambda x, p: torch.tanh(x), (1, 2, 3, 4), xscale=2.0)
    case("sigmoid", "sigmoid", {}, lambda x, p: torch.sigmoid(x), (1, 2, 3, 4), xscale=3.0)
    case("dropout_eval", "dropout", {"p": 0.5}, lambda x, p: x * 1.0, (1, 2, 3, 4))
    case("upsample_nearest", "upsample", {"scale": 2, "mode": "nearest"},
         lambda x, p: F.interpolate(x, scale_factor=2, mode="nearest"), (1, 2, 3, 4))
    case("upsample_bilinear", "upsample", {"scale": 2, "mode": "bilinear"},
         lambda x, p: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False), (1, 2, 3, 4))
    pool_attrs = lambda k, s, p: {"kernel": k, "stride": s, "pad": p}
    case("avg_pool", "avg_pool", pool_attrs(2, 2, 0), lambda x, p: F.avg_pool2d(x, 2, 2), (1, 2, 4, 6))
    case("avg_pool_padded", "avg_pool", pool_attrs(3, 2, 1), lambda x, p: F.avg_pool2d(x, 3, 2, 1), (1, 2, 5, 6))
    case("max_pool_padded", "max_pool", pool_attrs(3, 2, 1), lambda x, p: F.max_pool2d(x, 3, 2, 1), (1, 2, 5, 6))
    case("global_avg_pool", "global_avg_pool", {}, lambda x, p: x.mean(dim=(2, 3), keepdim=True), (2, 3, 4, 5))
    # flatten is NHWC order in gancc (features h, w, c), unlike torch's NCHW flatten
    case("flatten", "flatten", {}, lambda x, p: x.permute(0, 2, 3, 1).reshape(x.shape[0], -1), (2, 3, 2, 2))
    case("linear", "linear", {"features": 4, "bias": True}, lambda x, p: F.linear(x, p["kernel"], p["bias"]), (3, 5),
         {"kernel": rnd(4, 5, scale=0.5), "bias": rnd(4, scale=0.1)})
    case("concat", "concat", {}, lambda x, x2, p: torch.cat([x, x2], 1), (1, 2, 3, 4), x2shape=(1, 3, 3, 4))
    case("add", "add", {}, lambda x, x2, p: x + x2, (1, 2, 3, 4), x2shape=(1, 2, 3, 4))

    meta = {
        "torch_version": torch.__version__, "seed": "2",
        "command": "/usr/bin/python3 test/parity/make_fixtures.py",
        "layout": "gancc: NHWC activations, HWIO conv kernels, HWOI conv-transpose kernels, [in,out] linear kernels",
        "backward": "loss = sum(out * w); grad_* = d loss / d *",
        "precision": "inputs are float32 values; outputs and grads computed in float64, stored as F32",
        "cases": json.dumps(cases),
    }
    return safetensors_bytes({k: f32(v.contiguous()) for k, v in t.items()}, meta)


def dtypes_fixture():
    """A tiny file for the TS reader: one tensor per dtype with known values, unpadded header and
    an unaligned layout (U8 first) to check the reader copes with files not written like ours."""
    tensors = {
        "u8": np.arange(5, dtype=np.uint8) * 50,                                  # [0,50,100,150,200]
        "f32": torch.tensor([[1.5, -2.25, 3.0], [0.0, 1e-7, -65504.0]], dtype=torch.float32),
        "f64": np.array([np.pi, -1.0 / 3.0], dtype="<f8"),
        "i32": np.array([-2147483648, -1, 0, 7, 2147483647], dtype="<i4"),
        "i64": np.array([[-(2 ** 62), 2 ** 53 + 1], [-1, 42]], dtype="<i8"),
        "scalar": np.array(2.5, dtype="<f4"),
        "empty": np.zeros((0, 3), dtype="<f4"),
    }
    order = ["u8", "f32", "scalar", "f64", "i32", "i64", "empty"]
    return safetensors_bytes(tensors, {"writer": "make_fixtures.py (python)", "note": "unaligned"}, pad=False,
                             order=order)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ngf", type=int, default=4)
    ap.add_argument("--ndf", type=int, default=2)
    ap.add_argument("--n-res", type=int, default=9)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    files, stats = cyclegan_fixtures(args)
    files["ops.safetensors"] = ops_fixture()
    files["dtypes.safetensors"] = dtypes_fixture()
    files["layers.safetensors"] = layers_fixture()
    total = 0
    for name in sorted(files):
        write_file(os.path.join(args.out, name), files[name])
        total += len(files[name])
        print(f"{len(files[name]):>10,d} bytes  {os.path.join(args.out, name)}")
    print(f"{total:>10,d} bytes  total")
    for v in ("avg", "map"):
        print(f"{v}: " + ", ".join(f"{k}={x:.6f}" for k, x in stats[v].items()) +
              "; %d bias-before-norm params, max |grad| %.3g" % stats[v + "_noise"])
    if total > 1_500_000:
        print("warning: fixtures exceed the 1.5 MB budget", file=sys.stderr)


if __name__ == "__main__":
    main()
