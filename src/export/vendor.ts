/**
 * The tfjs files an exported page needs, copied from this installation's node_modules (no CDN):
 * the union bundle (core, cpu, webgl), the wasm backend with its three .wasm binaries (plain,
 * SIMD, threaded SIMD: tfjs picks what the browser supports) and the webgpu backend, all ES
 * modules ("fesm") that the import map in index.html wires together.
 */
import { copyFileSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ExportError } from "./weights.js";

const FILES: { pkg: string; files: string[] }[] = [
  { pkg: "@tensorflow/tfjs", files: ["dist/tf.fesm.min.js"] },
  {
    pkg: "@tensorflow/tfjs-backend-wasm",
    files: ["dist/tf-backend-wasm.fesm.min.js", "dist/tfjs-backend-wasm.wasm", "dist/tfjs-backend-wasm-simd.wasm", "dist/tfjs-backend-wasm-threaded-simd.wasm"],
  },
  { pkg: "@tensorflow/tfjs-backend-webgpu", files: ["dist/tf-backend-webgpu.fesm.min.js"] },
];

function packageDir(pkg: string): { dir: string; version: string; license: string } {
  const req = createRequire(import.meta.url);
  let json: string;
  try {
    json = req.resolve(`${pkg}/package.json`);
  } catch {
    throw new ExportError(`${pkg} is not installed next to gancc; reinstall gancc's dependencies (npm ci)`);
  }
  const p = JSON.parse(readFileSync(json, "utf8")) as { version: string; license?: string };
  return { dir: dirname(json), version: p.version, license: p.license ?? "see the package" };
}

/** Copies the vendored files into `vendorDir` (which exists); returns their names and a README text. */
export function copyVendor(vendorDir: string): { files: string[]; readme: string } {
  const files: string[] = [];
  const lines = ["Copied by gancc export --web from the installed npm packages (unmodified):", ""];
  for (const { pkg, files: fs } of FILES) {
    const { dir, version, license } = packageDir(pkg);
    lines.push(`${pkg}@${version} (${license}): ${fs.map((f) => f.replace(/^dist\//, "")).join(", ")}`);
    for (const f of fs) {
      const name = f.replace(/^dist\//, "");
      try {
        copyFileSync(join(dir, f), join(vendorDir, name));
      } catch (e) {
        throw new ExportError(`cannot copy ${join(dir, f)} to ${vendorDir}: ${(e as Error).message}`);
      }
      files.push(name);
    }
  }
  lines.push("", "node-stub.js stands in for the Node built-ins (fs, path, os, perf_hooks) that the wasm backend imports but uses only in Node.", "");
  return { files, readme: lines.join("\n") };
}
