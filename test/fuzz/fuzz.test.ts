// The fuzz corpus run by `npm test`: 1,000 fixed cases (seed 13) from the mutator over the
// shipped specs and the wrong-spec corpus, the regression corpus (test/fuzz/regressions:
// reproducers the fuzzer found, each with the codes it must report), and the reproducers
// of issue 13 that are too large to keep as files (generated here). Every input: no
// exception, every diagnostic coded with a span inside the file, each call under 1 s.
// Longer runs: `npm run fuzz -- --cases 100000 --seed N` (test/fuzz/run.ts).
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type CaseResult, runCase } from "./check.js";
import { loadBases, makeCase } from "./mutate.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const REGRESSIONS = join(HERE, "regressions");
const TINY = readFileSync(join(HERE, "..", "..", "specs", "tiny.gan"), "utf8");

const FIXED_SEED = 13;
const FIXED_CASES = 1000;

const show = (r: CaseResult) => r.failures.map((f) => `${f.kind}: ${f.detail}`).join("\n");

describe("fuzz corpus", () => {
  it(`${FIXED_CASES} mutated specs (seed ${FIXED_SEED}): no exception, coded in-file diagnostics, each under 1 s`, () => {
    const bases = loadBases();
    expect(bases.length).toBeGreaterThan(50);
    const failing: string[] = [];
    let total = 0;
    let slowest = 0;
    const mutations = new Set<string>();
    for (let i = 0; i < FIXED_CASES; i++) {
      const c = makeCase(bases, FIXED_SEED, i);
      for (const m of c.mutations) mutations.add(m);
      const r = runCase(c.text, c.set);
      total += r.ms;
      slowest = Math.max(slowest, r.ms);
      if (r.failures.length) failing.push(`case ${i} (${c.base}; ${c.mutations.join(", ")}): ${show(r)}`);
    }
    console.log(`fuzz: ${FIXED_CASES} cases in ${(total / 1000).toFixed(1)} s, slowest ${slowest.toFixed(0)} ms, ${mutations.size} kinds of mutation`);
    expect(failing).toEqual([]);
    expect(mutations.size).toBeGreaterThanOrEqual(15);
  }, 300_000);

  it("cases are a pure function of (seed, index)", () => {
    const bases = loadBases();
    expect(makeCase(bases, 5, 77)).toEqual(makeCase(bases, 5, 77));
    expect(makeCase(bases, 5, 77).text).not.toBe(makeCase(bases, 6, 77).text);
  });
});

// ---------------------------------------------------------------- regression corpus

const FILES = readdirSync(REGRESSIONS).filter((f) => f.endsWith(".gan")).sort();

/** `# expect: GAN1234 GAN2345` and `# set: name=value` header lines of a regression file */
function header(text: string): { expect: string[]; set?: Record<string, string> } {
  const expectLine = /^# expect:(.*)$/m.exec(text);
  const setLine = /^# set: ([^=\n]+)=(.*)$/m.exec(text);
  return {
    expect: expectLine ? expectLine[1]!.trim().split(/\s+/).filter(Boolean) : [],
    set: setLine ? Object.fromEntries([[setLine[1]!.trim(), setLine[2]!]]) : undefined,
  };
}

