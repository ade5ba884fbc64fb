// `gancc weights import | export | inspect`, driven through the Command object (main.ts wires it
// as `program.addCommand(weightsCommand())`), with output and exit codes captured.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CommanderError } from "commander";
import { afterAll, describe, expect, it } from "vitest";
import { compileSource } from "../../src/compiler/compile.js";
import { CliError } from "../../src/cli/common.js";
import { weightsCommand, type CliIO } from "../../src/cli/weights.js";
import { readSafetensorsFileSync } from "../../src/io/safetensors.js";
import { permute } from "../../src/io/torch_names.js";
import { loadWeightsSync, torchNames } from "../../src/io/weights.js";

const COMMON = fileURLToPath(new URL("../parity/fixtures/cyclegan_common.safetensors", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "gancc-weights-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const common = readSafetensorsFileSync(COMMON);
// the fixture's architecture: ngf=4, ndf=2, 32x32 (from its metadata)
const SET = ["--set", `ngf=${common.metadata["ngf"]}`, "--set", `ndf=${common.metadata["ndf"]}`, "--set", `size=${common.metadata["image_size"]}`];

interface Run {
  code: number | undefined;
  out: string;
  err: string;
  /** what the action threw (CliError -> exit 2 in main.ts; CommanderError -> its exit code) */
  thrown?: unknown;
}

async function gancc(...args: string[]): Promise<Run> {
  const r: Run = { code: undefined, out: "", err: "" };
  const io: CliIO = { stdout: (s) => void (r.out += s), stderr: (s) => void (r.err += s), setExitCode: (c) => void (r.code = c), color: false };
  try {
    await weightsCommand(io).parseAsync(args, { from: "user" });
  } catch (e) {
    r.thrown = e;
    r.code = e instanceof CommanderError ? (e.exitCode === 0 ? 0 : 2) : e instanceof CliError ? 2 : 70;
  }
  return r;
}

function bytesOf(a: Float32Array | ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe("gancc weights import", () => {
  it("maps the parity fixture's G_AB onto the spec: transposed torch tensors, IR stored", async () => {
    const out = join(tmp, "G_AB.safetensors");
    const r = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "G_AB", "--prefix", "G_AB.", "--from", COMMON, "-o", out);
    expect(r.err).toContain(`wrote ${out} (G_AB: 48 tensors, 45,859 values from G_AB.*`);
    expect(r.code).toBe(0);
    const w = loadWeightsSync(out);
    expect(w.info.nets).toEqual(["G_AB"]);
    expect(w.ir?.spec.overrides).toEqual({ ngf: 4, ndf: 2, size: 32 });
    expect(w.metadata["source"]).toBe("cyclegan_common.safetensors");
    const irNet = w.ir!.nets.find((n) => n.name === "G_AB")!;
    const names = torchNames(irNet, "G_AB.model.");
    expect(w.tensors.size).toBe(48);
    for (const [name, v] of w.tensors) {
      const t = common.tensors[names.get(name)!]!;
      const data = t.data as Float32Array;
      const want = t.shape.length === 4 ? permute(data, t.shape, [2, 3, 1, 0]) : data;
      expect(bytesOf(v.data).equals(bytesOf(want))).toBe(true);
    }
  });

  it("several nets at once, each from its own prefix (default <net>.), into one file", async () => {
    const out = join(tmp, "all.safetensors");
    const r = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "G_AB", "--net", "G_BA=G_BA.", "--net", "D_A", "--net", "D_B", "--from", COMMON, "-o", out);
    expect(r.code).toBe(0);
    const w = loadWeightsSync(out);
    expect(w.info.nets).toEqual(["G_AB", "G_BA", "D_A", "D_B"]);
    expect(w.tensors.size).toBe(48 + 48 + 10 + 10);
    expect(w.metadata["source_prefixes"]).toBe("G_AB=G_AB.,G_BA=G_BA.,D_A=D_A.,D_B=D_B.");
  });

  it("reads a compiled IR .json as well as a .gan spec", async () => {
    const ir = compileSource(readFileSync("specs/cyclegan.gan", "utf8"), "specs/cyclegan.gan", { set: { ngf: "4", ndf: "2", size: "32" } }).ir!;
    const irFile = join(tmp, "cyclegan.ir.json");
    writeFileSync(irFile, JSON.stringify(ir));
    const out = join(tmp, "D_B.safetensors");
    const r = await gancc("import", irFile, "--net", "D_B", "--prefix", "D_B.", "--from", COMMON, "-o", out, "--no-ir");
    expect(r.code).toBe(0);
    const w = loadWeightsSync(out);
    expect(w.ir).toBeUndefined();
    expect(w.tensors.size).toBe(10);
    const withSet = await gancc("import", irFile, "--set", "ngf=8", "--net", "D_B", "--from", COMMON);
    expect(withSet.code).toBe(2);
    expect((withSet.thrown as Error).message).toContain("--set and --size apply to .gan specs");
  });

  it("a wrong architecture: the first parameter that differs, both shapes, exit 1, nothing written", async () => {
    const out = join(tmp, "wrong.safetensors");
    const r = await gancc("import", "specs/cyclegan.gan", "--set", "ngf=8", "--set", "ndf=2", "--set", "size=32", "--net", "G_AB", "--prefix", "G_AB.", "--from", COMMON, "-o", out);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`gancc: cannot import net G_AB from ${COMMON} (prefix "G_AB."):`);
    expect(r.err).toContain(
      "G_AB/c7s1_1/conv1/kernel expects [7,7,3,8] (torch [8,3,7,7]) but G_AB.model.1.weight in cyclegan_common.safetensors has [4,3,7,7]",
    );
    expect(r.err).toContain("hint: matching is by layer order");
    expect(() => readFileSync(out)).toThrow();
  });

  it("no prefix on a file holding several nets: the hint lists where the tensors are", async () => {
    const r = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "D_A", "--from", COMMON, "-o", join(tmp, "x.safetensors"));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/hint: the file's tensors start with D_A\. \(10\), D_B\. \(10\), G_AB\. \(48\), G_BA\. \(48\), out\. \(12\)/);
    const none = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "D_A", "--prefix", "netD_A.", "--from", COMMON, "-o", join(tmp, "x.safetensors"));
    expect(none.code).toBe(1);
    expect(none.err).toContain('no tensors in cyclegan_common.safetensors with prefix "netD_A."');
  });

  it("spec errors print diagnostics and exit 1; usage and I/O errors exit 2", async () => {
    const bad = await gancc("import", "specs/cyclegan.gan", "--set", "ngff=8", "--net", "G_AB", "--from", COMMON);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("did you mean `ngf`?");
    const unknownNet = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "G_XY", "--from", COMMON);
    expect(unknownNet.code).toBe(2);
    expect((unknownNet.thrown as Error).message).toBe("specs/cyclegan.gan has no net `G_XY` (its nets: G_AB, G_BA, D_A, D_B)");
    const pth = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "G_AB", "--from", "latest_net_G_A.pth");
    expect(pth.code).toBe(2);
    expect((pth.thrown as Error).message).toContain("safetensors.torch import save_file");
    const missing = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "G_AB", "--from", join(tmp, "none.safetensors"));
    expect(missing.code).toBe(2);
    expect((missing.thrown as Error).message).toContain("none.safetensors: cannot read the file");
    const noNet = await gancc("import", "specs/cyclegan.gan", "--from", COMMON);
    expect(noNet.code).toBe(2);
    expect(noNet.err).toContain("required option '--net <name[=prefix]>' not specified");
    const prefixMany = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "G_AB", "--net", "G_BA", "--prefix", "x.", "--from", COMMON);
    expect(prefixMany.code).toBe(2);
    expect((prefixMany.thrown as Error).message).toContain("--net G_AB=G_AB. --net G_BA=G_BA.");
    const self = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "G_AB", "--from", COMMON, "-o", COMMON);
    expect(self.code).toBe(2);
    const again = await gancc("import", "specs/cyclegan.gan", ...SET, "--net", "G_AB", "--from", join(tmp, "G_AB.safetensors"), "-o", join(tmp, "y.safetensors"));
    expect(again.code).toBe(2);
    expect((again.thrown as Error).message).toContain("is already a gancc weights file");
  });
});

