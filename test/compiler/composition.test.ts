// The composition features pix2pix and DualGAN need, each on its own: labelled tensors and
// concat in a DAG, `skip`, recursive blocks with a depth argument and `if` (and the
// recursion limit), the accepted input sizes of a U-Net, batch norm, dropout, per-step
// repeat counts, post-update clipping and RMSProp.
import { describe, expect, it } from "vitest";
import type { IrNet } from "../../src/ir/schema.js";
import { TINY, compile, edit, expectDiagnostic, expectNo } from "./harness.js";

/** TINY with its generator replaced by `body` (a network `Generator: image[3] -> image[3]`). */
function withGenerator(body: string, blocks = ""): string {
  const start = TINY.indexOf("network Generator");
  const end = TINY.indexOf("network Critic");
  return TINY.slice(0, start) + blocks + body + "\n\n" + TINY.slice(end);
}
const gen = (text: string, opts = {}): IrNet => expectNo(text, undefined, opts).ir!.nets.find((n) => n.name === "G_AB")!;

const EXPLICIT_UNET = `network Generator: image[3] -> image[3] {
  e1: conv(nf, 4, stride: 2, pad: 1)
  leaky_relu(0.2) e2: conv(nf * 2, 4, stride: 2, pad: 1)
  relu conv_transpose(nf, 4, stride: 2, pad: 1) batch_norm
  concat(e1)
  relu conv_transpose(3, 4, stride: 2, pad: 1) tanh
}`;

const RECURSIVE_UNET = `network Generator(depth = 3): image[3] -> image[3] {
  conv(nf, 4, stride: 2, pad: 1)
  level(1, depth)
  relu conv_transpose(3, 4, stride: 2, pad: 1) tanh
}`;
const LEVEL = `block level(i, n) skip {
  leaky_relu(0.2) conv(nf * pow(2, i), 4, stride: 2, pad: 1, bias: false)
  if i < n - 1 { batch_norm level(i + 1, n) }
  relu conv_transpose(nf * pow(2, i - 1), 4, stride: 2, pad: 1, bias: false) batch_norm
  if i == n - 1 { dropout(0.5) }
}

`;

describe("labelled tensors and concat (a DAG)", () => {
  it("concatenates a labelled encoder output into the decoder", () => {
    const G = gen(withGenerator(EXPLICIT_UNET));
    const cat = G.nodes.find((n) => n.op === "concat")!;
    expect(cat.id).toBe("G_AB/concat1");
    expect(cat.inputs).toEqual(["G_AB/batch_norm1", "G_AB/e1"]);
    expect(cat.shape).toEqual([8, 8, 8]);
    // a label names the layer and its parameters
    expect(G.params.map((p) => p.name)).toEqual(expect.arrayContaining(["G_AB/e1/kernel", "G_AB/e2/bias"]));
  });
  it("reports a label that is not defined (yet)", () => {
    expectDiagnostic(withGenerator(edit(EXPLICIT_UNET, "concat(e1)", "concat(e3)")), "GAN2018", "e3");
  });
  it("reports concatenating tensors of different sizes", () => {
    expectDiagnostic(withGenerator(edit(EXPLICIT_UNET, "concat(e1)", "concat(e2)")), "GAN3004", "concat(e2)");
  });
});

