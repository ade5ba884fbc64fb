// The package as a user gets it: `npm pack` (which runs `prepare`, i.e. the build), install the
// tarball into an empty plain-JavaScript project, then import the API and run the CLI there —
// no TypeScript, no tsx, no repository files.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(".");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
let dir: string;
let tarball: string;
let packed: string[];

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", npm_config_audit: "false", npm_config_fund: "false" } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gancc-pack-"));
  const p = run(NPM, ["pack", "--json", "--pack-destination", dir], ROOT);
  if (p.code !== 0) throw new Error(`npm pack failed (it builds first: npm run build):\n${p.out}\n${p.err}`);
  const info = JSON.parse(p.out.slice(p.out.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, info[0]!.filename);
  packed = info[0]!.files.map((f) => f.path);
  const app = join(dir, "app");
  run("mkdir", ["-p", app], dir);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true, type: "module" }));
  const i = run(NPM, ["install", "--prefer-offline", "--no-package-lock", tarball], app);
  if (i.code !== 0) throw new Error(`npm install of the tarball failed:\n${i.err}`);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("contains what a user needs and nothing else", () => {
    for (const f of ["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.d.ts", "dist/cli/main.js", "specs/cyclegan.gan", "configs/emoji-cpu.yaml", "data/emoji/ATTRIBUTION.md", "dist/runtime/kernels/heap_simd.wasm", "dist/runtime/kernels/heap_simd.shared.wasm"]) {
      expect(packed, f).toContain(f);
    }
    expect(packed.filter((f) => /^(src|test|bench|node_modules)\//.test(f) || f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("imports from plain JavaScript: `import { compileSpec } from \"gancc\"`", () => {
    const app = join(dir, "app");
    writeFileSync(
      join(app, "use.mjs"),
      `import { readFileSync } from "node:fs";
import { compileSpec, formatDiagnostics } from "gancc";
const ok = compileSpec(readFileSync("node_modules/gancc/specs/cyclegan.gan", "utf8"), "cyclegan.gan");
const bad = compileSpec("gan x\\nnetwork N: image[3] -> image[3] { conv(8, 3) instance_nrom }\\n", "bad.gan");
console.log(JSON.stringify({ nets: ok.ir.nets.map((n) => n.name), errors: ok.diagnostics.length, bad: formatDiagnostics(bad) }));
`,
    );
    const r = run(process.execPath, ["use.mjs"], app);
    expect(r.err).toBe("");
    const out = JSON.parse(r.out) as { nets: string[]; errors: number; bad: string };
    expect(out.nets).toEqual(["G_AB", "G_BA", "D_A", "D_B"]);
    expect(out.errors).toBe(0);
    expect(out.bad).toMatch(/bad\.gan:2:\d+ error GAN2003: unknown layer `instance_nrom`/);
  });

  it("ships types a TypeScript consumer compiles against", () => {
    const app = join(dir, "app");
    writeFileSync(join(app, "use.ts"), `import { compileSpec, type Ir } from "gancc";\nconst ir: Ir | undefined = compileSpec("gan x", "x.gan").ir;\nexport const n: number = ir?.nets.length ?? 0;\n`);
    writeFileSync(join(app, "wrong.ts"), `import { compileSpec } from "gancc";\nexport const n: string = compileSpec(42).ir;\n`);
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const opts = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "--types", "node", "--typeRoots", join(ROOT, "node_modules", "@types")];
    const good = run(process.execPath, [tsc, ...opts, "use.ts"], app);
    expect(good.out + good.err).toBe("");
    expect(good.code).toBe(0);
    const wrong = run(process.execPath, [tsc, ...opts, "wrong.ts"], app);
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toMatch(/wrong\.ts\(2,/);
  });

  it("validates IRs with the build's precompiled schema exactly as the sources' compiled one does", async () => {
    const { readIr, IR_VALIDATOR } = await import("../../src/ir/validate.js");
    expect(IR_VALIDATOR).toBe("compiled");
    const golden = readFileSync(join(ROOT, "test/golden/ir/cyclegan.ir.json"), "utf8");
    const ir = JSON.parse(golden);
    const cases = [
      golden,
      JSON.stringify({ ...ir, data: { ...ir.data, layout: "sideways" } }),
      JSON.stringify({ ...ir, extra: 1, nets: ir.nets.slice(0, 1).map((n: object) => ({ ...n, role: 3 })) }),
      JSON.stringify({ ...ir, train: { ...ir.train, steps: [{}] } }),
      "{",
    ];
    const app = join(dir, "app");
    writeFileSync(join(app, "cases.json"), JSON.stringify(cases));
    writeFileSync(
      join(app, "validate.mjs"),
      `import { readFileSync } from "node:fs";
const { readIr, IR_VALIDATOR } = await import("./node_modules/gancc/dist/ir/validate.js");
const cases = JSON.parse(readFileSync("cases.json", "utf8"));
console.log(JSON.stringify({ how: IR_VALIDATOR, results: cases.map((c) => readIr(c, "x.json").error ?? "ok") }));
`,
    );
    const r = run(process.execPath, ["validate.mjs"], app);
    expect(r.err).toBe("");
    const out = JSON.parse(r.out) as { how: string; results: string[] };
    expect(out.how).toBe("precompiled");
    expect(out.results).toEqual(cases.map((c) => readIr(c, "x.json").error ?? "ok"));
    expect(out.results[0]).toBe("ok");
    expect(out.results.slice(1).every((m) => m !== "ok")).toBe(true);
  });

  it("runs its wasm kernels' heap loops in WebAssembly SIMD (the .wasm built from heap_simd.wat is shipped and found)", () => {
    const app = join(dir, "app");
    writeFileSync(
      join(app, "simd.mjs"),
      `const tf = await import("@tensorflow/tfjs");
const { selectBackend } = await import("./node_modules/gancc/dist/runtime/backend.js");
const { heapSimdStatus } = await import("./node_modules/gancc/dist/runtime/kernels/heap_simd.js");
await selectBackend("wasm", { threads: 1 });
// a filter gradient of a 16-channel conv: the wasm GEMM kernel, which attaches the module
const x = tf.randomNormal([1, 8, 8, 16]);
const w = tf.randomNormal([3, 3, 16, 16]);
const g = tf.grad((w) => tf.conv2d(x, w, 1, "same").sum())(w);
console.log(JSON.stringify({ simd: heapSimdStatus(), finite: g.dataSync().every(Number.isFinite) }));
`,
    );
    const r = run(process.execPath, ["simd.mjs"], app);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out.trim().split("\n").pop() ?? "")).toEqual({ simd: "wasm SIMD", finite: true });
  });

  it("runs the installed CLI: `npx gancc check` on a spec, with the exit codes README promises", () => {
    const app = join(dir, "app");
    const ok = run(NPM, ["exec", "--offline", "--", "gancc", "check", "node_modules/gancc/specs/cyclegan.gan"], app);
    expect(ok.err).toContain("ok (4 nets, 2 losses, 2 steps)");
    expect(ok.code).toBe(0);
    writeFileSync(join(app, "bad.gan"), "gan x\nparam a = 1\nparam a = 2\n");
    const bad = run(NPM, ["exec", "--offline", "--", "gancc", "check", "bad.gan"], app);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad\.gan:3:\d+ error GAN\d{4}/);
    const version = run(join(app, "node_modules", ".bin", "gancc"), ["--version"], app);
    expect(version.out.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });
});
