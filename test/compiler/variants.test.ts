// pix2pix and DualGAN as specs only: the official parameter counts, output sizes, size
// rules, the training programs, the tiny `--set` values the smoke tests use, and the
// DualGAN variant as a few-line diff of the published spec.
// (Golden IR, formatting and "no warnings" for every spec are in specs.test.ts.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Ir, IrNet } from "../../src/ir/schema.js";
import { summarize } from "../../src/compiler/summary.js";
import { compile, edit, expectDiagnostic, expectNo } from "./harness.js";

const PIX2PIX = readFileSync("specs/pix2pix.gan", "utf8");
const DUALGAN = readFileSync("specs/dualgan.gan", "utf8");
const DUALGAN_CE = readFileSync("specs/dualgan_ce.gan", "utf8");

const trainable = (ir: Ir, net: string) => summarize(ir).nets.find((n) => n.name === net)!.trainable;
const netOf = (ir: Ir, name: string): IrNet => ir.nets.find((n) => n.name === name)!;
const ops = (net: IrNet, op: string) => net.nodes.filter((n) => n.op === op);

/** The tiny `--set` values each spec's header recommends for tests and CPU smoke runs. */
const TINY_SETS: Record<string, Record<string, string>> = {
  "pix2pix.gan": { ngf: "4", ndf: "4", num_downs: "6", size: "64", load_size: "72", epochs: "1", epochs_decay: "1" },
  "dualgan.gan": { ngf: "4", ndf: "4", num_downs: "5", size: "32", epochs: "1" },
  "dualgan_ce.gan": { ngf: "4", ndf: "4", num_downs: "5", size: "32", epochs: "1" },
};

describe("specs/pix2pix.gan against the official code (unet_256, basic PatchGAN)", () => {
  const ir = expectNo(PIX2PIX).ir!;
  const G = netOf(ir, "G");
  const D = netOf(ir, "D");
  it("has 54,413,955 parameters in unet_256 and 2,768,705 in the conditional PatchGAN", () => {
    expect(trainable(ir, "G")).toBe(54_413_955);
    expect(trainable(ir, "D")).toBe(2_768_705);
  });
  it("has 41,828,995 parameters in unet_128 (--set num_downs=7)", () => {
    const ir128 = expectNo(PIX2PIX, undefined, { set: { num_downs: "7", size: "128", load_size: "143" } }).ir!;
    expect(trainable(ir128, "G")).toBe(41_828_995);
    expect(netOf(ir128, "G").sizes.text).toBe("multiples of 128");
  });
  it("maps 256×256×3 to 256×256×3 and (A, B) 256×256×6 to 30×30 logits", () => {
    expect(G.output.shape).toEqual([256, 256, 3]);
    expect(D.input.shape).toEqual([256, 256, 6]);
    expect(D.output.shape).toEqual([30, 30, 1]);
  });
  it("builds the U-Net by recursion: 8 down convs, 7 skip concatenations, dropout in 3 levels", () => {
    expect(ops(G, "conv").length).toBe(8);
    expect(ops(G, "conv_transpose").length).toBe(8);
    expect(ops(G, "concat").length).toBe(7);
    expect(ops(G, "batch_norm").length).toBe(6 + 7);
    expect(ops(G, "dropout").map((n) => n.shape)).toEqual([[4, 4, 512], [8, 8, 512], [16, 16, 512]]);
    // no bias on convs followed by batch norm, nor on the innermost and outermost down convs
    expect(G.params.filter((p) => p.name.endsWith("/bias")).map((p) => p.name)).toEqual(["G/conv_transpose1/bias"]);
    // innermost level: LeakyReLU, conv to 1×1, ReLU, conv_transpose, BN (no BN after its conv)
    const inner = G.nodes.filter((n) => n.id.startsWith(`G${"/level1".repeat(7)}/`)).map((n) => n.op);
    expect(inner).toEqual(["leaky_relu", "conv", "relu", "conv_transpose", "batch_norm", "concat"]);
  });
  it("concatenates [x, model(x)] with the ReLU after the concatenation", () => {
    const cat = G.nodes.find((n) => n.id === "G/level1/skip_concat")!;
    expect(cat.inputs).toEqual(["G/conv1", "G/level1/batch_norm2"]);
    const next = G.nodes[G.nodes.indexOf(cat) + 1]!;
    expect([next.op, next.inputs]).toEqual(["relu", ["G/level1/skip_concat"]]);
  });
  it("accepts multiples of 256 only, and says so for a wrong --set size", () => {
    expect(G.sizes).toMatchObject({ min: 256, step: 256, text: "multiples of 256" });
    for (const size of ["200", "300"]) {
      const d = expectDiagnostic(PIX2PIX, "GAN3008", "size\n  flip", { set: { size, load_size: "320" } });
      expect(d.message).toBe(`the training size ${size}×${size} is not accepted by \`G\` (UnetGenerator), which takes multiples of 256`);
      expect(d.hint).toBe(size === "200" ? "use 256" : "use 256 or 512");
      expect(d.related?.[0]?.message).toMatch(new RegExp(`^at ${size}×${size}: `));
      // the one error, not one per application of G
      expect(compile(PIX2PIX, { set: { size, load_size: "320" } }).diagnostics.filter((x) => x.severity === "error").length).toBe(1);
    }
  });
  it("trains D first, then G, on vanilla GAN + 100·L1 with Adam 2e-4 / 0.5, no pool, 100 + 100 epochs", () => {
    expect(ir.train.steps.map((s) => [s.loss, s.updates, s.optimizer])).toEqual([
      ["discriminator", ["D"], { kind: "adam", lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0 }],
      ["generator", ["G"], { kind: "adam", lr: 2e-4, beta1: 0.5, beta2: 0.999, eps: 1e-8, weight_decay: 0 }],
    ]);
    expect(ir.train).toMatchObject({ epochs: 200, batch: 1, schedule: { kind: "linear_decay", after: 100 }, pool: { size: 0 } });
    expect(ir.data).toMatchObject({ layout: "paired_ab", direction: "AtoB", load: 286, crop: 256, flip: true });
    const ops = new Set(ir.values.map((v) => v.op));
    expect(ops.has("vanilla") && ops.has("l1") && ops.has("concat") && ops.has("detach")).toBe(true);
    expect(ir.nets.every((n) => n.init.kind === "normal" && n.init.std === 0.02)).toBe(true);
  });
  it("computes G(A) once for both losses", () => {
    expect(ir.values.filter((v) => v.op === "apply" && v.attrs.net === "G").length).toBe(1);
  });
  it("drops dropout with --set use_dropout=false (--no_dropout)", () => {
    const ir2 = expectNo(PIX2PIX, undefined, { set: { use_dropout: "false" } }).ir!;
    expect(ops(netOf(ir2, "G"), "dropout")).toEqual([]);
    expect(trainable(ir2, "G")).toBe(54_413_955);
  });
});

