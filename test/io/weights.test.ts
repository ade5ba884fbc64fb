// gancc weights files (src/io/weights.ts): parameter lists from the IR, PyTorch naming,
// save/load round trips, validation errors, and the PyTorch CycleGAN parity fixture.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import type { Ir, IrNet } from "../../src/ir/schema.js";
import { decodeSafetensors, encodeSafetensors, readSafetensorsFileSync, type SafetensorsContents } from "../../src/io/safetensors.js";
import { WeightMappingError, permute, type TorchStateDict } from "../../src/io/torch_names.js";
import {
  WeightsError,
  checkWeightsAgainstNet,
  decodeWeights,
  encodeWeights,
  exportTorchNet,
  importTorchNet,
  irParamSpecs,
  loadWeights,
  loadWeightsSync,
  netWeights,
  saveWeights,
  saveWeightsSync,
  torchNames,
  type WeightTensors,
} from "../../src/io/weights.js";

const FIXTURES = fileURLToPath(new URL("../parity/fixtures", import.meta.url));
const COMMON = join(FIXTURES, "cyclegan_common.safetensors");
const tmp = mkdtempSync(join(tmpdir(), "gancc-weights-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function compile(text: string, file: string, set: Record<string, string> = {}): Ir {
  const r = compileSource(text, file, { set });
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.ir!;
}

const common = readSafetensorsFileSync(COMMON);
const fixtureSet = { ngf: common.metadata["ngf"]!, ndf: common.metadata["ndf"]!, size: common.metadata["image_size"]! };
const cyclegan = compile(readFileSync("specs/cyclegan.gan", "utf8"), "specs/cyclegan.gan", fixtureSet);
const net = (ir: Ir, name: string): IrNet => ir.nets.find((n) => n.name === name)!;

function stateDictOf(c: SafetensorsContents): TorchStateDict {
  const sd: TorchStateDict = {};
  for (const [k, v] of Object.entries(c.tensors)) if (v.data instanceof Float32Array) sd[k] = { shape: v.shape, data: v.data };
  return sd;
}
const sd = stateDictOf(common);

/** Deterministic, distinct values for every parameter of the given nets. */
function fakeWeights(ir: Ir, nets: string[]): WeightTensors {
  const m: WeightTensors = new Map();
  let s = 1;
  for (const n of nets) {
    for (const p of net(ir, n).params) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      m.set(p.name, { shape: [...p.shape], data: Float32Array.from({ length: size }, () => (s++ % 1000) / 7 - 50) });
    }
  }
  return m;
}

function bytesOf(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function expectWeightsError(fn: () => unknown, ...fragments: string[]): WeightsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(WeightsError);
  for (const f of fragments) expect((caught as Error).message).toContain(f);
  return caught as WeightsError;
}

/** A spec exercising every parameterised op, a U-Net (nested skips), residuals and flatten -> linear. */
const MIXED = `gan mixed
param nf = 4
param size = 16
init normal(mean: 0, std: 0.02)
block res(k) residual { reflect_pad(1) conv(k, 3) instance_norm(affine: true) relu }
block unet(depth, k) skip {
  conv(k, 4, stride: 2, pad: 1) leaky_relu(0.2)
  if depth > 1 { unet(depth - 1, k * 2) } else { res(k) }
  relu conv_transpose(k, 4, stride: 2, pad: 1) batch_norm
}
network UnetGenerator(depth = 2): image[3] -> image[3] {
  unet(depth, nf)
  residual { conv(7, 3, pad: 1) relu }
  conv(3, 3, pad: 1) tanh
}
network Disc: image[6] -> vector[1] {
  conv(nf, 4, stride: 2, pad: 1) batch_norm leaky_relu(0.2)
  conv(nf, 4, stride: 2, pad: 1, bias: false) dropout(0.5)
  flatten
  linear(1)
}
nets { G = UnetGenerator()  D = Disc() }
data { layout: paired_ab  domain A: image[3]  domain B: image[3]  direction: AtoB  preprocess: resize_and_crop  load: size + 2  crop: size  flip: true }
loss generator { adv: vanilla(D(concat(A, G(A))), real)  l1: 100 * l1(G(A), B) }
loss discriminator { d_real: 0.5 * vanilla(D(concat(A, B)), real)  d_fake: 0.5 * vanilla(D(concat(A, detach(G(A)))), fake) }
train {
  epochs: 1
  batch: 1
  seed: 0
  step generator updates G with adam(lr: 0.0002, beta1: 0.5, beta2: 0.999)
  step discriminator updates D with adam(lr: 0.0002, beta1: 0.5, beta2: 0.999)
}
`;
const mixed = compile(MIXED, "mixed.gan");

