import { describe, expect, it } from "vitest";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import {
  WeightMappingError,
  compareTorchKeys,
  expectedTorchShape,
  exportTorch,
  importTorch,
  matchTorchParams,
  permute,
  sortTorchKeys,
  type GanccParamSpec,
  type TorchStateDict,
} from "../../src/io/torch_names.js";
import { readSafetensorsFileSync, type SafetensorsContents } from "../../src/io/safetensors.js";

const FIXTURES = fileURLToPath(new URL("../parity/fixtures", import.meta.url));

function arange(n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i * scale);
}

function t(shape: number[], data?: Float32Array) {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: data ?? arange(n) };
}

function expectMappingError(fn: () => unknown, ...fragments: string[]): string {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(WeightMappingError);
  const msg = (caught as Error).message;
  for (const f of fragments) expect(msg).toContain(f);
  return msg;
}

/** The gancc parameter list of the spec's ResnetGenerator (instance norms have no params). */
function resnetGeneratorParams(net: string, ngf: number, nRes: number): GanccParamSpec[] {
  const ps: GanccParamSpec[] = [];
  const conv = (path: string, k: number, cin: number, cout: number) => {
    ps.push({ name: `${net}/${path}/kernel`, shape: [k, k, cin, cout], op: "conv", role: "kernel" });
    ps.push({ name: `${net}/${path}/bias`, shape: [cout], op: "conv", role: "bias" });
  };
  const convT = (path: string, k: number, cin: number, cout: number) => {
    ps.push({ name: `${net}/${path}/kernel`, shape: [k, k, cout, cin], op: "conv_transpose", role: "kernel" });
    ps.push({ name: `${net}/${path}/bias`, shape: [cout], op: "conv_transpose", role: "bias" });
  };
  conv("c7s1/conv", 7, 3, ngf);
  conv("down1/conv", 3, ngf, ngf * 2);
  conv("down2/conv", 3, ngf * 2, ngf * 4);
  for (let r = 1; r <= nRes; r++) {
    conv(`res${r}/conv1`, 3, ngf * 4, ngf * 4);
    conv(`res${r}/conv2`, 3, ngf * 4, ngf * 4);
  }
  convT("up1/conv_transpose", 3, ngf * 4, ngf * 2);
  convT("up2/conv_transpose", 3, ngf * 2, ngf);
  conv("out/conv", 7, ngf, 3);
  return ps;
}

function stateDictFrom(contents: SafetensorsContents): TorchStateDict {
  const sd: TorchStateDict = {};
  for (const [k, v] of Object.entries(contents.tensors)) {
    if (v.data instanceof Float32Array) sd[k] = { shape: v.shape, data: v.data };
  }
  return sd;
}

describe("torch key order", () => {
  it("sorts by module order: numeric components as numbers, weight before bias, skips num_batches_tracked", () => {
    const keys = [
      "model.10.conv_block.5.bias",
      "model.2.weight",
      "model.10.conv_block.1.weight",
      "model.26.bias",
      "model.2.bias",
      "model.1.running_var",
      "model.1.num_batches_tracked",
      "model.1.running_mean",
      "model.1.bias",
      "model.1.weight",
      "model.10.conv_block.5.weight",
      "model.10.conv_block.1.bias",
      "model.9.weight",
    ];
    expect(sortTorchKeys(keys)).toEqual([
      "model.1.weight",
      "model.1.bias",
      "model.1.running_mean",
      "model.1.running_var",
      "model.2.weight",
      "model.2.bias",
      "model.9.weight",
      "model.10.conv_block.1.weight",
      "model.10.conv_block.1.bias",
      "model.10.conv_block.5.weight",
      "model.10.conv_block.5.bias",
      "model.26.bias",
    ]);
  });

  it("natural-sorts named modules and puts a module's own tensors before its children's", () => {
    const keys = ["enc.conv10.weight", "enc.conv2.weight", "enc.block.sub.weight", "enc.block.weight", "enc.block.bias"];
    expect(sortTorchKeys(keys)).toEqual([
      "enc.block.weight",
      "enc.block.bias",
      "enc.block.sub.weight",
      "enc.conv2.weight",
      "enc.conv10.weight",
    ]);
    expect(compareTorchKeys("a.2.weight", "a.10.weight")).toBeLessThan(0);
    expect(compareTorchKeys("a.10.weight", "a.10.weight")).toBe(0);
  });
});

