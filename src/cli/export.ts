// `gancc export` and `gancc serve`: the commands' options and help. Their actions live in
// export_actions.ts, imported only when they run, so `gancc check` loads none of it.
import { Command, Option } from "commander";
import { parsePositiveInt } from "./common.js";

export function exportCommand(): Command {
  return new Command("export")
    .description("package a trained net for an app: --web writes a folder with a typed ES module, the weights, tfjs and a page")
    .argument("<trained>", "a run directory (its weights.safetensors or latest checkpoint) or a gancc weights file")
    .requiredOption("--net <name>", "the net to export, e.g. G_AB")
    .option("--web", "write the web export (the only kind so far; required)")
    .requiredOption("-o, --out <dir>", "folder to write (created; its files are replaced)")
    .addOption(new Option("--weights-dtype <dtype>", "precision of weights.bin").choices(["float16", "float32"]).default("float16"))
    .addHelpText(
      "after",
      `
What it writes:
  index.html            choose or drop an image; input and translation side by side, backend, ms/image
                        (?backend=webgpu|webgl|wasm|cpu picks the backend; default the first that works)
  model.js, model.d.ts  import { load } from "./model.js"; const m = await load(); await m.translate(img)
  gancc-runtime.js      the inference runtime (tfjs only; no gancc code)
  model.json, weights.bin   the net and its weights (fetched once)
  importmap.json, vendor/   tfjs from node_modules, wired by an import map: no build step, no CDN

Example:
  gancc export runs/cyclegan-20261129-120000 --net G_AB --web -o out/
  gancc serve out/`,
    )
    .action(async (...args: Parameters<typeof import("./export_actions.js").runExport>) => (await import("./export_actions.js")).runExport(...args));
}

export function serveCommand(): Command {
  return new Command("serve")
    .description("serve a folder (e.g. what gancc export --web wrote) on localhost; Ctrl-C stops it")
    .argument("<dir>", "the folder to serve")
    .option("--port <n>", "port (default 8080; 0: any free port)", (v) => (v === "0" ? 0 : parsePositiveInt("--port")(v)), 8080)
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .action(async (...args: Parameters<typeof import("./export_actions.js").runServe>) => (await import("./export_actions.js")).runServe(...args));
}