describe("specs/dualgan.gan (the paper's WGAN objective)", () => {
  const ir = expectNo(DUALGAN).ir!;
  it("has U-Net generators of 8 5×5 stride-2 convs (64-128-256-512-512-512-512-512) and 8 deconvs", () => {
    const G = netOf(ir, "G_A");
    expect(ops(G, "conv").map((n) => n.shape[2])).toEqual([64, 128, 256, 512, 512, 512, 512, 512]);
    expect(ops(G, "conv").map((n) => n.attrs.kernel)).toEqual(Array(8).fill(5));
    expect(ops(G, "conv_transpose").map((n) => n.shape)).toEqual([
      [2, 2, 512], [4, 4, 512], [8, 8, 512], [16, 16, 512], [32, 32, 256], [64, 64, 128], [128, 128, 64], [256, 256, 3],
    ]);
    expect(ops(G, "concat").length).toBe(7);
    // dropout 0.5 after d1, d2, d3
    expect(ops(G, "dropout").map((n) => [n.shape[0], n.attrs.p])).toEqual([[2, 0.5], [4, 0.5], [8, 0.5]]);
    // per-sample norm with a learnt scale and offset after every conv but e1 and d8
    expect(ops(G, "instance_norm").length).toBe(14);
    expect(ops(G, "instance_norm").every((n) => n.attrs.affine === true && n.attrs.eps === 1e-5)).toBe(true);
    expect(G.sizes.text).toBe("multiples of 256");
    expect(trainable(ir, "G_A")).toBe(85_022_787);
  });
  it("has 5×5 patch critics with a 32×32 map at 256×256 that accept any size", () => {
    const D = netOf(ir, "D_A");
    expect(ops(D, "conv").map((n) => [n.shape, n.attrs.stride])).toEqual([
      [[128, 128, 64], 2], [[64, 64, 128], 2], [[32, 32, 256], 2], [[32, 32, 512], 1], [[32, 32, 1], 1],
    ]);
    expect(D.role).toBe("discriminator");
    // not size-preserving: its SAME-style stride-2 convs map 1×1 to 1×1, and that alone does not make it a generator
    expect(D.sizes.text).toBe("any size ≥ 1");
    expect(trainable(ir, "D_A")).toBe(4_321_153);
  });
  it("trains the critics 3 times with clipping, then the generators, with RMSProp 5e-5 (decay 0.9)", () => {
    expect(ir.train.steps.map((s) => ({ loss: s.loss, updates: s.updates, repeat: s.repeat, clip: s.clip, kind: s.optimizer.kind, lr: s.optimizer.lr, decay: s.optimizer.decay }))).toEqual([
      { loss: "critic", updates: ["D_A", "D_B"], repeat: 3, clip: { min: -0.01, max: 0.01 }, kind: "rmsprop", lr: 5e-5, decay: 0.9 },
      { loss: "generator", updates: ["G_A", "G_B"], repeat: 1, clip: undefined, kind: "rmsprop", lr: 5e-5, decay: 0.9 },
    ]);
    expect(ir.values.filter((v) => ["wgan", "vanilla"].includes(v.op)).map((v) => [v.op, v.attrs.target])).toEqual([
      ["wgan", "fake"], ["wgan", "real"], ["wgan", "fake"], ["wgan", "real"], ["wgan", "real"], ["wgan", "real"],
    ]);
    expect(ir.data).toMatchObject({ layout: "unpaired", preprocess: "resize", crop: 256, flip: false });
  });
  it("takes grey-scale domains by parameter (sketch-photo: --set A_channels=1 --set B_channels=1)", () => {
    const ir1 = expectNo(DUALGAN, undefined, { set: { A_channels: "1" } }).ir!;
    expect([netOf(ir1, "G_A").input.channels, netOf(ir1, "G_A").output.channels]).toEqual([1, 3]);
    expect([netOf(ir1, "G_B").input.channels, netOf(ir1, "G_B").output.channels]).toEqual([3, 1]);
    expect(netOf(ir1, "D_B").input.channels).toBe(1);
  });
  it("rejects 128×128 with the 8-level U-Net, and takes it with 7 levels", () => {
    const d = expectDiagnostic(DUALGAN, "GAN3008", "size\n  flip", { set: { size: "128" } });
    expect(d.message).toContain("multiples of 256");
    expectNo(DUALGAN, undefined, { set: { size: "128", num_downs: "7" } });
  });
  it("has the first release's global critic as a one-line change", () => {
    let text = edit(DUALGAN, "  conv(1, 5, stride: 1, pad: 2)\n}", "  flatten linear(1)\n}");
    text = edit(text, "network Critic(c): image[c] -> image[1]", "network Critic(c): image[c] -> vector[1]");
    const ir2 = expectNo(text, undefined, { set: { size: "128", num_downs: "7" } }).ir!;
    expect(netOf(ir2, "D_A").output).toEqual({ kind: "vector", channels: 1, shape: [1] });
    expect(netOf(ir2, "D_A").role).toBe("discriminator");
  });
});