describe("gancc weights export", () => {
  it("gives back the fixture's tensors bit-exactly under the seed's names", async () => {
    const one = join(tmp, "G_AB.torch.safetensors");
    const r = await gancc("export", join(tmp, "G_AB.safetensors"), "-o", one);
    expect(r.code).toBe(0);
    expect(r.err).toContain("G_AB: 48 tensors as model.1.weight … model.26.bias");
    const t = readSafetensorsFileSync(one);
    const fixtureKeys = Object.keys(common.tensors).filter((k) => k.startsWith("G_AB."));
    expect(Object.keys(t.tensors).sort()).toEqual(fixtureKeys.map((k) => k.slice("G_AB.".length)).sort());
    for (const k of fixtureKeys) {
      const a = t.tensors[k.slice("G_AB.".length)]!;
      expect(a.shape).toEqual(common.tensors[k]!.shape);
      expect(bytesOf(a.data).equals(bytesOf(common.tensors[k]!.data))).toBe(true);
    }
    expect(t.metadata["format"]).toBe("pt");

    // every net of a file, default prefix <net>.model.: exactly the fixture's weight tensors
    const all = join(tmp, "all.torch.safetensors");
    expect((await gancc("export", join(tmp, "all.safetensors"), "-o", all)).code).toBe(0);
    const u = readSafetensorsFileSync(all);
    const weightKeys = Object.keys(common.tensors).filter((k) => /^(G_AB|G_BA|D_A|D_B)\./.test(k));
    expect(Object.keys(u.tensors).sort()).toEqual(weightKeys.sort());
    for (const k of weightKeys) expect(bytesOf(u.tensors[k]!.data).equals(bytesOf(common.tensors[k]!.data))).toBe(true);

    // one net out of several, with its own prefix
    const netD = join(tmp, "netD.safetensors");
    expect((await gancc("export", join(tmp, "all.safetensors"), "--net", "D_B=netD_B.model.", "-o", netD)).code).toBe(0);
    expect(Object.keys(readSafetensorsFileSync(netD).tensors).sort()).toEqual(
      Object.keys(common.tensors).filter((k) => k.startsWith("D_B.")).map((k) => k.replace("D_B.", "netD_B.")).sort(),
    );
  });

  it("a file saved without its IR needs --spec", async () => {
    const noIr = join(tmp, "D_B.safetensors");
    const r = await gancc("export", noIr, "-o", join(tmp, "d.torch.safetensors"));
    expect(r.code).toBe(2);
    expect((r.thrown as Error).message).toContain("saved without its IR");
    expect((r.thrown as Error).message).toContain("--spec SPEC");
    const ok = await gancc("export", noIr, "--spec", "specs/cyclegan.gan", ...SET, "-o", join(tmp, "d.torch.safetensors"));
    expect(ok.code).toBe(0);
    const t = readSafetensorsFileSync(join(tmp, "d.torch.safetensors"));
    expect(bytesOf(t.tensors["model.8.weight"]!.data).equals(bytesOf(common.tensors["D_B.model.8.weight"]!.data))).toBe(true);
    // the wrong spec for the weights: exit 1 naming the tensor and both shapes
    const wrong = await gancc("export", noIr, "--spec", "specs/cyclegan.gan", "--set", "ndf=4", "--set", "size=32", "-o", join(tmp, "d2.safetensors"));
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain("D_B/conv1/kernel: the net expects [4,4,3,4] but the weights have [4,4,3,2]");
    const unknown = await gancc("export", join(tmp, "all.safetensors"), "--net", "G");
    expect(unknown.code).toBe(2);
    expect((unknown.thrown as Error).message).toContain("holds no weights for net `G` (it has G_AB, G_BA, D_A, D_B)");
  });

  it("a corrupted weights file: exit 2 with a message naming the file", async () => {
    const good = readFileSync(join(tmp, "G_AB.safetensors"));
    const bad = join(tmp, "cut.safetensors");
    writeFileSync(bad, good.subarray(0, good.length - 1000));
    const r = await gancc("export", bad);
    expect(r.code).toBe(2);
    expect((r.thrown as Error).message).toContain(`${bad}:`);
    expect((r.thrown as Error).message).toContain("truncated");
  });
});

