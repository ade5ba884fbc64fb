// The shipped specs: golden IR, the paper's parameter counts, formatting, stable names.
// A spec without its golden IR fails; write or refresh the goldens with
//   UPDATE_GOLDEN=1 npx vitest run test/compiler/specs.test.ts
// and read the diff.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readIr, validateIr } from "../../src/ir/validate.js";
import { summarize } from "../../src/compiler/summary.js";
import { format } from "../../src/dsl/index.js";
import { compileSource } from "../../src/compiler/compile.js";
import { CYCLEGAN, compile, edit, expectNo } from "./harness.js";
import { expectGolden } from "./golden.js";

const SPECS = readdirSync("specs").filter((f) => f.endsWith(".gan")).sort();

it("has no golden IR without its spec", () => {
  const stale = readdirSync("test/golden/ir").filter((f) => !SPECS.includes(f.replace(/\.ir\.json$/, ".gan")));
  expect(stale).toEqual([]);
});

describe.each(SPECS)("specs/%s", (name) => {
  const file = `specs/${name}`;
  const text = readFileSync(file, "utf8");
  it("compiles with no errors and no warnings", () => {
    const r = compile(text);
    expect(r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
  });
  it("is formatted (gancc fmt --check)", () => {
    expect(format(text, file).output).toBe(text);
  });
  it("matches its golden IR, which passes the schema", () => {
    const ir = compileSource(text, file, {}).ir!;
    expect(validateIr(ir)).toBeUndefined();
    const golden = `test/golden/ir/${name.replace(/\.gan$/, "")}.ir.json`;
    const json = JSON.stringify(ir, null, 1) + "\n";
    expectGolden(golden, json); // a missing golden fails; UPDATE_GOLDEN=1 writes it
    expect(json).toBe(readFileSync(golden, "utf8"));
    expect(readIr(json, golden).ir).toEqual(ir);
  });
});

describe("specs/cyclegan.gan against the paper", () => {
  const ir = expectNo(CYCLEGAN).ir!;
  const s = summarize(ir);
  const net = (n: string) => s.nets.find((x) => x.name === n)!;
  it("has 11,378,179 parameters per ResNet-9 generator and 2,764,737 per PatchGAN", () => {
    expect(net("G_AB").trainable).toBe(11_378_179);
    expect(net("G_BA").trainable).toBe(11_378_179);
    expect(net("D_A").trainable).toBe(2_764_737);
    expect(net("D_B").trainable).toBe(2_764_737);
  });
  it("maps 256×256×3 to 256×256×3 and 30×30×1", () => {
    const byName = new Map(ir.nets.map((n) => [n.name, n]));
    expect(byName.get("G_AB")!.output.shape).toEqual([256, 256, 3]);
    expect(byName.get("D_A")!.output.shape).toEqual([30, 30, 1]);
    expect(byName.get("G_AB")!.sizes.text).toBe("multiples of 4 from 8");
  });
  it("averages the patch map with a one-line change (the seed's discriminator)", () => {
    const text = edit(CYCLEGAN, "  conv(1, 4, stride: 1, pad: 1)  #", "  conv(1, 4, stride: 1, pad: 1)\n  global_avg_pool  #");
    expect(text.split("\n").length).toBe(CYCLEGAN.split("\n").length + 1);
    const ir2 = expectNo(text).ir!;
    const d = ir2.nets.find((n) => n.name === "D_A")!;
    expect(d.output).toEqual({ kind: "image", channels: 1, shape: [1, 1, 1] });
    expect(summarize(ir2).nets.find((n) => n.name === "D_A")!.trainable).toBe(2_764_737);
  });
  it("reports MACs and activation memory", () => {
    // by hand: c7s1 + 2 downs + 18 residual convs + 2 ups + final conv, at 256×256
    const k = (kk: number, cin: number, cout: number, hw: number) => kk * kk * cin * cout * hw * hw;
    const expected = 2 * k(7, 3, 64, 256) + k(3, 64, 128, 128) + k(3, 128, 256, 64) + 18 * k(3, 256, 256, 64) + k(3, 256, 128, 64) + k(3, 128, 64, 128);
    expect(net("G_AB").macs).toBe(expected);
    expect(net("D_A").macs).toBe(k(4, 3, 64, 128) + k(4, 64, 128, 64) + k(4, 128, 256, 32) + k(4, 256, 512, 31) + k(4, 512, 1, 30));
    expect(s.stepBytes.total).toBeGreaterThan(s.stepBytes.parameters);
  });
});

describe("stable parameter names", () => {
  const names = (text: string, net: string) => compile(text).ir!.nets.find((n) => n.name === net)!.params.map((p) => p.name);
  const base = names(CYCLEGAN, "G_AB");
  it("follow the layer path", () => {
    expect(base).toContain("G_AB/res3/conv1/kernel");
    expect(base).toContain("G_AB/c7s1_1/conv1/bias");
    expect(base[base.length - 2]).toBe("G_AB/conv1/kernel");
  });
  it("do not change when an unrelated part of the spec is edited", () => {
    // a different discriminator, another loss weight, an extra block definition and param
    let t = edit(CYCLEGAN, "  ck(ndf * 8, stride: 1)\n", "  ck(ndf * 8, stride: 1)\n  ck(ndf * 8, stride: 1)\n");
    t = edit(t, "param lr = 2e-4", "param lr = 1e-4\nparam extra = 3");
    t = edit(t, "# dk: 3x3", "block unused(k) { conv(k, 1) }\n\n# dk: 3x3");
    expect(names(t, "G_AB")).toEqual(base);
  });
  it("of a residual block do not depend on the blocks before it", () => {
    const t = edit(CYCLEGAN, "  c7s1(ngf)\n", "  c7s1(ngf)\n  reflect_pad(1) conv(ngf, 3)\n");
    const n = names(t, "G_AB");
    expect(n).toContain("G_AB/res3/conv1/kernel");
    expect(n.filter((x) => x.startsWith("G_AB/res"))).toEqual(base.filter((x) => x.startsWith("G_AB/res")));
  });
});
