// Getting the emoji packages (src/datasets/emoji_packages.ts) without network: a fake npm.
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DATA_HELP_VALUES, dataCommand } from "../../src/cli/data.js";
import { DataError } from "../../src/data/errors.js";
import { DEFAULT_SUBSET, DEFAULT_SUBSET_TEXT, EMOJI_PACKAGES, selectDefaultSubset } from "../../src/datasets/emoji.js";
import { defaultEmojiCacheDir, emojiInstallArgs, ensureEmojiPackages, findEmojiPackages, selectEmoji } from "../../src/datasets/emoji_packages.js";
import { tempDir } from "../data/fixtures.js";

const tmp = tempDir("gancc-emoji-pkgs-");
afterAll(tmp.cleanup);

/**
 * A stand-in for npm: records its arguments, prints two lines, and installs package.json
 * files with the requested versions under --prefix (or fails with `exitCode`).
 */
function fakeNpm(name: string, o: { exitCode?: number; version?: string } = {}): string {
  const file = join(tmp.dir, name);
  writeFileSync(
    file,
    `#!/usr/bin/env node
const fs = require("fs"), path = require("path");
const args = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(file + ".args")}, JSON.stringify(args));
console.log("added 2 packages in 1s");
console.error("npm warn something to say");
if (${o.exitCode ?? 0}) { console.error("npm error code E404"); process.exit(${o.exitCode ?? 0}); }
const prefix = args[args.indexOf("--prefix") + 1];
for (const spec of args.filter((a) => a.includes("@"))) {
  const [name, version] = spec.split("@");
  fs.mkdirSync(path.join(prefix, "node_modules", name), { recursive: true });
  fs.writeFileSync(path.join(prefix, "node_modules", name, "package.json"), JSON.stringify({ name, version: ${JSON.stringify(o.version ?? null)} ?? version }));
}
`,
  );
  chmodSync(file, 0o755);
  return file;
}

describe.skipIf(process.platform === "win32")("ensureEmojiPackages", () => {
  it("installs the two packages with npm into the cache, reporting npm's output through the callback", async () => {
    const cache = join(tmp.dir, "cache1");
    const npm = fakeNpm("npm-ok");
    const log: string[] = [];
    const dirs = await ensureEmojiPackages(cache, { npm, onLog: (l) => log.push(l) });
    expect(dirs).toEqual({ A: join(cache, "node_modules", EMOJI_PACKAGES.A.name), B: join(cache, "node_modules", EMOJI_PACKAGES.B.name) });
    expect(JSON.parse(readFileSync(npm + ".args", "utf8"))).toEqual(emojiInstallArgs(cache));
    expect(emojiInstallArgs(cache)).toEqual(expect.arrayContaining(["install", "--prefix", cache, "--no-save", `${EMOJI_PACKAGES.A.name}@${EMOJI_PACKAGES.A.version}`, `${EMOJI_PACKAGES.B.name}@${EMOJI_PACKAGES.B.version}`]));
    expect(log[0]).toMatch(/^installing .* with npm into /);
    expect(log).toContain("npm: added 2 packages in 1s");
    expect(log).toContain("npm: npm warn something to say");
    // a second call finds them and runs nothing (this npm does not exist)
    const again: string[] = [];
    expect(await ensureEmojiPackages(cache, { npm: join(tmp.dir, "no-such-npm"), onLog: (l) => again.push(l) })).toEqual(dirs);
    expect(again).toEqual([`using the packages already in ${cache}`]);
  });

  it("a failing npm is a DataError with its exit code, its last output and what to do", async () => {
    const e = await ensureEmojiPackages(join(tmp.dir, "cache2"), { npm: fakeNpm("npm-fail", { exitCode: 3 }) }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DataError);
    const m = (e as Error).message;
    for (const s of ["failed (exit code 3)", "registry", "--from DIR", "npm error code E404"]) expect(m).toContain(s);
  });

  it("npm missing, or npm installing other versions, are DataErrors", async () => {
    await expect(ensureEmojiPackages(join(tmp.dir, "cache3"), { npm: join(tmp.dir, "no-such-npm") })).rejects.toThrow(/npm was not found on PATH/);
    await expect(ensureEmojiPackages(join(tmp.dir, "cache4"), { npm: fakeNpm("npm-wrong", { version: "1.0.0" }) })).rejects.toThrow(/does not hold emoji-datasource-google@/);
  });
});