describe("gancc weights inspect", () => {
  it("a weights file: metadata, tensors in IR order, totals per net", async () => {
    const r = await gancc("inspect", join(tmp, "all.safetensors"));
    expect(r.code).toBe(0);
    expect(r.out).toContain(": gancc weights (format 1, IR version 1)");
    expect(r.out).toMatch(/spec +cyclegan \(sha256 [0-9a-f]{64}\)/);
    expect(r.out).toContain("nets    G_AB, G_BA, D_A, D_B");
    expect(r.out).toContain("--set   ngf=4 ndf=2 size=32");
    expect(r.out).toMatch(/G_AB\/c7s1_1\/conv1\/kernel +F32 +\[7,7,3,4\] +588/);
    expect(r.out.indexOf("G_AB/c7s1_1/conv1/bias")).toBeLessThan(r.out.indexOf("G_AB/down1/conv1/kernel"));
    expect(r.out).toMatch(/G_AB +48 tensors +45,859 values/);
    expect(r.out).toMatch(/total +116 tensors +97,860 values/);
    const j = await gancc("inspect", join(tmp, "all.safetensors"), "--json");
    const parsed = JSON.parse(j.out) as { kind: string; metadata: Record<string, string>; ir: { valid: boolean }; groups: { group: string; tensors: number }[] };
    expect(parsed.kind).toBe("gancc-weights");
    expect(parsed.metadata["ir"]).toBeUndefined();
    expect(parsed.ir.valid).toBe(true);
    expect(parsed.groups.map((g) => [g.group, g.tensors])).toEqual([["G_AB", 48], ["G_BA", 48], ["D_A", 10], ["D_B", 10]]);
  });

  it("a PyTorch state_dict: module order, totals per top-level module, and how to import it", async () => {
    const r = await gancc("inspect", COMMON);
    expect(r.code).toBe(0);
    expect(r.out).toContain("not a gancc weights file");
    expect(r.out).toContain("gancc weights import SPEC --net NET --from");
    expect(r.out.indexOf("G_AB.model.4.weight")).toBeLessThan(r.out.indexOf("G_AB.model.10.conv_block.1.weight"));
    expect(r.out).toMatch(/ngf: 4/);
    expect(r.out).toMatch(/G_AB +48 tensors/);
  });

  it("a damaged file: exit 2 naming the file", async () => {
    const r = await gancc("inspect", join(tmp, "cut.safetensors"));
    expect(r.code).toBe(2);
    expect((r.thrown as Error).message).toContain("cut.safetensors");
  });
});

describe("help", () => {
  it("each subcommand explains itself, its layouts and gives an example", async () => {
    for (const sub of ["import", "export", "inspect"]) {
      const r = await gancc(sub, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: weights ${sub}`);
      expect(r.out).toContain("Examples:");
      expect(r.out).toContain(`gancc weights ${sub} `);
    }
    expect((await gancc("import", "--help")).out).toContain("OIHW [out,in,kh,kw]");
    expect((await gancc("export", "--help")).out).toContain("model.10.conv_block.1/.5");
    const top = await gancc("--help");
    expect(top.out).toContain("import");
    expect(top.out).toContain("inspect");
  });
});