describe("layout conversion", () => {
  it("permute is a general transpose", () => {
    // [2,3] -> [3,2]
    expect(Array.from(permute(arange(6), [2, 3], [1, 0]))).toEqual([0, 3, 1, 4, 2, 5]);
    // identity
    expect(Array.from(permute(arange(24), [2, 3, 4], [0, 1, 2]))).toEqual(Array.from(arange(24)));
  });

  it("conv kernel OIHW -> HWIO on a non-symmetric kernel", () => {
    const [O, I, H, W] = [2, 3, 4, 5];
    const sd: TorchStateDict = { "conv.weight": t([O, I, H, W]), "conv.bias": t([O], new Float32Array([7, 8])) };
    const params: GanccParamSpec[] = [
      { name: "n/conv/kernel", shape: [H, W, I, O], op: "conv", role: "kernel" },
      { name: "n/conv/bias", shape: [O], op: "conv", role: "bias" },
    ];
    expect(expectedTorchShape(params[0]!)).toEqual([O, I, H, W]);
    const out = importTorch(sd, params);
    expect(Object.keys(out)).toEqual(["n/conv/kernel", "n/conv/bias"]);
    const k = out["n/conv/kernel"]!;
    expect(k.shape).toEqual([H, W, I, O]);
    for (let o = 0; o < O; o++)
      for (let i = 0; i < I; i++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++) {
            const torchIdx = ((o * I + i) * H + h) * W + w;
            const ganccIdx = ((h * W + w) * I + i) * O + o;
            expect(k.data[ganccIdx]).toBe(torchIdx);
          }
    expect(Array.from(out["n/conv/bias"]!.data)).toEqual([7, 8]);
    // the import copies: mutating the result leaves the state dict alone
    out["n/conv/bias"]!.data[0] = 99;
    expect(sd["conv.bias"]!.data[0]).toBe(7);
  });

  it("conv-transpose kernel IOHW -> HWOI", () => {
    const [I, O, H, W] = [4, 3, 3, 2]; // torch ConvTranspose2d(4, 3, (3, 2)): weight [in, out, kh, kw]
    const sd: TorchStateDict = { "up.weight": t([I, O, H, W]), "up.bias": t([O]) };
    const params: GanccParamSpec[] = [
      { name: "up/kernel", shape: [H, W, O, I], op: "conv_transpose", role: "kernel" },
      { name: "up/bias", shape: [O], op: "conv_transpose", role: "bias" },
    ];
    const k = importTorch(sd, params)["up/kernel"]!;
    for (let i = 0; i < I; i++)
      for (let o = 0; o < O; o++)
        for (let h = 0; h < H; h++)
          for (let w = 0; w < W; w++) {
            expect(k.data[((h * W + w) * O + o) * I + i]).toBe(((i * O + o) * H + h) * W + w);
          }
  });

  it("linear [out,in] -> [in,out]; batch norm roles; round trip through exportTorch", () => {
    const sd: TorchStateDict = {
      "fc.weight": t([3, 5]),
      "fc.bias": t([3]),
      "bn.weight": t([3], new Float32Array([1, 2, 3])),
      "bn.bias": t([3], new Float32Array([4, 5, 6])),
      "bn.running_mean": t([3], new Float32Array([7, 8, 9])),
      "bn.running_var": t([3], new Float32Array([10, 11, 12])),
    };
    const withCounter = { ...sd, "bn.num_batches_tracked": t([1]) };
    // natural order puts "bn" before "fc": declare the gancc list in that order
    const params: GanccParamSpec[] = [
      { name: "m/bn/gamma", shape: [3], op: "batch_norm", role: "gamma" },
      { name: "m/bn/beta", shape: [3], op: "batch_norm", role: "beta" },
      { name: "m/bn/moving_mean", shape: [3], op: "batch_norm", role: "moving_mean" },
      { name: "m/bn/moving_variance", shape: [3], op: "batch_norm", role: "moving_variance" },
      { name: "m/fc/kernel", shape: [5, 3], op: "linear", role: "kernel" },
      { name: "m/fc/bias", shape: [3], op: "linear", role: "bias" },
    ];
    const vals = importTorch(withCounter, params);
    expect(Array.from(vals["m/bn/moving_variance"]!.data)).toEqual([10, 11, 12]);
    expect(Array.from(vals["m/bn/beta"]!.data)).toEqual([4, 5, 6]);
    const fc = vals["m/fc/kernel"]!;
    expect(fc.shape).toEqual([5, 3]);
    for (let o = 0; o < 3; o++) for (let i = 0; i < 5; i++) expect(fc.data[i * 3 + o]).toBe(o * 5 + i);

    const back = exportTorch(params, vals, { template: sd });
    expect(Object.keys(back).sort()).toEqual(Object.keys(sd).sort());
    for (const [k, v] of Object.entries(sd)) {
      expect(back[k]!.shape).toEqual(v.shape);
      expect(Array.from(back[k]!.data)).toEqual(Array.from(v.data));
    }
    // without a template, names come from the gancc names
    expect(Object.keys(exportTorch(params, vals))).toEqual([
      "m.bn.weight",
      "m.bn.bias",
      "m.bn.running_mean",
      "m.bn.running_var",
      "m.fc.weight",
      "m.fc.bias",
    ]);
  });
});