describe("finding and selecting the packages", () => {
  const root = join(tmp.dir, "pkgs");
  const pkgA = join(root, "node_modules", EMOJI_PACKAGES.A.name);
  mkdirSync(join(pkgA, "img", "google", "64"), { recursive: true });
  mkdirSync(join(root, EMOJI_PACKAGES.B.name, "img", "twitter", "64"), { recursive: true });

  it("finds the packages under DIR/node_modules or DIR", () => {
    expect(findEmojiPackages(root)).toEqual({ A: pkgA, B: join(root, EMOJI_PACKAGES.B.name) });
    expect(() => findEmojiPackages(join(tmp.dir, "none"))).toThrow(DataError);
    expect(() => findEmojiPackages(join(tmp.dir, "none"))).toThrow(/found no emoji-datasource-google in .*none \(looked for node_modules\/emoji-datasource-google\/img\/google\/64/);
  });

  it("selects every emoji, or the default subset (which needs emoji.json)", () => {
    expect(selectEmoji(pkgA, "all")).toEqual({});
    expect(() => selectEmoji(pkgA, "default")).toThrow(/--subset default needs the package's emoji.json/);
    const cats = ["Smileys & Emotion", "Animals & Nature", "Food & Drink", "Objects", "Activities", "Flags"];
    const entries = Array.from({ length: 60 }, (_, i) => ({ image: `${(0x1f600 + i).toString(16)}.png`, name: `E${i}`, category: cats[i % cats.length], sort_order: 60 - i, has_img_google: true, has_img_twitter: i !== 7 }));
    writeFileSync(join(pkgA, "emoji.json"), JSON.stringify(entries));
    const all = selectEmoji(pkgA, "all");
    expect(all.names!.length).toBe(59);
    expect(all.names).not.toContain(entries[7]!.image);
    expect(all.defaultTestCount).toBeUndefined();
    const def = selectEmoji(pkgA, "default");
    expect(def.names).toEqual(selectDefaultSubset(def.catalog!));
    expect(def.names!.some((n) => n === entries[5]!.image)).toBe(false); // "Flags" is not in the subset
    expect([def.defaultTestCount, def.selection]).toEqual([DEFAULT_SUBSET.testCount, DEFAULT_SUBSET_TEXT]);
  });

  it("caches under $XDG_CACHE_HOME or ~/.cache", () => {
    expect(defaultEmojiCacheDir({ XDG_CACHE_HOME: "/c" }, "/home/me")).toBe(join("/c", "gancc", `emoji-datasource-${EMOJI_PACKAGES.A.version}`));
    expect(defaultEmojiCacheDir({}, "/home/me")).toBe(join("/home/me", ".cache", "gancc", `emoji-datasource-${EMOJI_PACKAGES.A.version}`));
  });

  it("the CLI's help shows the library's package names and version", () => {
    expect(DATA_HELP_VALUES.emoji).toEqual({ A: EMOJI_PACKAGES.A.name, B: EMOJI_PACKAGES.B.name, version: EMOJI_PACKAGES.A.version });
    expect(EMOJI_PACKAGES.B.version).toBe(EMOJI_PACKAGES.A.version);
  });

  it("the CLI uses the packages already in the default cache ($XDG_CACHE_HOME) without running npm", async () => {
    const xdg = join(tmp.dir, "xdg");
    const cache = defaultEmojiCacheDir({ XDG_CACHE_HOME: xdg });
    for (const p of [EMOJI_PACKAGES.A, EMOJI_PACKAGES.B]) {
      const pkg = join(cache, "node_modules", p.name);
      mkdirSync(join(pkg, "img", p.style, "64"), { recursive: true });
      writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: p.name, version: p.version }));
      for (const n of ["1f600", "1f601", "1f602"]) await sharp({ create: { width: 64, height: 64, channels: 4, background: "#f80" } }).png().toFile(join(pkg, "img", p.style, "64", `${n}.png`));
    }
    const out = join(tmp.dir, "from-cache");
    vi.stubEnv("XDG_CACHE_HOME", xdg);
    vi.stubEnv("PATH", join(tmp.dir, "no-bin")); // no npm to run
    let printed = "";
    const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((printed += String(s)), true));
    try {
      await dataCommand().parseAsync(["emoji", "--out", out, "--test-fraction", "0.34"], { from: "user" });
    } finally {
      err.mockRestore();
      vi.unstubAllEnvs();
    }
    expect(printed).toContain(`using the packages already in ${cache}`);
    expect(readdirSync(join(out, "trainA")).length + readdirSync(join(out, "testA")).length).toBe(3);
  });

  it("the CLI names --from in the error for a folder without the packages", async () => {
    const bad = join(tmp.dir, "empty");
    mkdirSync(bad, { recursive: true });
    await expect(dataCommand().exitOverride().parseAsync(["emoji", "--from", bad, "--out", join(tmp.dir, "o"), "-q"], { from: "user" })).rejects.toThrow(`--from ${bad}: found no emoji-datasource-google in ${bad}`);
    expect(readdirSync(tmp.dir)).not.toContain("o");
  });
});

describe("the dataset library prints nothing", () => {
  it("src/datasets/ has no console, process.stdout or process.stderr use (progress and warnings go through callbacks)", () => {
    const dir = "src/datasets";
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const code = readFileSync(join(dir, f), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      expect(code, f).not.toMatch(/\bconsole\.|process\.std(out|err)|process\.exit/);
    }
  });
});