describe("fuzz regressions (test/fuzz/regressions)", () => {
  it("has reproducers", () => expect(FILES.length).toBeGreaterThan(0));
  it.each(FILES)("%s", (name) => {
    const text = readFileSync(join(REGRESSIONS, name), "utf8");
    expect(text.split("\n")[0]).toMatch(/^# \S/);
    const h = header(text);
    expect(h.expect.length, "a regression names the codes it must report (# expect: …)").toBeGreaterThan(0);
    const r = runCase(text, h.set, name);
    expect(show(r)).toBe("");
    for (const code of h.expect) expect(r.codes, `${name} reports ${code}`).toContain(code);
  });
});

// ---------------------------------------------------------------- issue 13's reproducers, generated

const inTiny = (find: string, replace: string) => {
  expect(TINY).toContain(find);
  return TINY.replace(find, replace);
};
const network = (body: string) => inTiny("network Critic:", `network Deep: image[3] -> image[3] {\n  ${body}\n}\n\nnetwork Critic:`);
const param = (expr: string) => inTiny("param nf = 4", `param nf = 4\nparam p = ${expr}`);

const ISSUE: { name: string; text: () => string; set?: Record<string, string>; expect: string }[] = [
  { name: "param p = 1e309", text: () => param("1e309"), expect: "GAN1004" },
  { name: "param p = -1e308 * 10 (overflow in arithmetic)", text: () => param("-1e308 * 10"), expect: "GAN2013" },
  { name: "param p = 1e-400", text: () => param("1e-400"), expect: "GAN1004" },
  { name: "param p = 9007199254740993", text: () => param("9007199254740993"), expect: "GAN1004" },
  { name: "--set lr=1e309", text: () => TINY, set: { lr: "1e309" }, expect: "GAN6002" },
  { name: "conv(1, 3, pad: 1e308)", text: () => inTiny("conv(1, 3, pad: 1)", "conv(1, 3, pad: 1e308)"), expect: "GAN2013" },
  { name: "181 nested parentheses", text: () => param(`${"(".repeat(181)}1${")".repeat(181)}`), expect: "GAN1006" },
  { name: "3,000 unary minuses", text: () => param(`${"-".repeat(3000)}1`), expect: "GAN1006" },
  { name: "5,000 nested repeat blocks", text: () => network(`${"repeat 1 { ".repeat(5000)}relu${" }".repeat(5000)}`), expect: "GAN1006" },
  { name: "5,000 nested if blocks", text: () => network(`${"if true { ".repeat(5000)}relu${" }".repeat(5000)}`), expect: "GAN1006" },
  { name: "5,000 nested residual blocks", text: () => network(`${"residual { ".repeat(5000)}relu${" }".repeat(5000)}`), expect: "GAN1006" },
  { name: "5,000 else-ifs", text: () => network(`if false { }${" else if false { }".repeat(5000)} else { relu }`), expect: "GAN1006" },
  { name: "a 5,000-term sum", text: () => param(`1${" + 1".repeat(4999)}`), expect: "GAN1006" },
  { name: "a 5 MB `+ 1 + 1 …` line", text: () => param(`1${" + 1".repeat(1_250_000)}`), expect: "GAN1007" },
  { name: "a 5 MB line of one name", text: () => inTiny("  reflect_pad(1) conv(nf, 3) instance_norm relu", `  ${"x".repeat(5_000_000)}`), expect: "GAN1007" },
  { name: "a 400,000-character layer name (did-you-mean on it was slow)", text: () => network(`${"x".repeat(400_000)}(3)`), expect: "GAN2003" },
  { name: "4,000 unknown names in params (did-you-mean over every name was quadratic)", text: () => param(`1\n${Array.from({ length: 2000 }, (_, i) => `param a${i} = 1\nparam b${i} = zz${i}`).join("\n")}`), expect: "GAN2001" },
  { name: "repeat 1000000000 { relu }", text: () => network("repeat 1000000000 { relu }"), expect: "GAN2014" },
  { name: "Generator(blocks = 1000000)", text: () => inTiny("G_AB = Generator()", "G_AB = Generator(blocks: 1000000)"), expect: "GAN2014" },
  { name: "repeat 9000 { res(4) } (9,000 under the count limit, 63,000 layers over the layer limit)", text: () => network("repeat 9000 { conv(3, 1) }  repeat 9000 { relu relu relu }"), expect: "GAN2014" },
  ...["toString", "valueOf", "constructor", "__proto__", "hasOwnProperty"].flatMap((n) => [
    { name: `a layer named ${n}`, text: () => network(`${n}(3)`), expect: "GAN2003" },
    { name: `a block named ${n}`, text: () => inTiny("block res(k) residual", `block ${n}(k) { relu }\nblock res(k) residual`).replace("repeat blocks { res(nf * 2) }", `repeat blocks { res(nf * 2) } ${n}(1)`), expect: "GAN2020|none" },
    { name: `a param named ${n}`, text: () => param("1").replace("param p =", `param ${n} =`), expect: "GAN2020|none" },
    { name: `--set ${n}=1`, text: () => TINY, set: { [n]: "1" }, expect: "GAN2016" },
    { name: `an argument named ${n}`, text: () => inTiny("conv(1, 3, pad: 1)", `conv(1, 3, ${n}: 1)`), expect: "GAN2004" },
    { name: `a data setting named ${n}`, text: () => inTiny("flip: true", `flip: true\n  ${n}: 1`), expect: "GAN2012" },
    { name: `an optimizer named ${n}`, text: () => TINY.replace(/with adam\(/g, `with ${n}(`), expect: "GAN2022" },
    { name: `a loss function named ${n}`, text: () => inTiny("gan_A: lsgan(", `gan_A: ${n}(`), expect: "GAN2011" },
  ]),
];

describe("issue 13 reproducers", () => {
  it.each(ISSUE.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const text = c.text();
    const r = runCase(text, c.set);
    expect(show(r)).toBe("");
    if (c.expect === "GAN2020|none") {
      // legal names: no error caused by the name itself
      expect(r.codes.filter((x) => x.startsWith("GAN1") || x === "GAN2001" || x === "GAN2003")).toEqual([]);
    } else expect(r.codes).toContain(c.expect);
  });
});