describe("recursive blocks: a U-Net in one block", () => {
  it("builds depth levels of skip(down, inner levels, up) with concat(x, f(x))", () => {
    const G = gen(withGenerator(RECURSIVE_UNET, LEVEL));
    expect(G.nodes.filter((n) => n.op === "concat").map((n) => n.id)).toEqual(["G_AB/level1/level1/skip_concat", "G_AB/level1/skip_concat"]);
    const outer = G.nodes.find((n) => n.id === "G_AB/level1/skip_concat")!;
    expect(outer.inputs).toEqual(["G_AB/conv1", "G_AB/level1/batch_norm2"]);
    expect(outer.shape).toEqual([8, 8, 8]);
    expect(G.nodes.filter((n) => n.op === "dropout").map((n) => n.id)).toEqual(["G_AB/level1/level1/dropout1"]);
    expect(G.sizes.text).toBe("multiples of 8");
  });
  it("takes its depth from a network argument", () => {
    const text = withGenerator(RECURSIVE_UNET, LEVEL);
    const deeper = gen(edit(text, "G_AB = Generator()", "G_AB = Generator(depth: 4)"));
    expect(deeper.nodes.filter((n) => n.op === "concat").length).toBe(3);
    expect(deeper.sizes.text).toBe("multiples of 16");
    expect(deeper.args).toEqual({ depth: 4 });
  });
  it("gives stable parameter names by nesting", () => {
    const G = gen(withGenerator(RECURSIVE_UNET, LEVEL));
    expect(G.params.filter((p) => p.name.includes("/level1/level1/conv1/")).map((p) => p.name)).toEqual(["G_AB/level1/level1/conv1/kernel"]);
  });
  it("stops a recursion without a base case at the depth limit (GAN2014)", () => {
    const text = withGenerator(RECURSIVE_UNET, edit(LEVEL, "if i < n - 1 { batch_norm level(i + 1, n) }", "batch_norm level(i + 1, n)"));
    const d = expectDiagnostic(text, "GAN2014", "level(i + 1, n)");
    expect(d.message).toBe("block `level` nests more than 64 levels deep");
    expect(d.hint).toBe("a recursive block needs an `if` that stops the recursion");
  });
});

describe("accepted input sizes of a U-Net", () => {
  const text = withGenerator(RECURSIVE_UNET, LEVEL);
  it("reports a training size that breaks the U-Net as one GAN3008 with the rule, not as a deep shape error", () => {
    for (const size of ["12", "4"]) {
      const d = expectDiagnostic(text, "GAN3008", "size\n  flip", { set: { size } });
      expect(d.message).toBe(`the training size ${size}×${size} is not accepted by \`G_AB\` (Generator), which takes multiples of 8`);
      expect(d.hint).toBe(size === "12" ? "use 8 or 16" : "use 8");
      // the first shape error at that size is kept as a note
      expect(d.related?.[0]?.message).toMatch(new RegExp(`^at ${size}×${size}: `));
      const errors = compile(text, { set: { size } }).diagnostics.filter((x) => x.severity === "error");
      expect(errors.map((e) => e.code)).toEqual(["GAN3008", "GAN3008"]); // G_AB and G_BA, nothing else
    }
  });
  it("keeps a layer's own error when the net takes any size above a minimum", () => {
    // the critic's 9×9 conv needs ≥ 36: the error stays at the layer
    expectDiagnostic(edit(TINY, "conv(1, 3, pad: 1)", "conv(1, 9)"), "GAN3006", "conv(1, 9)");
  });
  it("does not take a critic that maps 1×1 to 1×1 for a size-preserving network", () => {
    const text2 = edit(TINY, "conv(nf, 4, stride: 2, pad: 1) leaky_relu(0.2)\n  conv(nf * 2, 4, stride: 2, pad: 1)", "conv(nf, 5, stride: 2, pad: 2) leaky_relu(0.2)\n  conv(nf * 2, 5, stride: 2, pad: 2)");
    const D = expectNo(text2).ir!.nets.find((n) => n.name === "D_A")!;
    expect(D.sizes.text).toBe("any size ≥ 1");
    expect(D.output.shape).toEqual([4, 4, 1]);
  });
});

