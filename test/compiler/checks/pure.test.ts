// The checks only report: running them leaves their context (the lowered nets, values,
// losses, steps, spans) exactly as it was. What the compiler does to the program (n_critic's
// repeat counts, roles) belongs to the lowering in src/compiler/lower/.
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import type { CheckContext } from "../../../src/compiler/checks/index.js";
import { compileSource } from "../../../src/compiler/compile.js";

interface Run {
  check: string;
  before: CheckContext;
  after: CheckContext;
  reported: string[];
}

const runs = vi.hoisted(() => [] as Run[]);

// every compile below goes through this wrapper: each check alone, then runChecks as the
// compiler calls it, each between two deep copies of the context
vi.mock("../../../src/compiler/checks/index.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../src/compiler/checks/index.js")>();
  return {
    ...real,
    runChecks(ctx: CheckContext) {
      for (const c of real.CHECKS) {
        const before = structuredClone(ctx);
        const reported = c.run(ctx).map((d) => d.code);
        runs.push({ check: c.name, before, after: structuredClone(ctx), reported });
      }
      const before = structuredClone(ctx);
      const out = real.runChecks(ctx);
      runs.push({ check: "runChecks", before, after: structuredClone(ctx), reported: out.map((d) => d.code) });
      return out;
    },
  };
});

const read = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".gan"))
    .sort()
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(`${dir}/${f}`, "utf8") }));
const SPECS = read("specs");
const CORPUS = read("test/compiler/corpus");

function checked(text: string, file: string, size?: number): Run[] {
  runs.length = 0;
  compileSource(text, file, size === undefined ? {} : { size });
  return [...runs];
}

function expectUnchanged(rs: Run[]) {
  for (const r of rs) expect(r.after, `${r.check} changed its context`).toStrictEqual(r.before);
}

describe("the checks do not change their input", () => {
  it.each(SPECS.map((s) => [s.file, s.text]))("%s", (file, text) => {
    const rs = checked(text, file);
    expect(rs.map((r) => r.check)).toContain("runChecks");
    expectUnchanged(rs);
  });

  // the domain classifier ends in global average pooling: it accepts every size, so none is rejected
  const ANY_SIZE = new Set(["specs/domain_classifier.gan"]);
  it.each(SPECS.filter((s) => !ANY_SIZE.has(s.file)).map((s) => [s.file, s.text]))("%s at a size its nets reject", (file, text) => {
    const rs = checked(text, file, 201);
    expect(rs.find((r) => r.check === "trainingSize")!.reported).toContain("GAN3008");
    expectUnchanged(rs);
  });
  it.each([...ANY_SIZE])("%s accepts any size", (file) => {
    const rs = checked(SPECS.find((s) => s.file === file)!.text, file, 201);
    expect(rs.find((r) => r.check === "trainingSize")!.reported).toEqual([]);
    expectUnchanged(rs);
  });

  it("the corpus of wrong specs, where every check reports", () => {
    const reportedBy = new Map<string, Set<string>>();
    for (const { file, text } of CORPUS) {
      const rs = checked(text, file);
      expectUnchanged(rs);
      for (const r of rs) for (const code of r.reported) reportedBy.set(r.check, (reportedBy.get(r.check) ?? new Set()).add(code));
    }
    expect(Object.fromEntries([...reportedBy].map(([k, v]) => [k, [...v].sort()]))).toMatchObject({
      trainingSize: ["GAN3008"],
      gradientRouting: ["GAN4003", "GAN4004"],
      untrainedNets: ["GAN4007"],
      unusedLosses: ["GAN4015"],
      clipTargets: ["GAN4002", "GAN4008"],
      nCritic: ["GAN4002", "GAN4009"],
      sharedUpdates: ["GAN4010"],
    });
  });

  it("sees n_critic already applied by the train lowering (specs/dualgan.gan: n_critic 3)", () => {
    const dualgan = SPECS.find((s) => s.file === "specs/dualgan.gan")!;
    const r = checked(dualgan.text, dualgan.file).find((x) => x.check === "nCritic")!;
    const critic = new Set(r.before.nets.filter((n) => n.role === "discriminator").map((n) => n.name));
    const expected = r.before.train.steps.map((s) => (s.updates.every((u) => critic.has(u)) ? 3 : 1));
    expect(expected).toContain(3);
    expect(expected).toContain(1);
    expect(r.before.train.steps.map((s) => s.repeat)).toEqual(expected);
    expect(r.after.train.steps.map((s) => s.repeat)).toEqual(expected);
    expect(r.reported).toEqual([]);
  });
});