/**
 * specs/dualgan_ce.gan — the repo's later code — is specs/dualgan.gan with exactly these
 * edits (then formatted): sigmoid cross-entropy instead of the WGAN criterion, no weight
 * clipping and no n_critic, two generator updates per iteration, λ = 20, eps 1e-6, 45 epochs.
 */
const DUALGAN_CE_EDITS: [string, string][] = [
  [
    `# Objective: the paper's WGAN, as in the first code release (d71400c): critic loss
# mean D(fake) − mean D(real), generator −mean D(G(x)) + λ·L1 reconstruction, every critic
# weight clipped to ±0.01 after each critic update, 3 critic updates per generator update,
# λ = 200, 30 epochs, norm eps 1e-5. RMSProp 5e-5 (decay 0.9), batch 1, no image pool.
# The repo's later objective is specs/dualgan_ce.gan: this file with a few-line diff
# (test/compiler/variants.test.ts, "DualGAN variants").`,
    `# Objective: the repo's later code (3139ecf): sigmoid cross-entropy GAN loss + λ·L1
# reconstruction, one D update then two G updates per iteration (on the same batch), no
# weight clipping, λ = 20 and 45 epochs (its README commands), norm eps 1e-6. RMSProp 5e-5
# (decay 0.9), batch 1, no image pool.
# The paper's WGAN objective is specs/dualgan.gan; this file is it with a few-line diff
# (test/compiler/variants.test.ts, "DualGAN variants").`,
  ],
  ["gan dualgan\n", "gan dualgan_ce\n"],
  ["param lambda_A = 200.0", "param lambda_A = 20.0"],
  ["param lambda_B = 200.0", "param lambda_B = 20.0"],
  ["param n_critic = 3       # critic updates per generator update\n", ""],
  ["param clip_value = 0.01  # every critic weight is clipped to [-c, c] after each critic update\n\n", ""],
  ["param norm_eps = 1e-5", "param norm_eps = 1e-6"],
  ["param epochs = 30", "param epochs = 45"],
  ["  D_A: wgan(D_A(detach(G_A(A))), fake) + wgan(D_A(B), real)", "  D_A: vanilla(D_A(detach(G_A(A))), fake) + vanilla(D_A(B), real)"],
  ["  D_B: wgan(D_B(detach(G_B(B))), fake) + wgan(D_B(A), real)", "  D_B: vanilla(D_B(detach(G_B(B))), fake) + vanilla(D_B(A), real)"],
  ["  gan_A: wgan(D_A(G_A(A)), real)", "  gan_A: vanilla(D_A(G_A(A)), real)"],
  ["  gan_B: wgan(D_B(G_B(B)), real)", "  gan_B: vanilla(D_B(G_B(B)), real)"],
  ["  n_critic: n_critic\n", ""],
  [" clip(-clip_value, clip_value)", ""],
  ["updates G_A, G_B with rmsprop(lr: lr, decay: 0.9)\n", "updates G_A, G_B with rmsprop(lr: lr, decay: 0.9) repeat 2\n"],
];