describe("batch norm and dropout", () => {
  it("batch norm has a trainable scale and offset and non-trainable running statistics", () => {
    const G = gen(withGenerator(EXPLICIT_UNET));
    expect(G.params.filter((p) => p.name.startsWith("G_AB/batch_norm1/")).map((p) => [p.name.split("/").pop(), p.shape, p.init, p.trainable])).toEqual([
      ["gamma", [4], "norm_weight", true],
      ["beta", [4], "zeros", true],
      ["moving_mean", [4], "zeros", false],
      ["moving_variance", [4], "ones", false],
    ]);
    expect(G.nodes.find((n) => n.op === "batch_norm")!.attrs).toEqual({ affine: true, eps: 1e-5, momentum: 0.1 });
    const noAffine = gen(withGenerator(edit(EXPLICIT_UNET, "batch_norm", "batch_norm(affine: false)")));
    expect(noAffine.params.filter((p) => p.name.startsWith("G_AB/batch_norm1/")).map((p) => p.trainable)).toEqual([false, false]);
  });
  it("dropout has no parameters and takes p in [0, 1]", () => {
    const G = gen(withGenerator(edit(EXPLICIT_UNET, "concat(e1)", "dropout concat(e1)")));
    const d = G.nodes.find((n) => n.op === "dropout")!;
    expect([d.attrs, d.params]).toEqual([{ p: 0.5 }, []]);
    const e = expectDiagnostic(withGenerator(edit(EXPLICIT_UNET, "concat(e1)", "dropout(1.5) concat(e1)")), "GAN2013", "1.5");
    expect(e.message).toBe("argument `p` of layer `dropout` must be at most 1, found 1.5");
  });
});

describe("training program: repeat counts, clipping, RMSProp", () => {
  const wgan = (t: string) => edit(edit(t, "loss discriminator {\n  D_A: 0.5 * (lsgan(D_A(A), real) + lsgan(D_A(pool(G_BA(B))), fake))\n  D_B: 0.5 * (lsgan(D_B(B), real) + lsgan(D_B(pool(G_AB(A))), fake))", "loss discriminator {\n  D_A: wgan(D_A(A), real) + wgan(D_A(detach(G_BA(B))), fake)\n  D_B: wgan(D_B(B), real) + wgan(D_B(detach(G_AB(A))), fake)"), "  pool: 4\n", "  pool: 0\n");
  const steps = (t: string) => expectNo(t).ir!.train.steps;
  it("a step may repeat; n_critic multiplies the critic-only steps' repeat", () => {
    let t = edit(wgan(TINY), "step generator updates G_AB, G_BA with adam(lr: lr, beta1: 0.5, beta2: 0.999)", "step generator updates G_AB, G_BA with adam(lr: lr, beta1: 0.5, beta2: 0.999) repeat 2");
    expect(steps(t).map((s) => s.repeat)).toEqual([2, 1]);
    t = edit(t, "updates D_A, D_B with adam(lr: lr, beta1: 0.5, beta2: 0.999)", "updates D_A, D_B with adam(lr: lr, beta1: 0.5, beta2: 0.999) repeat 2");
    t = edit(t, "  batch: 1", "  batch: 1\n  n_critic: 3");
    expect(steps(t).map((s) => s.repeat)).toEqual([2, 6]);
    expectDiagnostic(edit(TINY, "beta2: 0.999)\n  step discriminator", "beta2: 0.999) repeat 0\n  step discriminator"), "GAN2013", "0\n  step discriminator");
  });
  it("clips the critics after their update, with RMSProp", () => {
    const t = edit(wgan(TINY), "updates D_A, D_B with adam(lr: lr, beta1: 0.5, beta2: 0.999)", "updates D_A, D_B with rmsprop(lr: 5e-5, decay: 0.9) clip(-0.01, 0.01)");
    expect(steps(t)[1]).toMatchObject({ updates: ["D_A", "D_B"], optimizer: { kind: "rmsprop", lr: 5e-5, decay: 0.9, eps: 1e-8, momentum: 0 }, clip: { min: -0.01, max: 0.01 } });
    expectDiagnostic(edit(t, "clip(-0.01, 0.01)", "clip(0.01, -0.01)"), "GAN2013", "clip(0.01");
  });
});
