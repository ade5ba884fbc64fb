// `gancc weights import | export | inspect`: moving parameter values between PyTorch
// state_dicts (safetensors, torch layout and names) and gancc weights files (safetensors named by
// IR parameter, gancc layout, IR in the metadata). See src/runtime/weights.ts for the format.
//
// Exit codes as in main.ts: 0 ok, 1 the spec has errors or the weights do not fit the
// architecture, 2 usage or I/O error (thrown as CliError), 70 internal error.
import { basename, resolve } from "node:path";
import { Command, Option } from "commander";
import type { Ir, IrNet } from "../ir/schema.js";
import { SourceOptionsError, loadSpecOrIr } from "../compiler/load.js";
import { renderDiagnostics } from "../dsl/diagnostics.js";
import {
  numel,
  type SafetensorsContents,
} from "../io/safetensors.js";
import { WeightMappingError, compareTorchKeys, type TorchStateDict } from "../io/torch_names.js";
import {
  WeightsError,
  exportTorchNet,
  importTorchNet,
  isWeightsMetadata,
  loadWeightsSync,
  netWeights,
  saveWeightsSync,
  weightsFromContents,
  type LoadedWeights,
  type WeightTensors,
} from "../io/weights.js";
import { CliError, asUsageError, collectSet, parsePositiveInt } from "./common.js";
import { TorchFileError, readTorchFile, torchStateDict, writeTorchStateDict } from "../io/torch_files.js";

/** Where a command's output goes (tests pass their own). */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  setExitCode(code: number): void;
  /** colour diagnostics (default: stderr is a terminal and NO_COLOR is unset) */
  color?: boolean;
}

const processIO: CliIO = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  setExitCode: (c) => void (process.exitCode = c),
};

const LAYOUTS = `Layouts:          gancc (weights file)     PyTorch (state_dict)
  conv            HWIO [kh,kw,in,out]      OIHW [out,in,kh,kw]
  conv_transpose  HWOI [kh,kw,out,in]      IOHW [in,out,kh,kw]
  linear          [in,out]                 [out,in]    (after a flatten, rows are reordered:
                                                        gancc flattens H,W,C; torch C,H,W)
  bias, norms     [C]                      [C]         (gamma -> weight, beta -> bias,
                                                        moving_mean/_variance -> running_mean/_var)`;

// ---------------------------------------------------------------------------------------------
// Helpers

interface NetArg {
  net: string;
  prefix?: string;
}

function collectNet(value: string, prev: NetArg[] | undefined): NetArg[] {
  const eq = value.indexOf("=");
  const net = (eq < 0 ? value : value.slice(0, eq)).trim();
  if (!net) throw new CliError(`--net expects NAME or NAME=PREFIX, got \`${value}\` (e.g. --net G_AB or --net G_AB=G_AB.)`);
  const arg: NetArg = eq < 0 ? { net } : { net, prefix: value.slice(eq + 1).trim() };
  if ((prev ?? []).some((a) => a.net === net)) throw new CliError(`--net ${net} is given twice`);
  return [...(prev ?? []), arg];
}

const netOption = (what: string) => new Option("--net <name[=prefix]>", what).argParser(collectNet);
const setOption = () => new Option("--set <name=value>", "override a spec parameter (repeatable; .gan specs only)").argParser(collectSet).default({}, "none");
const sizeOption = () => new Option("--size <N>", "compile at N×N instead of the data section's crop size (.gan specs only)").argParser(parsePositiveInt("--size"));

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

