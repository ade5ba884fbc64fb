/**
 * The two npm packages the emoji dataset is built from (emoji-datasource-google and
 * emoji-datasource-twitter): installing them with npm into a cache folder, finding them
 * already installed, and choosing which of their emoji to use (`all` or the `default`
 * subset of the bundled data/emoji/).
 *
 * Nothing here prints: progress and npm's own output go to the caller's `onLog`, one line
 * at a time; failures are DataErrors that say what to do.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { makeDir } from "../io/atomic.js";
import { homedir } from "node:os";
import { join } from "node:path";
import { DataError } from "../data/errors.js";
import { DEFAULT_SUBSET, DEFAULT_SUBSET_TEXT, EMOJI_PACKAGES, type EmojiEntry, type EmojiPackage, packageImageDir, readEmojiCatalog, selectDefaultSubset } from "./emoji.js";

/** The two package folders (each holding package.json and img/<style>/64). */
export interface EmojiPackageDirs {
  A: string;
  B: string;
}

/** $XDG_CACHE_HOME/gancc/emoji-datasource-<version> (default ~/.cache/…). */
export function defaultEmojiCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const base = env["XDG_CACHE_HOME"] || join(home, ".cache");
  return join(base, "gancc", `emoji-datasource-${EMOJI_PACKAGES.A.version}`);
}

/** The version in <dir>/package.json; undefined when there is none. */
export function installedPackageVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

export interface EnsureEmojiPackagesOptions {
  /** progress lines, and npm's output line by line */
  onLog?: (line: string) => void;
  /** the npm command (default "npm", run through the shell on Windows where it is npm.cmd) */
  npm?: string;
}

/** The npm arguments that install the two packages into `cache`. */
export function emojiInstallArgs(cache: string): string[] {
  const specs = [EMOJI_PACKAGES.A, EMOJI_PACKAGES.B].map((p) => `${p.name}@${p.version}`);
  return ["install", "--prefix", cache, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", ...specs];
}

/**
 * Installs the two packages into `cache` with npm unless the right versions are already
 * there; returns their folders. Needs the npm registry (network) only when installing.
 */
export async function ensureEmojiPackages(cache: string, o: EnsureEmojiPackagesOptions = {}): Promise<EmojiPackageDirs> {
  const log = o.onLog ?? (() => {});
  const dir = (p: EmojiPackage) => join(cache, "node_modules", p.name);
  const pkgs = [EMOJI_PACKAGES.A, EMOJI_PACKAGES.B];
  const dirs = { A: dir(EMOJI_PACKAGES.A), B: dir(EMOJI_PACKAGES.B) };
  if (pkgs.every((p) => installedPackageVersion(dir(p)) === p.version)) {
    log(`using the packages already in ${cache}`);
    return dirs;
  }
  try {
    makeDir(cache);
  } catch (e) {
    throw new DataError(`cannot create the package cache folder ${cache}: ${(e as Error).message}`);
  }
  const npm = o.npm ?? "npm";
  const args = emojiInstallArgs(cache);
  log(`installing ${pkgs.map((p) => `${p.name}@${p.version}`).join(" and ")} with npm into ${cache} (about 150 MB on disk, kept for later runs) …`);
  const tail: string[] = [];
  const code = await new Promise<number>((res, rej) => {
    const child = spawn(npm, args, { stdio: ["ignore", "pipe", "pipe"], shell: process.platform === "win32" });
    const lines = (stream: NodeJS.ReadableStream) => {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const parts = (rest + chunk).split(/\r?\n|\r/);
        rest = parts.pop()!;
        for (const l of parts) emit(l);
      });
      stream.on("end", () => {
        if (rest) emit(rest);
        rest = "";
      });
    };
    const emit = (l: string) => {
      if (!l.trim()) return;
      tail.push(l);
      if (tail.length > 20) tail.shift();
      log(`npm: ${l}`);
    };
    lines(child.stdout!);
    lines(child.stderr!);
    child.on("error", rej);
    child.on("close", (c) => res(c ?? 1));
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") throw new DataError(`npm was not found on PATH (looked for \`${npm}\`); \`gancc data emoji\` installs the emoji packages with npm (it comes with Node.js)`);
    throw new DataError(`could not run npm: ${e.message}`);
  });
  if (code !== 0) {
    throw new DataError(
      `\`npm ${args.join(" ")}\` failed (exit code ${code}). Is the npm registry reachable from here (\`npm config get registry\`, proxy settings)? ` +
        `Nothing was written to the output folder. Without network, install the two packages elsewhere and pass that folder with --from DIR.` +
        (tail.length ? `\nnpm's last output:\n  ${tail.slice(-8).join("\n  ")}` : ""),
    );
  }
  for (const p of pkgs) if (installedPackageVersion(dir(p)) !== p.version) throw new DataError(`npm finished but ${dir(p)} does not hold ${p.name}@${p.version}`);
  return dirs;
}

/** The package folders under `from`: <from>/node_modules/<name> or <from>/<name>. */
export function findEmojiPackages(from: string): EmojiPackageDirs {
  const find = (p: EmojiPackage): string => {
    for (const c of [join(from, "node_modules", p.name), join(from, p.name)]) if (existsSync(packageImageDir(c, p))) return c;
    throw new DataError(`found no ${p.name} in ${from} (looked for node_modules/${p.name}/img/${p.style}/64 and ${p.name}/img/${p.style}/64)`);
  };
  return { A: find(EMOJI_PACKAGES.A), B: find(EMOJI_PACKAGES.B) };
}

export type EmojiSubset = "all" | "default";

/** Which emoji to build, from package A's catalog (emoji.json). */
export interface EmojiSelection {
  /** names, categories for index.tsv (undefined: the package has no emoji.json) */
  catalog?: EmojiEntry[];
  /** file names to use (undefined: every image both packages have) */
  names?: string[];
  /** the test count of the subset when no test fraction is asked for */
  defaultTestCount?: number;
  /** how they were chosen, for ATTRIBUTION.md (undefined: every emoji) */
  selection?: string;
}

/** `all`: every emoji of the catalog; `default`: the 450 of the bundled data/emoji/ (needs emoji.json). */
export function selectEmoji(packageDirA: string, subset: EmojiSubset): EmojiSelection {
  const catalog = readEmojiCatalog(packageDirA);
  if (subset === "all") return catalog ? { catalog, names: catalog.map((e) => e.image) } : {};
  if (!catalog) throw new DataError(`--subset default needs the package's emoji.json, which ${packageDirA} lacks`);
  return { catalog, names: selectDefaultSubset(catalog), defaultTestCount: DEFAULT_SUBSET.testCount, selection: DEFAULT_SUBSET_TEXT };
}