describe("DualGAN variants", () => {
  it("specs/dualgan_ce.gan is specs/dualgan.gan with the listed few-line diff", () => {
    let text = DUALGAN;
    for (const [from, to] of DUALGAN_CE_EDITS) text = edit(text, from, to);
    expect(text).toBe(DUALGAN_CE);
    // outside the header comment, at most 14 lines differ
    const a = DUALGAN.split("\n").filter((l) => !l.startsWith("#"));
    const b = DUALGAN_CE.split("\n").filter((l) => !l.startsWith("#"));
    const bset = new Set(b);
    expect(a.filter((l) => !bset.has(l)).length).toBeLessThanOrEqual(14);
  });
  it("the later code: cross-entropy, no clipping, one D update then two G updates, λ = 20", () => {
    const ir = expectNo(DUALGAN_CE).ir!;
    expect(ir.train.steps.map((s) => [s.loss, s.repeat, s.clip])).toEqual([
      ["critic", 1, undefined],
      ["generator", 2, undefined],
    ]);
    expect(new Set(ir.values.filter((v) => v.op === "vanilla" || v.op === "wgan").map((v) => v.op))).toEqual(new Set(["vanilla"]));
    expect(ir.spec.params).toMatchObject({ lambda_A: 20, lambda_B: 20, norm_eps: 1e-6, epochs: 45 });
    expect(trainable(ir, "G_A")).toBe(85_022_787);
    expect(trainable(ir, "D_A")).toBe(4_321_153);
  });
  it("rejects clipping the generators, with a clear message (GAN4008)", () => {
    const text = edit(DUALGAN, "updates G_A, G_B with rmsprop(lr: lr, decay: 0.9)", "updates G_A, G_B with rmsprop(lr: lr, decay: 0.9) clip(-clip_value, clip_value)");
    const d = expectDiagnostic(text, "GAN4008", "clip(-clip_value, clip_value)", { nth: 2 });
    expect(d.message).toBe("clip(-0.01, 0.01) would clip `G_A`, `G_B`, which are not critics");
  });
  it("rejects n_critic when no step updates only critics (GAN4009)", () => {
    const text = edit(DUALGAN, "step critic updates D_A, D_B with", "step critic updates D_A, D_B, G_A with");
    expectDiagnostic(text, "GAN4009", "n_critic: n_critic");
    // and clipping a step that updates a generator along with the critics
    expectDiagnostic(text, "GAN4008", "clip(-clip_value");
  });
});

describe("tiny --set values for tests and smoke runs", () => {
  it.each(Object.keys(TINY_SETS))("%s compiles small with its header's values", (name) => {
    const text = readFileSync(`specs/${name}`, "utf8");
    const set = TINY_SETS[name]!;
    // the header documents exactly these values
    const header = text.split("\n").filter((l) => l.startsWith("#")).join(" ");
    for (const [k, v] of Object.entries(set)) expect(header).toContain(`--set ${k}=${v}`);
    const r = compile(text, { set });
    expect(r.diagnostics).toEqual([]);
    const s = summarize(r.ir!);
    for (const n of s.nets) expect(n.trainable).toBeLessThan(200_000);
    for (const n of r.ir!.nets) expect(n.input.shape[0]).toBe(Number(set.size));
    // batch norm, dropout and skips are all still there
    const G = r.ir!.nets[0]!;
    expect(["dropout", "concat"].every((op) => G.nodes.some((n) => n.op === op))).toBe(true);
    expect(s.stepBytes.total).toBeLessThan(16 * 2 ** 20);
  });
});
