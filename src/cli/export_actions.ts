// The actions of `gancc export` and `gancc serve` (see export.ts): loaded only when they run.
import { resolve } from "node:path";
import { loadTrained, TrainedModelError } from "../apply/trained.js";
import { WeightsError } from "../io/weights.js";
import { CheckpointError } from "../train/checkpoint.js";
import { ExportError, exportWeb, type WeightsDtype } from "../export/web.js";
import { ServeError, serveDirectory } from "../export/serve.js";
import { CliError } from "./common.js";

const kb = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

export async function runExport(trained: string, o: { net: string; web?: boolean; out: string; weightsDtype: WeightsDtype }): Promise<void> {
  if (!o.web) throw new CliError("say what to export: --web (a folder with a typed ES module, the weights, tfjs and a page)");
  let model;
  try {
    model = await loadTrained(trained);
  } catch (e) {
    if (e instanceof TrainedModelError || e instanceof WeightsError || e instanceof CheckpointError) throw new CliError(e.message);
    throw e;
  }
  let r;
  try {
    r = exportWeb(model, { net: o.net, out: o.out, dtype: o.weightsDtype });
  } catch (e) {
    if (e instanceof ExportError) throw new CliError(e.message);
    throw e;
  }
  const total = r.files.reduce((a, f) => a + f.bytes, 0);
  process.stderr.write(
    `gancc: exported ${o.net} from ${model.from} to ${resolve(r.out)}: ${r.files.length} files, ${kb(total)} (weights.bin ${kb(r.weightsBytes)} ${r.dtype}; input ${r.inputSize}×${r.inputSize})\n` +
      `  try it: gancc serve ${o.out}\n`,
  );
}

export async function runServe(dir: string, o: { port: number; host: string }): Promise<void> {
  let s;
  try {
    s = await serveDirectory(dir, o);
  } catch (e) {
    if (e instanceof ServeError) throw new CliError(e.message);
    throw e;
  }
  process.stdout.write(`${s.url}\n`);
  process.stderr.write(`gancc: serving ${resolve(dir)} at ${s.url} (Ctrl-C stops)\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void s.close().then(() => {
        process.stderr.write("gancc: server stopped\n");
        done();
      });
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