describe("irParamSpecs", () => {
  it("lists every parameter in forward order with its op and role", () => {
    const g = net(cyclegan, "G_AB");
    const ps = irParamSpecs(g);
    expect(ps.map((p) => p.name)).toEqual(g.params.map((p) => p.name));
    expect(ps[0]).toEqual({ name: "G_AB/c7s1_1/conv1/kernel", shape: [7, 7, 3, 4], op: "conv", role: "kernel" });
    expect(ps.find((p) => p.name === "G_AB/up1/conv_transpose1/kernel")).toMatchObject({ op: "conv_transpose", role: "kernel", shape: [3, 3, 8, 16] });
    const roles = irParamSpecs(net(mixed, "G")).map((p) => `${p.op}:${p.role}`);
    expect(roles).toContain("instance_norm:gamma");
    expect(roles).toContain("batch_norm:moving_variance");
    expect(irParamSpecs(net(mixed, "D")).map((p) => `${p.op}:${p.role}`)).toEqual([
      "conv:kernel", "conv:bias",
      "batch_norm:gamma", "batch_norm:beta", "batch_norm:moving_mean", "batch_norm:moving_variance",
      "conv:kernel",
      "linear:kernel", "linear:bias",
    ]);
  });
});

describe("torchNames", () => {
  it("gives the seed's names for the CycleGAN generator and PatchGAN (the parity fixture's keys)", () => {
    for (const n of ["G_AB", "G_BA", "D_A", "D_B"]) {
      const names = [...torchNames(net(cyclegan, n), `${n}.model.`).values()].sort();
      const fixtureKeys = Object.keys(common.tensors).filter((k) => k.startsWith(`${n}.`)).sort();
      expect(names).toEqual(fixtureKeys);
    }
    const g = torchNames(net(cyclegan, "G_AB"));
    expect(g.get("G_AB/c7s1_1/conv1/kernel")).toBe("model.1.weight");
    expect(g.get("G_AB/res1/conv2/bias")).toBe("model.10.conv_block.5.bias");
    expect(g.get("G_AB/up2/conv_transpose1/kernel")).toBe("model.22.weight");
    expect(g.get("G_AB/conv1/bias")).toBe("model.26.bias");
  });

  it("nests skip blocks as N.model.M and residual blocks as N.conv_block.M; norm leaves are torch's", () => {
    const g = torchNames(net(mixed, "G"), "");
    expect(g.get("G/unet1/conv1/kernel")).toBe("0.model.0.weight");
    expect(g.get("G/unet1/unet1/conv1/kernel")).toBe("0.model.2.model.0.weight");
    expect(g.get("G/unet1/unet1/res1/instance_norm1/gamma")).toBe("0.model.2.model.2.conv_block.2.weight");
    expect(g.get("G/unet1/unet1/batch_norm1/moving_variance")).toBe("0.model.2.model.5.running_var");
    expect(g.get("G/unet1/conv_transpose1/kernel")).toBe("0.model.4.weight");
    expect(g.get("G/residual1/conv1/kernel")).toBe("1.conv_block.0.weight");
    expect(g.get("G/conv1/bias")).toBe("2.bias");
    const d = torchNames(net(mixed, "D"));
    expect(d.get("D/batch_norm1/moving_mean")).toBe("model.1.running_mean");
    expect(d.get("D/conv2/kernel")).toBe("model.3.weight");
    expect(d.get("D/linear1/kernel")).toBe("model.6.weight"); // dropout and flatten count
  });
});

