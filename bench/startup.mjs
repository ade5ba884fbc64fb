#!/usr/bin/env node
// Cold start of the built CLI (dist/, as installed from npm): wall time of whole processes, from
// spawn to exit, for the commands that must feel instant. Each command runs once to warm the
// file cache, then --runs times; the table gives median and min. The load average is printed
// because other processes on the machine slow every number down.
//
//   npm run build && npm run bench:startup [-- --runs 15]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg, cpus } from "node:os";

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 15;
const main = "dist/cli/main.js";
if (!existsSync(main)) {
  console.error("bench/startup: dist/ is missing; run `npm run build` first");
  process.exit(2);
}

const cases = [
  ["node -e 0 (Node itself)", ["-e", "0"]],
  ["gancc --version", [main, "--version"]],
  ["gancc --help", [main, "--help"]],
  ["gancc check specs/cyclegan.gan", [main, "check", "specs/cyclegan.gan"]],
  ["gancc check specs/pix2pix.gan", [main, "check", "specs/pix2pix.gan"]],
  ["gancc summary specs/cyclegan.gan", [main, "summary", "specs/cyclegan.gan"]],
  ["gancc train --help", [main, "train", "--help"]],
];

function once(args) {
  const t = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

console.log(`Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}; ${runs} runs each after one warm-up\n`);
console.log(`| command | median | min |\n|---|---:|---:|`);
for (const [name, args] of cases) {
  once(args);
  const t = Array.from({ length: runs }, () => once(args)).sort((a, b) => a - b);
  console.log(`| \`${name}\` | ${t[Math.floor(t.length / 2)].toFixed(0)} ms | ${t[0].toFixed(0)} ms |`);
}
console.log(`\nload average after: ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