describe("mismatch errors", () => {
  it("names the first layer that differs, with both shapes", () => {
    const params: GanccParamSpec[] = [
      { name: "G_AB/res2/conv2/bias", shape: [256], op: "conv", role: "bias" },
      { name: "G_AB/res3/conv1/kernel", shape: [3, 3, 256, 256], op: "conv", role: "kernel" },
      { name: "G_AB/res3/conv1/bias", shape: [256], op: "conv", role: "bias" },
    ];
    const shapes = {
      "model.11.conv_block.5.bias": { shape: [256] },
      "model.12.conv_block.1.weight": { shape: [128, 256, 3, 3] },
      "model.12.conv_block.1.bias": { shape: [128] },
    };
    const msg = expectMappingError(() => matchTorchParams(shapes, params));
    expect(msg.startsWith(
      "G_AB/res3/conv1/kernel expects [3,3,256,256] (torch [256,256,3,3]) but model.12.conv_block.1.weight has [128,256,3,3]",
    )).toBe(true);
    expect(msg).toContain("parameter 2 of 3");
  });

  it("biases report the shape once", () => {
    const params: GanccParamSpec[] = [{ name: "n/c/bias", shape: [4], op: "conv", role: "bias" }];
    expectMappingError(
      () => importTorch({ "c.bias": t([5]) }, params, { source: "ckpt.safetensors" }),
      "n/c/bias expects [4] but c.bias in ckpt.safetensors has [5]",
    );
  });

  it("role mismatch (a running mean where a kernel belongs)", () => {
    const params: GanccParamSpec[] = [
      { name: "n/c/kernel", shape: [1, 1, 3, 3], op: "conv", role: "kernel" },
      { name: "n/c/bias", shape: [3], op: "conv", role: "bias" },
    ];
    expectMappingError(
      () => importTorch({ "c.bias": t([3]), "c.running_mean": t([3]) }, params),
      "n/c/kernel (a conv kernel, torch \"weight\") cannot take c.bias",
    );
  });

  it("count mismatch names the first unmatched one", () => {
    const params: GanccParamSpec[] = [
      { name: "n/a/kernel", shape: [2, 3], op: "linear", role: "kernel" },
      { name: "n/a/bias", shape: [3], op: "linear", role: "bias" },
      { name: "n/b/kernel", shape: [3, 1], op: "linear", role: "kernel" },
    ];
    const sd = { "a.weight": t([3, 2]), "a.bias": t([3]) };
    expectMappingError(
      () => importTorch(sd, params),
      "the model has 3 parameters but the state dict has 2 tensors",
      "n/b/kernel [3,1] (torch [1,3]) has no torch counterpart",
    );
    expectMappingError(
      () => importTorch({ ...sd, "b.weight": t([1, 3]), "b.bias": t([1]) }, params),
      "the state dict has 4 tensors but the model has 3 parameters",
      "b.bias [1] has no model parameter",
    );
    expectMappingError(() => importTorch({}, params), "no tensors");
  });

  it("data length that disagrees with the declared shape", () => {
    const params: GanccParamSpec[] = [{ name: "n/a/bias", shape: [3], op: "linear", role: "bias" }];
    expectMappingError(() => importTorch({ "a.bias": { shape: [3], data: new Float32Array(2) } }, params), "holds 2 values");
    expectMappingError(() => exportTorch(params, { "n/a/bias": { data: new Float32Array(4) } }), "n/a/bias expects [3]");
    expectMappingError(() => exportTorch(params, {}), "no value for parameter n/a/bias");
  });
});