describe("save and load", () => {
  it("round-trips tensors bit-exactly, with the metadata and a validated IR", async () => {
    const tensors = fakeWeights(cyclegan, ["G_AB", "D_A"]);
    const file = join(tmp, "rt.safetensors");
    await saveWeights(file, { ir: cyclegan, tensors, extraMetadata: { note: "hello" } });
    const back = await loadWeights(file);
    expect(back.info).toEqual({ formatVersion: "1", irVersion: 1, specName: "cyclegan", specSha256: cyclegan.spec.sha256, nets: ["G_AB", "D_A"] });
    expect(back.metadata).toMatchObject({
      format: "gancc-weights",
      format_version: "1",
      ir_version: "1",
      spec_name: "cyclegan",
      spec_sha256: cyclegan.spec.sha256,
      nets: "G_AB,D_A",
      note: "hello",
    });
    expect(back.ir).toEqual(cyclegan);
    // IR order, every tensor identical
    expect([...back.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [k, v] of tensors) {
      expect(back.tensors.get(k)!.shape).toEqual(v.shape);
      expect(bytesOf(back.tensors.get(k)!.data).equals(bytesOf(v.data))).toBe(true);
    }
    // deterministic bytes; the file is exactly the encoded bytes
    const bytes = encodeWeights({ ir: cyclegan, tensors, extraMetadata: { note: "hello" } });
    expect(Buffer.from(readFileSync(file)).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(encodeWeights({ ir: cyclegan, tensors, extraMetadata: { note: "hello" } })).equals(Buffer.from(bytes))).toBe(true);
    // written via a temporary file that is renamed away
    expect(readdirSync(tmp).filter((f) => f.includes(".tmp-"))).toEqual([]);
    // sync variants agree
    saveWeightsSync(join(tmp, "rt2.safetensors"), { ir: cyclegan, tensors, extraMetadata: { note: "hello" } });
    expect(readFileSync(join(tmp, "rt2.safetensors")).equals(readFileSync(file))).toBe(true);
    expect([...loadWeightsSync(file).tensors.keys()]).toEqual([...tensors.keys()]);
  });

  it("without the IR: smaller, ir undefined, tensors still checked against the listed nets", () => {
    const tensors = fakeWeights(cyclegan, ["D_B"]);
    const withIr = encodeWeights({ ir: cyclegan, tensors });
    const without = encodeWeights({ ir: cyclegan, tensors, includeIr: false });
    expect(without.length).toBeLessThan(withIr.length - 10_000);
    const back = decodeWeights(without, "d.safetensors");
    expect(back.ir).toBeUndefined();
    expect(back.metadata["ir"]).toBeUndefined();
    expect(back.info.nets).toEqual(["D_B"]);
    expect(back.tensors.size).toBe(net(cyclegan, "D_B").params.length);
    // netWeights checks against a net given by the caller
    expect(netWeights(back, net(cyclegan, "D_B")).size).toBe(10);
    expectWeightsError(() => netWeights(back, net(cyclegan, "G_AB"), "d.safetensors"), "d.safetensors: holds no weights for net G_AB (it has D_B)");
  });

  it("refuses to save tensors that do not fit the IR", () => {
    const good = fakeWeights(cyclegan, ["D_A"]);
    const missing = new Map(good);
    missing.delete("D_A/ck2/conv1/bias");
    expectWeightsError(() => encodeWeights({ ir: cyclegan, tensors: missing }, "out.safetensors"), "out.safetensors: the tensors to save do not fit net D_A", "D_A/ck2/conv1/bias [8] is missing");
    const wrong = new Map(good);
    wrong.set("D_A/conv1/kernel", { shape: [4, 4, 3, 3], data: new Float32Array(144) });
    expectWeightsError(() => encodeWeights({ ir: cyclegan, tensors: wrong }), "D_A/conv1/kernel: the net expects [4,4,3,2] but the weights have [4,4,3,3]");
    const extra = new Map(good);
    extra.set("D_A/conv9/kernel", { shape: [1], data: new Float32Array(1) });
    expectWeightsError(() => encodeWeights({ ir: cyclegan, tensors: extra }), "D_A/conv9/kernel [1] is not a parameter of D_A");
    expectWeightsError(() => encodeWeights({ ir: cyclegan, tensors: good, nets: ["D_X"] }), "cyclegan has no net D_X (its nets: G_AB, G_BA, D_A, D_B)");
    expectWeightsError(() => encodeWeights({ ir: cyclegan, tensors: new Map([...good, ...fakeWeights(cyclegan, ["D_B"])]), nets: ["D_A"] }), "belongs to none of the nets being saved");
    expectWeightsError(() => encodeWeights({ ir: cyclegan, tensors: good, extraMetadata: { nets: "x" } }), 'metadata key "nets" is reserved');
    expectWeightsError(() => encodeWeights({ ir: cyclegan, tensors: new Map() }), "no tensors to save");
  });

  it("checkWeightsAgainstNet lists missing, wrong-shape and unexpected tensors with both shapes", () => {
    const t = fakeWeights(cyclegan, ["D_A", "D_B"]);
    t.delete("D_A/conv2/bias");
    t.set("D_A/ck1/conv1/kernel", { shape: [4, 4, 2, 8], data: new Float32Array(256) });
    t.set("D_A/extra/kernel", { shape: [2], data: new Float32Array(2) });
    const problems = checkWeightsAgainstNet(t, net(cyclegan, "D_A"));
    expect(problems).toEqual([
      { kind: "shape", name: "D_A/ck1/conv1/kernel", expected: [4, 4, 2, 4], found: [4, 4, 2, 8], message: "D_A/ck1/conv1/kernel: the net expects [4,4,2,4] but the weights have [4,4,2,8]" },
      { kind: "missing", name: "D_A/conv2/bias", expected: [1], message: "D_A/conv2/bias [1] is missing" },
      { kind: "unexpected", name: "D_A/extra/kernel", found: [2], message: "D_A/extra/kernel [2] is not a parameter of D_A" },
    ]);
    // the other net's tensors are not this net's business
    expect(checkWeightsAgainstNet(t, net(cyclegan, "D_B"))).toEqual([]);
  });
});

describe("reading damaged or foreign files", () => {
  const tensors = fakeWeights(cyclegan, ["D_A"]);
  const good = encodeWeights({ ir: cyclegan, tensors });

  it("a truncated file: a WeightsError naming the file, what is wrong and what to do", async () => {
    const file = join(tmp, "truncated.safetensors");
    writeFileSync(file, good.subarray(0, good.length - 100));
    let caught: unknown;
    try {
      await loadWeights(file);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WeightsError);
    const err = caught as WeightsError;
    expect(err.file).toBe(file);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/truncated/);
    expect(err.message).toContain("re-create it");
    // a header cut short, and garbage
    writeFileSync(file, good.subarray(0, 20));
    expectWeightsError(() => loadWeightsSync(file), file, "runs past the end");
    writeFileSync(file, Buffer.from("not a weights file at all"));
    expectWeightsError(() => loadWeightsSync(file), file);
    expectWeightsError(() => loadWeightsSync(join(tmp, "nope.safetensors")), "nope.safetensors", "cannot read the file", "check the path");
  });

  it("a PyTorch state_dict is not a weights file, and the error says how to import it", () => {
    expectWeightsError(() => loadWeightsSync(COMMON), "not a gancc weights file", "gancc weights import SPEC --net NET --from cyclegan_common.safetensors");
  });

  it("metadata that disagrees with the tensors or the IR", () => {
    const c = decodeSafetensors(good);
    const reencode = (metadata: Record<string, string>, ts = c.tensors) => encodeSafetensors(ts, metadata);
    expectWeightsError(() => decodeWeights(reencode({ ...c.metadata, format_version: "2" }), "w.st"), "w.st: weights format version 2 is not supported");
    expectWeightsError(() => decodeWeights(reencode({ ...c.metadata, ir_version: "7" }), "w.st"), "IR version 7");
    expectWeightsError(() => decodeWeights(reencode({ ...c.metadata, nets: "D_B" }), "w.st"), "belongs to none of the file's nets (D_B)");
    expectWeightsError(() => decodeWeights(reencode({ ...c.metadata, spec_sha256: "0".repeat(64) }), "w.st"), "the file is damaged");
    const badIr = JSON.parse(c.metadata["ir"]!) as Ir;
    (badIr as unknown as { nets: unknown }).nets = "oops";
    expectWeightsError(() => decodeWeights(reencode({ ...c.metadata, ir: JSON.stringify(badIr) }), "w.st"), "w.st: the stored IR is not usable", "not a valid gancc IR");
    // a stored IR whose net has other shapes (e.g. a hand-edited file)
    const otherIr = compile(readFileSync("specs/cyclegan.gan", "utf8"), "specs/cyclegan.gan", { ...fixtureSet, ndf: "4" });
    const md = { ...c.metadata, ir: JSON.stringify(otherIr), spec_sha256: otherIr.spec.sha256 };
    expectWeightsError(() => decodeWeights(reencode(md), "w.st"), "w.st: the stored tensors do not fit net D_A", "D_A/conv1/kernel: the net expects [4,4,3,4] but the weights have [4,4,3,2]");
    const f64 = { ...c.tensors, "D_A/conv1/bias": { dtype: "F64" as const, shape: [2], data: new Float64Array(2) } };
    expectWeightsError(() => decodeWeights(reencode(c.metadata, f64), "w.st"), "tensor D_A/conv1/bias is F64, but gancc weights are F32");
  });
});

