// Exit codes and messages for usage errors and bad run directories through the CLI (issue 13):
// README promises 0 ok, 1 spec/data errors, 2 usage or I/O, 130 interrupted, 70 internal.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeUnpaired, tempDir } from "../data/fixtures.js";
import { ganccWithin } from "./gancc.js";

let tmp: ReturnType<typeof tempDir>;
let data: string;
beforeAll(async () => {
  tmp = tempDir("gancc-cli-faults-");
  data = join(tmp.dir, "data");
  await makeUnpaired(data, 2, 2, 12, 12);
});
afterAll(() => tmp.cleanup());

const gancc = (...args: string[]) => ganccWithin(60_000, ...args);

describe("usage errors exit 2 everywhere", () => {
  it.each([
    ["check", "--bogus", "specs/tiny.gan"],
    ["check"],
    ["fmt"],
    ["summary", "specs/tiny.gan", "--size"],
    ["train", "--backend", "foo"],
    ["train", "--bogus"],
    ["translate", "runs/x"],
    ["data", "emoji", "--bogus"],
    ["data", "nope"],
    ["weights", "inspect"],
    ["lsp", "--bogus"],
    ["nope"],
  ])("gancc %s …", (...args) => {
    const r = gancc(...args);
    expect(r.code, r.err).toBe(2);
    expect(r.err).not.toContain("internal error");
  });
  it("--help and --version in subcommands still exit 0", () => {
    expect(gancc("check", "--help").code).toBe(0);
    expect(gancc("data", "emoji", "--help").code).toBe(0);
    expect(gancc("--version").code).toBe(0);
  });
});

describe("gancc train: --out and --config faults", () => {
  const train = (...a: string[]) => gancc("train", "specs/tiny.gan", "--set", "nf=2", "--set", "size=8", "--data", data, "--backend", "cpu", "--max-iters", "1", ...a);

  it("--out /proc/x exits 2 at once with a message (it used to spin forever)", () => {
    const t0 = Date.now();
    const r = train("--out", "/proc/gancc-x");
    expect(r.signal).toBeNull();
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("special filesystem of the kernel");
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it("--out at an existing file exits 2 with a message, not ENOTDIR", () => {
    const f = join(tmp.dir, "a-file");
    writeFileSync(f, "keep me");
    const r = train("--out", f);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("exists and is a file, not a directory");
    expect(r.err).not.toContain("internal error");
    expect(readFileSync(f, "utf8")).toBe("keep me");
  });

  it("a failed start (missing data) leaves no run directory", () => {
    const out = join(tmp.dir, "never", "run");
    const r = gancc("train", "specs/tiny.gan", "--data", join(tmp.dir, "missing"), "--backend", "cpu", "--out", out);
    expect(r.code).toBe(1);
    expect(existsSync(join(tmp.dir, "never"))).toBe(false);
  });

  it("a YAML alias bomb in --config is a coded message with file:line, exit 2", () => {
    const cfg = join(tmp.dir, "bomb.yaml");
    const levels = ["b", "c", "d", "e", "f", "g", "h", "i"];
    writeFileSync(cfg, ["a: &a [x, x, x, x, x, x, x, x, x]", ...levels.map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(", ")}]`)].join("\n") + "\n");
    const r = train("--config", cfg, "--out", join(tmp.dir, "bomb-run"));
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(new RegExp(`${cfg.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:2:\\d+: error \\[ALIAS_COUNT\\]`));
    expect(r.err).not.toContain("internal error");
    expect(existsSync(join(tmp.dir, "bomb-run"))).toBe(false);
  });

  it("other YAML errors in --config: file:line and a code, exit 2", () => {
    const cfg = join(tmp.dir, "bad.yaml");
    writeFileSync(cfg, "max_iters: 1\nout: *nowhere\n");
    const r = train("--config", cfg);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${cfg}:2:6: error [UNRESOLVED_ALIAS]`);
  });
});

describe("gancc compile: -o faults", () => {
  it("-o under /proc or at an existing file exits 2 at once with a message (the one mkdir, no endless loop)", () => {
    const t0 = Date.now();
    const p = gancc("compile", "specs/tiny.gan", "-o", "/proc/gancc-nope/build");
    expect(p.code).toBe(2);
    expect(p.err).toContain("cannot create output directory /proc/gancc-nope/build");
    expect(Date.now() - t0).toBeLessThan(30_000);
    const file = join(tmp.dir, "a-file");
    writeFileSync(file, "x");
    const f = gancc("compile", "specs/tiny.gan", "-o", file);
    expect(f.code).toBe(2);
    expect(f.err).toMatch(/cannot create output directory .*a-file: EEXIST/);
  });
});
