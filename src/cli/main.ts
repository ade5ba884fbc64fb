#!/usr/bin/env node
// The gancc command line: argument parsing, exit codes and printing only.
// Exit codes: 0 success, 1 the spec has errors (or fmt --check found changes), 2 usage or I/O error.
import { writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { makeDir, writeFileAtomic } from "../io/atomic.js";
import { Command, CommanderError, Option } from "commander";
import { emitBindings } from "../compiler/bindings.js";
import { GANCC_VERSION } from "../compiler/compile.js";
import { OPS } from "../compiler/ops.js";
import { LOSS_FUNCTIONS } from "../compiler/losses.js";
import { INITS, OPTIMIZERS, SCHEDULES } from "../compiler/tables.js";
import { renderSummary, summarize } from "../compiler/summary.js";
import { signature } from "../compiler/values.js";
import { SourceFile, hasErrors } from "../dsl/diagnostics.js";
import { format } from "../dsl/index.js";
import { weightsCommand } from "./weights.js";
import { trainCommand, translateCommand } from "./train.js";
import { TrainError } from "../train/errors.js";
import { dataCommand } from "./data.js";
import { lspCommand } from "./lsp.js";
import { evalCommand } from "./eval.js";
import { exportCommand, serveCommand } from "./export.js";
import { CliError, collectSet, compileFile, exitOverrideEverywhere, parsePositiveInt, readText, report } from "./common.js";

const program = new Command();
program
  .name("gancc")
  .description("Compile, check and train declarative GAN specs (.gan files).")
  .version(GANCC_VERSION)
  .showHelpAfterError("(run `gancc help <command>` for its options)")
  .addHelpText(
    "after",
    `
Examples:
  gancc check specs/cyclegan.gan                       check a spec; exit 1 if it has errors
  gancc summary specs/cyclegan.gan --set ngf=8 --size 64
  gancc compile specs/cyclegan.gan -o build/ --emit ir,ts
  gancc fmt specs/*.gan --check
  gancc train specs/cyclegan.gan --config configs/emoji-cpu.yaml     the README's main job
  gancc train --resume runs/cyclegan-20261129-120000                   continue a run exactly
  gancc translate runs/cyclegan-20261129-120000 --net G_AB --input data/emoji/testA --output out/
  gancc export runs/cyclegan-20261129-120000 --net G_AB --web -o web/ && gancc serve web/

Spec parameters (\`param name = value\` in the spec) can be overridden on every command
with --set name=value; an undeclared name is an error.`,
  );

const setOption = () =>
  new Option("--set <name=value>", "override a spec parameter (repeatable)").argParser(collectSet).default({}, "none");
const sizeOption = () => new Option("--size <N>", "check and infer shapes at N×N instead of the data section's crop size").argParser(parsePositiveInt("--size"));

program
  .command("check")
  .description("parse and check a spec; print every error with its location")
  .argument("<spec>", "a .gan file")
  .addOption(setOption())
  .addOption(sizeOption())
  .option("--json", "print diagnostics as JSON on stdout")
  .action((spec: string, o: { set: Record<string, string>; size?: number; json?: boolean }) => {
    const r = compileFile(spec, { set: o.set, size: o.size });
    report(r.diagnostics, r.source, o);
    if (!o.json && !hasErrors(r.diagnostics)) {
      const n = r.ir?.nets.length ?? 0;
      process.stderr.write(`${spec}: ok (${n} net${n === 1 ? "" : "s"}, ${r.ir?.losses.length ?? 0} losses, ${r.ir?.train.steps.length ?? 0} steps)\n`);
    }
    process.exitCode = hasErrors(r.diagnostics) ? 1 : 0;
  });

program
  .command("compile")
  .description("check a spec and write its IR (<name>.ir.json), typed TypeScript bindings (<name>.ts) and/or PyTorch code (nets.py, losses.py, train.py)")
  .argument("<spec>", "a .gan file")
  .option("-o, --out <dir>", "output directory", "build")
  .option("--emit <kinds>", "what to write, comma-separated: ir, ts, torch (nets.py, losses.py, train.py, ir.json and the gancc_torch runtime)", "ir")
  .addOption(setOption())
  .addOption(sizeOption())
  .option("--json", "print diagnostics as JSON on stdout")
  .action(async (spec: string, o: { out: string; emit: string; set: Record<string, string>; size?: number; json?: boolean }) => {
    const kinds = o.emit.split(",").map((s) => s.trim()).filter(Boolean);
    for (const k of kinds) if (k !== "ir" && k !== "ts" && k !== "torch") throw new CliError(`--emit takes ir, ts and torch, comma-separated (e.g. ir,torch); got \`${k}\``);
    const r = compileFile(spec, { set: o.set, size: o.size });
    report(r.diagnostics, r.source, o);
    if (!r.ir || hasErrors(r.diagnostics)) {
      process.exitCode = 1;
      return;
    }
    try {
      makeDir(o.out);
    } catch (e) {
      throw new CliError(`cannot create output directory ${o.out}: ${(e as Error).message}`);
    }
    const base = basename(spec).replace(/\.gan$/, "");
    const written: string[] = [];
    if (kinds.includes("ir")) {
      const p = join(o.out, `${base}.ir.json`);
      writeFileAtomic(p, JSON.stringify(r.ir, null, 1) + "\n");
      written.push(p);
    }
    if (kinds.includes("ts")) {
      const p = join(o.out, `${base}.ts`);
      writeFileAtomic(p, emitBindings(r.ir));
      written.push(p);
    }
    if (kinds.includes("torch")) {
      // loaded only here: the generator pulls in the checkpoint code (for the IR hash)
      const { emitTorch } = await import("../torch/emit.js");
      emitTorch(r.ir, o.out);
      written.push(`${join(o.out, "train.py")} (+ nets.py, losses.py, ir.json, gancc_torch/; run: python3 ${join(o.out, "train.py")} --options options.json)`);
    }
    if (!o.json) process.stderr.write(`wrote ${written.join(", ")}\n`);
  });

program
  .command("fmt")
  .description("format specs in place (the canonical layout); comments are kept")
  .argument("<specs...>", ".gan files")
  .option("--check", "do not write; exit 1 if a file is not formatted")
  .option("--stdout", "print the formatted text instead of writing it")
  .action((files: string[], o: { check?: boolean; stdout?: boolean }) => {
    let bad = 0;
    for (const f of files) {
      const text = readText(f);
      const r = format(text, f);
      if (r.output === undefined || hasErrors(r.diagnostics)) {
        report(r.diagnostics, new SourceFile(f, text), {});
        bad++;
        continue;
      }
      if (o.stdout) process.stdout.write(r.output);
      else if (o.check) {
        if (r.output !== text) {
          process.stderr.write(`${f}: not formatted (run \`gancc fmt ${f}\`)\n`);
          bad++;
        }
      } else if (r.output !== text) {
        writeFileSync(f, r.output); // in place: keeps a symlinked spec a symlink, and its mode
        process.stderr.write(`formatted ${f}\n`);
      }
    }
    process.exitCode = bad ? 1 : 0;
  });

program
  .command("summary")
  .description("print each network's layers, output shapes, parameter counts, MACs and memory estimate")
  .argument("<spec>", "a .gan file")
  .addOption(setOption())
  .addOption(sizeOption())
  .option("--json", "print the summary as JSON")
  .action((spec: string, o: { set: Record<string, string>; size?: number; json?: boolean }) => {
    const r = compileFile(spec, { set: o.set, size: o.size });
    report(r.diagnostics, r.source, {});
    if (!r.ir) {
      process.exitCode = 1;
      return;
    }
    const s = summarize(r.ir);
    process.stdout.write(o.json ? JSON.stringify(s, null, 1) + "\n" : renderSummary(r.ir, s) + "\n");
  });

program
  .command("ops")
  .description("list the built-in layers, loss functions, optimizers, schedules and initialisers")
  .action(() => {
    const out: string[] = ["Layers:"];
    for (const [name, op] of Object.entries(OPS)) out.push(`  ${signature(name, op.args, op.variadic).padEnd(72)} ${op.doc}`);
    out.push("", "Loss functions:");
    for (const [name, f] of Object.entries(LOSS_FUNCTIONS)) out.push(`  ${name.padEnd(10)} ${f.doc}`);
    for (const [title, table] of [["Optimizers", OPTIMIZERS], ["Schedules", SCHEDULES], ["Initialisers", INITS]] as const) {
      out.push("", `${title}:`);
      for (const [name, e] of Object.entries(table)) out.push(`  ${signature(name, e.args).padEnd(72)} ${e.doc}`);
    }
    process.stdout.write(out.join("\n") + "\n");
  });

program.addCommand(trainCommand());
program.addCommand(translateCommand());
program.addCommand(evalCommand());
program.addCommand(dataCommand());
program.addCommand(weightsCommand());
program.addCommand(lspCommand());
program.addCommand(exportCommand());
program.addCommand(serveCommand());

exitOverrideEverywhere(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (e instanceof TrainError) {
    process.stderr.write(`gancc: ${e.message}\n`);
    process.exitCode = e.exitCode;
  } else if (e instanceof CliError) {
    process.stderr.write(`gancc: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`gancc: internal error (please report it): ${(e as Error).stack ?? e}\n`);
    process.exitCode = 70;
  }
}