describe("the PyTorch CycleGAN parity fixture", () => {
  it("imports every net as the transposed torch tensors", () => {
    for (const n of ["G_AB", "G_BA", "D_A", "D_B"]) {
      const irNet = net(cyclegan, n);
      const w = importTorchNet(sd, irNet, { prefix: `${n}.`, source: "cyclegan_common.safetensors" });
      expect([...w.keys()]).toEqual(irNet.params.map((p) => p.name));
      expect(checkWeightsAgainstNet(w, irNet)).toEqual([]);
      const names = torchNames(irNet, `${n}.model.`);
      for (const p of irParamSpecs(irNet)) {
        const t = sd[names.get(p.name)!]!;
        const want = p.role === "kernel" ? permute(t.data, t.shape, [2, 3, 1, 0]) : t.data;
        expect(bytesOf(w.get(p.name)!.data).equals(bytesOf(want))).toBe(true);
      }
    }
    // spot check one index by hand: gancc HWIO [h][w][i][o] == torch OIHW [o][i][h][w]
    const k = importTorchNet(sd, net(cyclegan, "G_AB"), { prefix: "G_AB." }).get("G_AB/c7s1_1/conv1/kernel")!;
    const t = sd["G_AB.model.1.weight"]!;
    expect(k.data[((6 * 7 + 5) * 3 + 2) * 4 + 3]).toBe(t.data[((3 * 3 + 2) * 7 + 6) * 7 + 5]);
  });

  it("exports back to the original torch tensors, bit-exactly, under the seed's names", () => {
    for (const n of ["G_AB", "G_BA", "D_A", "D_B"]) {
      const irNet = net(cyclegan, n);
      const back = exportTorchNet(irNet, importTorchNet(sd, irNet, { prefix: `${n}.` }), `${n}.model.`);
      const keys = Object.keys(sd).filter((k) => k.startsWith(`${n}.`));
      expect(Object.keys(back).sort()).toEqual(keys.sort());
      for (const k of keys) {
        expect(back[k]!.shape).toEqual(sd[k]!.shape);
        expect(bytesOf(back[k]!.data).equals(bytesOf(sd[k]!.data))).toBe(true);
      }
    }
  });

  it("other module namings import the same (matching is by order)", () => {
    const official: TorchStateDict = {};
    for (const [k, v] of Object.entries(sd)) if (k.startsWith("G_AB.model.")) official[k.replace("G_AB.model.", "netG_A.module.model.")] = v;
    const a = importTorchNet(sd, net(cyclegan, "G_AB"), { prefix: "G_AB." });
    const b = importTorchNet(official, net(cyclegan, "G_AB"), { prefix: "netG_A." });
    for (const [k, v] of a) expect(bytesOf(b.get(k)!.data).equals(bytesOf(v.data))).toBe(true);
  });

  it("a wrong architecture fails at the first layer that differs, with both shapes", () => {
    const wide = compile(readFileSync("specs/cyclegan.gan", "utf8"), "specs/cyclegan.gan", { ...fixtureSet, ngf: "8" });
    let caught: unknown;
    try {
      importTorchNet(sd, net(wide, "G_AB"), { prefix: "G_AB.", source: "cyclegan_common.safetensors" });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WeightMappingError);
    expect((caught as Error).message).toContain(
      "G_AB/c7s1_1/conv1/kernel expects [7,7,3,8] (torch [8,3,7,7]) but G_AB.model.1.weight in cyclegan_common.safetensors has [4,3,7,7]",
    );
  });
});