function fmtInt(n: number): string {
  return n.toLocaleString("en-US");
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The IR of a `.gan` spec (compiled with --set/--size; diagnostics printed) or of an IR `.json`
 * file. Undefined when the spec or IR has errors (already reported; the caller exits 1).
 */
export function loadIrArg(path: string, o: { set?: Record<string, string>; size?: number }, io: CliIO): Ir | undefined {
  const r = asUsageError(() => loadSpecOrIr(path, { set: o.set, size: o.size }), [SourceOptionsError]);
  if (r.error !== undefined) io.stderr(`gancc: ${r.error}\n`);
  if (r.diagnostics.length && r.source) {
    const color = io.color ?? (io === processIO && process.stderr.isTTY && !process.env.NO_COLOR);
    io.stderr(renderDiagnostics(r.diagnostics, new Map([[r.source.path, r.source]]), { color: Boolean(color) }) + "\n");
  }
  return r.ir;
}

function findNet(ir: Ir, name: string, where: string): IrNet {
  const net = ir.nets.find((n) => n.name === name);
  if (!net) throw new CliError(`${where} has no net \`${name}\` (its nets: ${ir.nets.map((n) => n.name).join(", ")})`);
  return net;
}

/** Per-net prefixes: NAME=PREFIX wins; else --prefix (one net) or the default for several nets. */
function resolvePrefixes(nets: NetArg[], prefix: string | undefined, single: string, several: (net: string) => string): Required<NetArg>[] {
  if (nets.length > 1 && prefix !== undefined && nets.some((n) => n.prefix === undefined)) {
    throw new CliError(
      `--prefix applies to one net; with several, give each its own: ${nets.map((n) => `--net ${n.net}=${several(n.net)}`).join(" ")}`,
    );
  }
  return nets.map((n) => ({ net: n.net, prefix: n.prefix ?? (nets.length === 1 ? (prefix ?? single) : several(n.net)) }));
}

function sameFile(a: string, b: string): boolean {
  return resolve(a) === resolve(b);
}

/** The first dotted component of each key, with counts: where the file's tensors live. */
function keyGroups(keys: string[], sep: string): [string, number][] {
  const m = new Map<string, number>();
  for (const k of keys) {
    const i = k.indexOf(sep);
    const g = i < 0 ? k : k.slice(0, i + 1);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return [...m.entries()];
}

// ---------------------------------------------------------------------------------------------
// import

interface ImportOpts {
  net: NetArg[];
  from: string;
  prefix?: string;
  out?: string;
  ir: boolean;
  set: Record<string, string>;
  size?: number;
}

function runImport(spec: string, o: ImportOpts, io: CliIO): void {
  const ir = loadIrArg(spec, o, io);
  if (!ir) return io.setExitCode(1);
  const targets = resolvePrefixes(o.net, o.prefix, "", (n) => `${n}.`);
  const nets = targets.map((t) => ({ ...t, ir: findNet(ir, t.net, spec) }));
  const out = o.out ?? (nets.length === 1 ? `${nets[0]!.net}.safetensors` : `${ir.spec.name}.safetensors`);
  if (sameFile(out, o.from)) throw new CliError(`--out ${out} is the checkpoint being imported; choose another output file`);

  const contents = asUsageError(() => readTorchFile(o.from), [TorchFileError]);
  if (isWeightsMetadata(contents.metadata)) {
    throw new CliError(`${o.from} is already a gancc weights file (nets ${contents.metadata["nets"]}); inspect it with \`gancc weights inspect ${o.from}\``);
  }
  const sd = asUsageError(() => torchStateDict(contents, targets.map((t) => t.prefix), o.from), [TorchFileError]);
  const source = basename(o.from);

  const tensors: WeightTensors = new Map();
  const done: string[] = [];
  for (const t of nets) {
    let values;
    try {
      values = importTorchNet(sd, t.ir, { prefix: t.prefix || undefined, source });
    } catch (e) {
      if (!(e instanceof WeightMappingError)) throw e;
      const lines = [`gancc: cannot import net ${t.net} from ${o.from}${t.prefix ? ` (prefix "${t.prefix}")` : ""}:`, `  ${e.message}`];
      const keys = Object.keys(sd).filter((k) => k.startsWith(t.prefix));
      const groups = keyGroups(Object.keys(sd), ".");
      if (keys.length === 0 || (!t.prefix && groups.length > 1)) {
        lines.push(
          `hint: the file's tensors start with ${groups.slice(0, 12).map(([g, n]) => `${g} (${n})`).join(", ")}${groups.length > 12 ? ", ..." : ""}; ` +
            `pick one net's tensors with --prefix or --net ${t.net}=PREFIX`,
        );
      } else {
        lines.push(
          `hint: matching is by layer order; the first difference above is where the spec's ${t.ir.network} and the checkpoint's network diverge. ` +
            `Check the spec's --set values (widths, block counts) against the checkpoint's architecture (\`gancc weights inspect ${o.from}\` lists its tensors).`,
        );
      }
      io.stderr(lines.join("\n") + "\n");
      return io.setExitCode(1);
    }
    let count = 0;
    for (const [k, v] of values) {
      tensors.set(k, v);
      count += v.data.length;
    }
    done.push(`${t.net}: ${values.size} tensors, ${fmtInt(count)} values${t.prefix ? ` from ${t.prefix}*` : ""}`);
  }
  try {
    saveWeightsSync(out, {
      ir,
      nets: nets.map((t) => t.net),
      tensors,
      includeIr: o.ir,
      extraMetadata: { source, source_prefixes: targets.map((t) => `${t.net}=${t.prefix}`).join(",") },
    });
  } catch (e) {
    if (e instanceof WeightsError) throw new CliError(e.message);
    throw e;
  }
  io.stderr(`wrote ${out} (${done.join("; ")}; from ${o.from})\n`);
  io.setExitCode(0);
}

// ---------------------------------------------------------------------------------------------
// export

interface ExportOpts {
  net?: NetArg[];
  prefix?: string;
  out?: string;
  spec?: string;
  set: Record<string, string>;
  size?: number;
}

function loadWeightsOrCliError(file: string): LoadedWeights {
  try {
    return loadWeightsSync(file);
  } catch (e) {
    if (e instanceof WeightsError) throw new CliError(e.message);
    throw e;
  }
}

function runExport(file: string, o: ExportOpts, io: CliIO): void {
  const loaded = loadWeightsOrCliError(file);
  let ir: Ir | undefined = loaded.ir;
  if (o.spec !== undefined) {
    ir = loadIrArg(o.spec, o, io);
    if (!ir) return io.setExitCode(1);
  } else if (Object.keys(o.set).length || o.size !== undefined) {
    throw new CliError("--set and --size need --spec (the weights file's stored IR is used as it is)");
  }
  if (!ir) {
    throw new CliError(`${file} was saved without its IR, which export needs for the layer order; give the spec it was made from: --spec SPEC [--set k=v ...]`);
  }
  const wanted = o.net ?? loaded.info.nets.map((net) => ({ net }));
  for (const n of wanted) {
    if (!loaded.info.nets.includes(n.net)) throw new CliError(`${file} holds no weights for net \`${n.net}\` (it has ${loaded.info.nets.join(", ")})`);
  }
  const targets = resolvePrefixes(wanted, o.prefix, "model.", (n) => `${n}.model.`);
  const out = o.out ?? (targets.length === 1 ? `${targets[0]!.net}.torch.safetensors` : `${basename(file).replace(/\.safetensors$/, "")}.torch.safetensors`);
  if (sameFile(out, file)) throw new CliError(`--out ${out} is the weights file being exported; choose another output file`);

  const sd: TorchStateDict = {};
  const done: string[] = [];
  for (const t of targets) {
    const net = findNet(ir, t.net, o.spec ?? `${file}'s stored IR`);
    let values: WeightTensors;
    try {
      values = netWeights(loaded, net, file);
    } catch (e) {
      if (!(e instanceof WeightsError)) throw e;
      io.stderr(`gancc: ${e.message}\n`);
      return io.setExitCode(1);
    }
    const part = exportTorchNet(net, values, t.prefix);
    for (const [k, v] of Object.entries(part)) {
      if (sd[k] !== undefined) throw new CliError(`two nets export the tensor ${k}; give each net its own prefix (--net ${t.net}=${t.net}.model.)`);
      sd[k] = v;
    }
    const keys = Object.keys(part);
    done.push(`${t.net}: ${keys.length} tensors as ${keys[0] ?? "-"} … ${keys[keys.length - 1] ?? "-"}`);
  }
  const metadata = {
    format: "pt",
    layout: "torch: Conv2d weight OIHW, ConvTranspose2d weight IOHW, Linear weight [out,in]",
    gancc_source: basename(file),
    gancc_spec: `${ir.spec.name} ${ir.spec.sha256}`,
    gancc_nets: targets.map((t) => `${t.net}=${t.prefix}`).join(","),
  };
  asUsageError(() => writeTorchStateDict(out, sd, metadata), [TorchFileError]);
  io.stderr(`wrote ${out} (${done.join("; ")})\n`);
  io.setExitCode(0);
}

// ---------------------------------------------------------------------------------------------
// inspect

interface InspectRow {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
}

interface InspectGroup {
  group: string;
  tensors: number;
  values: number;
  bytes: number;
}

function runInspect(file: string, o: { json?: boolean }, io: CliIO): void {
  const contents = asUsageError(() => readTorchFile(file), [TorchFileError]);
  const gancc = isWeightsMetadata(contents.metadata);
  let problem: string | undefined;
  let loaded: LoadedWeights | undefined;
  if (gancc) {
    try {
      loaded = weightsFromContents(contents, file);
    } catch (e) {
      if (!(e instanceof WeightsError)) throw e;
      problem = e.message;
    }
  }
  let names = Object.keys(contents.tensors);
  if (loaded) names = [...loaded.tensors.keys()];
  else if (gancc) names.sort();
  else names.sort(compareTorchKeys);
  const rows: InspectRow[] = names.map((name) => {
    const t = contents.tensors[name]!;
    return { name, dtype: t.dtype, shape: t.shape, count: numel(t.shape) };
  });
  const sep = gancc ? "/" : ".";
  const groups = new Map<string, InspectGroup>();
  for (const r of rows) {
    const i = r.name.indexOf(sep);
    const g = i < 0 ? r.name : r.name.slice(0, i);
    const e = groups.get(g) ?? { group: g, tensors: 0, values: 0, bytes: 0 };
    e.tensors++;
    e.values += r.count;
    e.bytes += contents.tensors[r.name]!.data.byteLength;
    groups.set(g, e);
  }
  const total: InspectGroup = { group: "total", tensors: rows.length, values: 0, bytes: 0 };
  for (const g of groups.values()) {
    total.values += g.values;
    total.bytes += g.bytes;
  }
  const md = { ...contents.metadata };
  const irText = md["ir"];
  delete md["ir"];

  if (o.json) {
    io.stdout(
      JSON.stringify(
        {
          file,
          kind: gancc ? "gancc-weights" : "safetensors",
          metadata: md,
          ir: irText === undefined ? null : { bytes: irText.length, valid: loaded?.ir !== undefined },
          tensors: rows,
          groups: [...groups.values()],
          total,
          problem: problem ?? null,
        },
        null,
        1,
      ) + "\n",
    );
    return io.setExitCode(problem ? 1 : 0);
  }

  const lines: string[] = [];
  if (gancc) {
    lines.push(`${file}: gancc weights (format ${md["format_version"] ?? "?"}, IR version ${md["ir_version"] ?? "?"})`);
    lines.push(`  spec    ${md["spec_name"] ?? "?"} (sha256 ${md["spec_sha256"] ?? "?"})`);
    lines.push(`  nets    ${(md["nets"] ?? "").split(",").join(", ")}`);
    lines.push(`  IR      ${irText === undefined ? "not stored (export and translate will need --spec)" : `stored (${fmtBytes(irText.length)})`}`);
    if (loaded?.ir) {
      const ov = Object.entries(loaded.ir.spec.overrides);
      if (ov.length) lines.push(`  --set   ${ov.map(([k, v]) => `${k}=${v}`).join(" ")}`);
    }
    const reserved = new Set(["format", "format_version", "ir_version", "spec_name", "spec_sha256", "nets"]);
    for (const [k, v] of Object.entries(md)) if (!reserved.has(k)) lines.push(`  ${k}: ${v.length > 100 ? v.slice(0, 97) + "..." : v}`);
  } else {
    lines.push(`${file}: safetensors, not a gancc weights file (e.g. a PyTorch state_dict: convert it with \`gancc weights import SPEC --net NET --from ${file}\`)`);
    for (const [k, v] of Object.entries(md)) lines.push(`  ${k}: ${v.length > 100 ? v.slice(0, 97) + "..." : v}`);
  }
  lines.push("");
  const wName = Math.max(6, ...rows.map((r) => r.name.length));
  const wShape = Math.max(5, ...rows.map((r) => fmtShape(r.shape).length));
  lines.push(`${"tensor".padEnd(wName)}  ${"dtype".padEnd(5)}  ${"shape".padEnd(wShape)}  ${"values".padStart(10)}`);
  for (const r of rows) lines.push(`${r.name.padEnd(wName)}  ${r.dtype.padEnd(5)}  ${fmtShape(r.shape).padEnd(wShape)}  ${fmtInt(r.count).padStart(10)}`);
  lines.push("");
  lines.push(gancc ? "per net:" : "per top-level module:");
  const wGroup = Math.max(5, ...[...groups.keys()].map((g) => g.length));
  for (const g of [...groups.values(), total]) {
    lines.push(`  ${g.group.padEnd(wGroup)}  ${String(g.tensors).padStart(4)} tensors  ${fmtInt(g.values).padStart(12)} values  ${fmtBytes(g.bytes).padStart(9)}`);
  }
  io.stdout(lines.join("\n") + "\n");
  if (problem) {
    io.stderr(`gancc: ${problem}\n`);
    return io.setExitCode(1);
  }
  io.setExitCode(0);
}

// ---------------------------------------------------------------------------------------------
// The command

/** `gancc weights` with its subcommands; add it to the program with `program.addCommand(weightsCommand())`. */
export function weightsCommand(io: CliIO = processIO): Command {
  const weights = new Command("weights")
    .description("import PyTorch weights into gancc weights files, export them back, inspect weights files")
    .exitOverride()
    .showHelpAfterError("(run `gancc weights <command> --help` for its options)")
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .addHelpText(
      "after",
      `
A gancc weights file is a safetensors file whose tensors are named by IR parameter
(G_AB/res3/conv1/kernel), F32, in gancc layout, with the spec's name and sha256, the nets it
holds and (by default) the whole IR in its metadata, so the file alone is enough to run them.

Examples:
  gancc weights import specs/cyclegan.gan --net G_AB --from latest_net_G_A.safetensors
  gancc weights export G_AB.safetensors            # -> G_AB.torch.safetensors, model.N.weight names
  gancc weights inspect G_AB.safetensors`,
    );

  weights
    .command("import")
    .description("map a PyTorch state_dict (safetensors, torch layout) onto nets of a spec and write a gancc weights file")
    .argument("<spec>", "a .gan spec (compiled with --set/--size) or a compiled IR .json")
    .addOption(netOption("the net to fill (repeatable); NAME=PREFIX takes its tensors from keys starting with PREFIX").makeOptionMandatory())
    .requiredOption("--from <file>", "the PyTorch weights, as a .safetensors state_dict")
    .option("--prefix <prefix>", "with one --net: use only keys starting with this (e.g. G_AB. or module.); default: all keys")
    .option("-o, --out <file>", "output file (default: <net>.safetensors; with several nets <spec name>.safetensors)")
    .option("--no-ir", "do not store the IR in the weights file (smaller; export/translate then need --spec)")
    .addOption(setOption())
    .addOption(sizeOption())
    .addHelpText(
      "after",
      `
Matching is by layer order, not by name: the state_dict's keys are put in module order (numeric
components compared as numbers; weight, bias, running_mean, running_var; num_batches_tracked
ignored) and paired one by one with the net's parameters in forward order, checking each shape.
So any module naming works: the CycleGAN seed's model.1.weight, the official
model.10.conv_block.5.weight, a DataParallel module.model..., a U-Net's model.model.1.model...
Parameter-free layers (pads, instance norms without affine, activations) need no tensors.
If the architectures differ, the first parameter that does not fit is printed with both shapes
(gancc's and torch's) and the command exits 1.

Several nets: repeat --net. Each takes the keys under its own prefix: --net G_AB=netG_A.
With several nets and no =PREFIX, a net's prefix is "<net>." (a checkpoint of all nets keyed
G_AB.model..., G_BA.model...). The output file holds all of them and the IR once.

The input must be safetensors; a .pth pickle is refused with the Python one-liner that converts it
(torch.load + safetensors.torch.save_file).

${LAYOUTS}

Examples:
  gancc weights import specs/cyclegan.gan --net G_AB --from latest_net_G_A.safetensors
  gancc weights import specs/cyclegan.gan --set ngf=4 --set ndf=2 --set size=32 \\
      --net G_AB=G_AB. --net D_A=D_A. --from cyclegan_common.safetensors -o init.safetensors
  gancc weights import build/cyclegan.ir.json --net G_BA --prefix netG_B. --from ckpt.safetensors`,
    )
    .action((spec: string, o: ImportOpts) => runImport(spec, o, io));

  weights
    .command("export")
    .description("write nets of a gancc weights file as a PyTorch state_dict (safetensors, torch layout and names)")
    .argument("<weights>", "a gancc weights file")
    .addOption(netOption("the net to export (repeatable; default: every net in the file); NAME=PREFIX names its keys PREFIX<index>..."))
    .option("--prefix <prefix>", 'with one net: the key prefix (default "model.")')
    .option("-o, --out <file>", "output file (default: <net>.torch.safetensors; with several nets <weights>.torch.safetensors)")
    .option("--spec <spec>", "the spec (or IR .json) to take the layer order from, for files saved without their IR")
    .addOption(setOption())
    .addOption(sizeOption())
    .addHelpText(
      "after",
      `
Names: as an nn.Sequential built from the net's layers would name them (the CycleGAN seed's and
the official ResnetGenerator/PatchGAN naming): every layer takes the next index, parameter-free
layers included (pads, norms, activations, dropout); a residual block is one module whose body is
numbered inside it as N.conv_block.M; a skip block likewise as N.model.M. Leaves: kernel/gamma ->
weight, bias/beta -> bias, moving_mean -> running_mean, moving_variance -> running_var.
specs/cyclegan.gan's ResnetGenerator gives model.1 (c7s1 conv), model.4, model.7 (down),
model.10.conv_block.1/.5 ... model.18.conv_block.1/.5 (residual blocks), model.19, model.22
(conv-transposes), model.26 (output conv); PatchGAN gives model.0, 2, 5, 8, 11.
The key prefix is "model." for one net and "<net>.model." for each of several; NAME=PREFIX or
--prefix changes it. Values are bit-exact (only transposed). Batch-norm num_batches_tracked is
not written (PyTorch fills it in on load).

${LAYOUTS}

Examples:
  gancc weights export G_AB.safetensors                         # -> G_AB.torch.safetensors (model.N.*)
  gancc weights export cyclegan.safetensors --net G_AB=netG_A.model. -o netG_A.safetensors
  gancc weights export old.safetensors --spec specs/cyclegan.gan --set ngf=32   # file saved with --no-ir`,
    )
    .action((file: string, o: ExportOpts) => runExport(file, o, io));

  weights
    .command("inspect")
    .description("list a weights file's tensors (name, dtype, shape, values), its metadata and per-net totals")
    .argument("<file>", "a gancc weights file, or any safetensors file (e.g. a PyTorch state_dict)")
    .option("--json", "print the listing as JSON")
    .addHelpText(
      "after",
      `
For a gancc weights file: the spec's name and sha256, the nets, whether the IR is stored (and the
--set values it was compiled with), then every tensor in IR order, and totals per net. The file is
also checked against its stored IR; a problem is printed and the command exits 1.
For any other safetensors file (a PyTorch checkpoint): its metadata, its tensors in module order
and totals per top-level module, which tells you the --prefix to import with.

Examples:
  gancc weights inspect G_AB.safetensors
  gancc weights inspect latest_net_G_A.safetensors --json`,
    )
    .action((file: string, o: { json?: boolean }) => runInspect(file, o, io));

  return weights;
}
