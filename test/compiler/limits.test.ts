// Limits checked before expansion (issue 13): repeat counts and layer totals (GAN2014 on the
// count, fast, and nothing after it), names that are Object.prototype members (legal names),
// numbers out of range from arithmetic and --set, and the new checks (GAN2019, GAN2020, GAN4010).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { MAX_NODES, MAX_REPEAT } from "../../src/compiler/elaborate.js";

const TINY = readFileSync("specs/tiny.gan", "utf8");
const edit = (find: string, replace: string, text = TINY) => {
  expect(text).toContain(find);
  return text.split(find).join(replace);
};
const compile = (text: string, set?: Record<string, string>) => {
  const t0 = performance.now();
  const r = compileSource(text, "t.gan", set ? { set } : {});
  return { ...r, ms: performance.now() - t0, codes: r.diagnostics.map((d) => d.code) };
};

describe("expansion limits", () => {
  it("rejects a repeat count over the limit at the count, before expanding", () => {
    const text = edit("repeat blocks { res(nf * 2) }", "repeat 1000000000 { relu }");
    const r = compile(text);
    expect(r.ms).toBeLessThan(1000);
    expect(r.codes).toEqual(["GAN2014"]);
    expect(r.diagnostics[0]!.span.start).toBe(text.indexOf("1000000000"));
    expect(r.diagnostics[0]!.message).toBe(`\`repeat\` count 1000000000 is more than the limit of ${MAX_REPEAT}`);
  });

  it("rejects Generator(blocks: 1000000) on the count, with no shape error after it", () => {
    const r = compile(edit("G_AB = Generator()", "G_AB = Generator(blocks: 1000000)"));
    expect(r.ms).toBeLessThan(1000);
    expect(r.codes).toEqual(["GAN2014"]);
  });

  it("rejects a count under the limit whose layers would pass the layer limit, before expanding", () => {
    const n = MAX_REPEAT - 1;
    const text = edit("repeat blocks { res(nf * 2) }", `repeat ${n} { res(nf * 2) }`);
    const r = compile(text);
    expect(r.ms).toBeLessThan(1000);
    expect(r.codes).toEqual(["GAN2014"]);
    expect(r.diagnostics[0]!.message).toMatch(new RegExp(`^\`repeat ${n}\` would expand network \`Generator\` to more than ${MAX_NODES} layers \\(at least \\d+ per repetition\\)$`));
  });

  it("still expands a large repeat under the limits", () => {
    const r = compile(edit("repeat blocks { res(nf * 2) }", "repeat 300 { res(nf * 2) }"));
    expect(r.codes).toEqual([]);
    expect(r.ir!.nets.find((n) => n.name === "G_AB")!.nodes.length).toBeGreaterThan(300 * 7);
  });
});

describe("names that are Object.prototype members are ordinary names", () => {
  const NAMES = ["toString", "valueOf", "constructor", "__proto__", "hasOwnProperty"];
  it.each(NAMES)("%s as a param (with --set) and a network parameter", (name) => {
    let text = edit("param nf = 4", `param ${name} = 4\nparam nf = ${name}`);
    text = edit("network Critic: image[3] -> image[1]", `network Critic(${name} = 1): image[3] -> image[${name}]`, text);
    const r = compile(text, { [name]: "8" });
    expect(r.codes).toEqual([]);
    expect(Object.hasOwn(r.ir!.spec.params, name)).toBe(true);
    expect(r.ir!.spec.params[name]).toBe(8);
    expect(r.ir!.nets.find((n) => n.name === "G_AB")!.params.length).toBeGreaterThan(0);
  });

  it.each(NAMES)("%s as a block", (name) => {
    let text = edit("block res(k) residual", `block ${name}(k) { conv(k, 1) }\nblock res(k) residual`);
    text = edit("repeat blocks { res(nf * 2) }", `repeat blocks { res(nf * 2) } ${name}(nf * 2)`, text);
    const r = compile(text);
    expect(r.codes).toEqual([]);
    expect(r.ir!.nets.find((n) => n.name === "G_AB")!.nodes.some((x) => x.id.includes(`/${name}`))).toBe(true);
  });

  it("an unknown layer, setting or --set named like one is reported, not a crash", () => {
    expect(compile(edit("instance_norm relu\n  reflect_pad(1) conv(3, 3) tanh", "instance_norm toString\n  reflect_pad(1) conv(3, 3) tanh")).codes).toContain("GAN2003");
    expect(compile(TINY, { constructor: "1" }).codes).toEqual(["GAN2016"]);
    expect(compile(edit("flip: true", "flip: true\n  __proto__: 1")).codes).toEqual(["GAN2012"]);
  });
});

describe("numbers out of range", () => {
  it("reports arithmetic that overflows (GAN2013), not an IR schema failure", () => {
    const text = edit("param lr = 2e-4", "param lr = 1e308 * 10");
    const r = compile(text);
    expect(r.codes).toContain("GAN2013");
    expect(r.diagnostics.find((d) => d.code === "GAN2013")!.span.start).toBe(text.indexOf("1e308"));
  });

  it("reports --set values out of range (GAN6002)", () => {
    for (const v of ["1e309", "-1e309", "1e-400", "9007199254740993"]) {
      const r = compile(TINY, { lr: v });
      expect(r.codes, v).toEqual(["GAN6002"]);
    }
    expect(compile(TINY, { lr: "1e-3" }).codes).toEqual([]);
  });

  it("reports an integer argument beyond 2^53 (conv pad: 1e308)", () => {
    expect(compile(edit("conv(1, 3, pad: 1)", "conv(1, 3, pad: 1e308)")).codes).toEqual(["GAN2013"]);
  });
});

describe("sections, unused params, nets updated twice", () => {
  it("GAN2019 for a missing data or train section, once, at the header", () => {
    const noTrain = TINY.slice(0, TINY.indexOf("train {"));
    expect(compile(noTrain).codes).toEqual(["GAN2019"]);
    const i = TINY.indexOf("data {");
    const noData = TINY.slice(0, i) + TINY.slice(TINY.indexOf("}", i) + 1);
    expect(compile(noData).codes).toEqual(["GAN2019"]);
  });

  it("GAN2020 warns about a param nothing uses, and not about used ones", () => {
    const r = compile(edit("param lr = 2e-4", "param lr = 2e-4\nparam ngf = 64"));
    expect(r.codes).toEqual(["GAN2020"]);
    expect(r.diagnostics[0]!.severity).toBe("warning");
    expect(r.ir).toBeDefined();
    expect(compile(TINY).codes).toEqual([]);
  });

  it("GAN4010 warns about a net updated by two steps", () => {
    const text = edit("  step discriminator updates D_A, D_B with", "  step discriminator updates D_A with adam(lr: lr)\n  step discriminator updates D_A, D_B with");
    const r = compile(text);
    const d = r.diagnostics.find((x) => x.code === "GAN4010")!;
    expect(d.message).toBe("`D_A` is updated by two steps, `discriminator` and `discriminator`, each with its own optimizer");
    expect(d.severity).toBe("warning");
    expect(d.related?.[0]?.span.line).toBe(d.span.line - 1);
    expect(r.ir).toBeDefined();
    expect(compile(TINY).codes).not.toContain("GAN4010");
  });
});