describe("the PyTorch CycleGAN parity fixture", () => {
  const common = readSafetensorsFileSync(join(FIXTURES, "cyclegan_common.safetensors"));
  const ngf = Number(common.metadata["ngf"]);
  const nRes = Number(common.metadata["n_res"]);
  const sd = stateDictFrom(common);

  it("imports G_AB's weights into a ResNet generator's parameter list", () => {
    expect(nRes).toBe(9);
    const params = resnetGeneratorParams("G_AB", ngf, nRes);
    const matches = matchTorchParams(sd, params, { prefix: "G_AB." });
    expect(matches.length).toBe(2 * (3 + 2 * nRes + 2 + 1));
    expect(matches[0]!.torchKey).toBe("G_AB.model.1.weight");
    expect(matches[6]!.torchKey).toBe("G_AB.model.10.conv_block.1.weight");
    expect(matches[matches.length - 1]!.torchKey).toBe("G_AB.model.26.bias");

    const vals = importTorch(sd, params, { prefix: "G_AB.", source: "cyclegan_common.safetensors" });
    // first conv: gancc [7,7,3,ngf][h][w][i][o] == torch [ngf,3,7,7][o][i][h][w]
    const k = vals["G_AB/c7s1/conv/kernel"]!;
    const tw = sd["G_AB.model.1.weight"]!;
    expect(tw.shape).toEqual([ngf, 3, 7, 7]);
    for (const [o, i, h, w] of [[0, 0, 0, 0], [ngf - 1, 2, 6, 5], [1, 2, 3, 4], [ngf - 2, 1, 5, 0]] as const) {
      expect(k.data[((h * 7 + w) * 3 + i) * ngf + o]).toBe(tw.data[((o * 3 + i) * 7 + h) * 7 + w]);
    }
    // first up-sampling conv-transpose: torch IOHW [4ngf, 2ngf, 3, 3] -> gancc HWOI [3, 3, 2ngf, 4ngf]
    const up = vals["G_AB/up1/conv_transpose/kernel"]!;
    const tu = sd["G_AB.model.19.weight"]!;
    const [I, O] = [ngf * 4, ngf * 2];
    expect(tu.shape).toEqual([I, O, 3, 3]);
    for (const [i, o, h, w] of [[I - 1, 0, 2, 1], [3, O - 1, 0, 2], [5, 2, 1, 1]] as const) {
      expect(up.data[((h * 3 + w) * O + o) * I + i]).toBe(tu.data[((i * O + o) * 3 + h) * 3 + w]);
    }
    // weights really are N(0, 0.02), biases zero
    expect(Array.from(vals["G_AB/res5/conv2/bias"]!.data).every((v) => v === 0)).toBe(true);
    const res = vals["G_AB/res5/conv2/kernel"]!.data;
    const std = Math.sqrt(res.reduce((a, v) => a + v * v, 0) / res.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);

    // and back again, exactly
    const back = exportTorch(params, vals, { template: sd, prefix: "G_AB." });
    for (const [key, v] of Object.entries(back)) {
      expect(v.shape).toEqual(sd[key]!.shape);
      expect(Buffer.from(v.data.buffer).equals(Buffer.from(sd[key]!.data.buffer))).toBe(true);
    }
  });

  it("the after-step weights map onto the same list", () => {
    const avg = stateDictFrom(readSafetensorsFileSync(join(FIXTURES, "cyclegan_avg.safetensors")));
    const vals = importTorch(avg, resnetGeneratorParams("G_BA", ngf, nRes), { prefix: "after.G_BA." });
    expect(Object.keys(vals).length).toBe(2 * (3 + 2 * nRes + 2 + 1));
  });

  it("a generator of the wrong width fails at the first layer, naming both shapes", () => {
    const wrong = ngf === 8 ? 16 : 8;
    expectMappingError(
      () => importTorch(sd, resnetGeneratorParams("G_AB", wrong, nRes), { prefix: "G_AB.", source: "cyclegan_common.safetensors" }),
      `G_AB/c7s1/conv/kernel expects [7,7,3,${wrong}] (torch [${wrong},3,7,7]) but G_AB.model.1.weight in cyclegan_common.safetensors has [${ngf},3,7,7]`,
    );
  });

  it("a generator with too few residual blocks fails where the layers diverge", () => {
    expectMappingError(
      () => importTorch(sd, resnetGeneratorParams("G_AB", ngf, 6), { prefix: "G_AB." }),
      `G_AB/up1/conv_transpose/kernel expects [3,3,${ngf * 2},${ngf * 4}] (torch [${ngf * 4},${ngf * 2},3,3]) but G_AB.model.16.conv_block.1.weight has [${ngf * 4},${ngf * 4},3,3]`,
    );
  });
});