describe("whole-net mapping beyond the fixture", () => {
  it("U-Net, batch norm, affine instance norm and linear round-trip through torch names", () => {
    for (const n of ["G", "D"]) {
      const irNet = net(mixed, n);
      const w = fakeWeights(mixed, [n]);
      const t = exportTorchNet(irNet, w, "net.");
      expect(Object.keys(t).length).toBe(irNet.params.length);
      const back = importTorchNet(t, irNet, { prefix: "net." });
      for (const [k, v] of w) expect(bytesOf(back.get(k)!.data).equals(bytesOf(v.data))).toBe(true);
    }
  });

  it("a linear after flatten gets its rows reordered from torch's C,H,W to gancc's H,W,C order", () => {
    const d = net(mixed, "D"); // conv2 output 4x4x4 -> flatten 64 -> linear(1)
    const w = fakeWeights(mixed, ["D"]);
    const t = exportTorchNet(d, w);
    const torchW = t["model.6.weight"]!;
    expect(torchW.shape).toEqual([1, 64]);
    const k = w.get("D/linear1/kernel")!.data; // [64, 1], rows in (h*4 + w)*4 + c order
    for (let c = 0; c < 4; c++) for (let h = 0; h < 4; h++) for (let x = 0; x < 4; x++) expect(torchW.data[(c * 4 + h) * 4 + x]).toBe(k[(h * 4 + x) * 4 + c]);
  });
});
