import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { dataCommand } from "../../src/cli/data.js";
import { buildEmojiDataset, readEmojiCatalog, selectDefaultSubset, splitNames } from "../../src/datasets/emoji.js";
import { DataError } from "../../src/data/errors.js";
import { tempDir } from "../data/fixtures.js";

const tmp = tempDir();
afterAll(tmp.cleanup);
const pkgRoot = join(tmp.dir, "pkgs");
const dirA = join(pkgRoot, "node_modules", "emoji-datasource-google", "img", "google", "64");
const dirB = join(pkgRoot, "node_modules", "emoji-datasource-twitter", "img", "twitter", "64");
const NAMES = ["1f600.png", "1f601.png", "1f602.png", "1f603.png", "1f604.png"];

beforeAll(async () => {
  mkdirSync(dirA, { recursive: true });
  mkdirSync(dirB, { recursive: true });
  for (const [i, name] of NAMES.entries()) {
    const mk = (r: number) => sharp({ create: { width: 64, height: 64, channels: 4, background: { r, g: i * 40, b: 0, alpha: 0.5 } } }).png();
    await mk(10).toFile(join(dirA, name));
    await mk(200).toFile(join(dirB, name));
  }
  await sharp({ create: { width: 64, height: 64, channels: 4, background: "#000" } }).png().toFile(join(dirA, "only-in-a.png"));
});

const listing = (out: string) => Object.fromEntries(["trainA", "trainB", "testA", "testB"].map((f) => [f, readdirSync(join(out, f)).sort()]));

describe("buildEmojiDataset", () => {
  it("writes train/test A/B with the same names on both sides, files as shipped, and the attribution", async () => {
    const out = join(tmp.dir, "out1");
    const r = await buildEmojiDataset({ dirA, dirB, out, testFraction: 0.2, seed: 0, command: "gancc data emoji --out X" });
    expect(r.train.length).toBe(4);
    expect(r.test.length).toBe(1);
    const l = listing(out);
    expect(l.trainA).toEqual(l.trainB);
    expect(l.testA).toEqual(l.testB);
    expect([...l.trainA!, ...l.testA!].sort()).toEqual(NAMES);
    expect(readFileSync(join(out, "trainA", l.trainA![0]!))).toEqual(readFileSync(join(dirA, l.trainA![0]!)));
    expect(readFileSync(join(out, "trainB", l.trainB![0]!))).toEqual(readFileSync(join(dirB, l.trainB![0]!)));
    const att = readFileSync(join(out, "ATTRIBUTION.md"), "utf8");
    for (const s of ["Apache License 2.0", "CC BY 4.0", "emoji-datasource-google@16.0.0", "emoji-datasource-twitter@16.0.0", "Twitter, Inc", "Google", "gancc data emoji --out X"]) expect(att).toContain(s);
    expect(existsSync(join(out, "LICENSE-Apache-2.0.txt"))).toBe(true);
    expect(readFileSync(join(out, "index.tsv"), "utf8").split("\n")[0]).toBe("file\tsplit\tcategory\tname");
  });

  it("splits deterministically by seed, and replaces an earlier build", async () => {
    const out = join(tmp.dir, "out2");
    mkdirSync(join(out, "trainA"), { recursive: true });
    writeFileSync(join(out, "trainA", "stale.png"), "old");
    const a = await buildEmojiDataset({ dirA, dirB, out, testFraction: 0.4, seed: 1 });
    const b = await buildEmojiDataset({ dirA, dirB, out, testFraction: 0.4, seed: 1 });
    expect(b.test).toEqual(a.test);
    expect(listing(out).trainA).not.toContain("stale.png");
    expect(splitNames(NAMES, 2, 1)).toEqual({ train: a.train, test: a.test });
    const seeds = new Set([0, 1, 2, 3, 4, 5].map((s) => splitNames(NAMES, 2, s).test.join()));
    expect(seeds.size).toBeGreaterThan(1);
  });

  it("resizes to --size", async () => {
    const out = join(tmp.dir, "out3");
    await buildEmojiDataset({ dirA, dirB, out, size: 16, testCount: 1 });
    const m = await sharp(join(out, "trainB", listing(out).trainB![0]!)).metadata();
    expect([m.width, m.height, m.channels]).toEqual([16, 16, 4]);
    expect(readFileSync(join(out, "ATTRIBUTION.md"), "utf8")).toContain("resized from 64×64 to 16×16");
  });

  it("leaves out requested names missing from a package, with a warning", async () => {
    const warnings: string[] = [];
    const r = await buildEmojiDataset({ dirA, dirB, out: join(tmp.dir, "out4"), names: [...NAMES, "only-in-a.png"], testCount: 1, onWarning: (m) => warnings.push(m) });
    expect(r.train.length + r.test.length).toBe(5);
    expect(warnings.join()).toContain("only-in-a.png");
  });

  it("a missing image folder is a DataError naming it", async () => {
    await expect(buildEmojiDataset({ dirA: join(tmp.dir, "none"), dirB, out: join(tmp.dir, "out5") })).rejects.toThrow(DataError);
    await expect(buildEmojiDataset({ dirA: join(tmp.dir, "none"), dirB, out: join(tmp.dir, "out5") })).rejects.toThrow(join(tmp.dir, "none"));
  });
});

describe("gancc data emoji (command)", () => {
  it("builds from already-installed packages (--from) without npm", async () => {
    const out = join(tmp.dir, "cli-out");
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await dataCommand().parseAsync(["emoji", "--from", pkgRoot, "--out", out, "--size", "32", "--test-fraction", "0.2", "--seed", "3"], { from: "user" });
    } finally {
      err.mockRestore();
    }
    const l = listing(out);
    expect(l.trainA!.length + l.testA!.length).toBe(5); // only-in-a.png left out
    expect(l.testA).toEqual(splitNames(NAMES, 1, 3).test);
    expect((await sharp(join(out, "testA", l.testA![0]!)).metadata()).width).toBe(32);
    expect(readFileSync(join(out, "ATTRIBUTION.md"), "utf8")).toContain(`gancc data emoji --size 32 --test-fraction 0.2 --seed 3 --out ${out}`);
  });

  it("--help says what it does, the licences and where files go", () => {
    const emoji = dataCommand().commands.find((c) => c.name() === "emoji")!;
    let help = "";
    emoji.configureOutput({ writeOut: (s) => (help += s) });
    emoji.outputHelp();
    for (const s of ["Noto", "Twemoji", "Apache License 2.0", "CC BY 4.0", "data/emoji-full", "trainA/", "--size", "--test-fraction", "--seed", "npm"]) expect(help).toContain(s);
  });

  it("rejects a bad --test-fraction", async () => {
    await expect(dataCommand().exitOverride().parseAsync(["emoji", "--from", pkgRoot, "--test-fraction", "2"], { from: "user" })).rejects.toThrow(/--test-fraction/);
  });
});

describe("the committed data/emoji", () => {
  const root = "data/emoji";
  it("has 400 train and 50 test emoji per domain, paired by name, 64×64 PNGs, ≤ 5 MB, with attribution", async () => {
    const l = listing(root);
    expect([l.trainA!.length, l.trainB!.length, l.testA!.length, l.testB!.length]).toEqual([400, 400, 50, 50]);
    expect(l.trainA).toEqual(l.trainB);
    expect(l.testA).toEqual(l.testB);
    expect(l.trainA!.filter((x) => l.testA!.includes(x))).toEqual([]);
    let bytes = 0;
    for (const [f, names] of Object.entries(l)) for (const nm of names) bytes += statSync(join(root, f, nm)).size;
    expect(bytes).toBeLessThan(5 * 1024 * 1024);
    for (const f of ["trainA/1f600.png", "testA/1f600.png", "trainB/1f600.png", "testB/1f600.png"]) {
      if (!existsSync(join(root, f))) continue;
      const m = await sharp(join(root, f)).metadata();
      expect([m.width, m.height]).toEqual([64, 64]);
    }
    expect(readFileSync(join(root, "ATTRIBUTION.md"), "utf8")).toContain("gancc data emoji --subset default --out data/emoji");
  });

  it("matches the default subset selection when the package catalog is available", () => {
    const pkg = ".tmp/emoji-src/node_modules/emoji-datasource-google";
    const catalog = readEmojiCatalog(pkg);
    if (!catalog) return; // the packages are only installed where the set was built
    const l = listing(root);
    expect(selectDefaultSubset(catalog)).toEqual([...l.trainA!, ...l.testA!].sort());
  });
});
