// The action of `gancc eval` (loaded only when it runs, as it loads tfjs): load, evaluate, print.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { BackendUnavailableError, selectBackend, type BackendKind } from "../runtime/backend.js";
import { TrainedModelError, loadTrained, type TrainedModel } from "../apply/trained.js";
import { WeightsError, loadWeights } from "../io/weights.js";
import { CheckpointError, loadCheckpoint } from "../train/checkpoint.js";
import { StyleError, accuracyText } from "../train/style.js";
import { evaluateRun } from "../train/eval_run.js";
import { CliError, readText } from "./common.js";
import { resolveClassifier } from "./style_classifier.js";

const f = (v: number | undefined, d = 4) => (v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(d));

/**
 * The run's newest weights: a resumed run that is still training has checkpoints newer than the
 * weights.safetensors its earlier stop wrote (loadTrained prefers that file).
 */
async function loadNewest(run: string): Promise<TrainedModel> {
  const t = await loadTrained(run);
  const latest = join(run, "checkpoints", "latest.json");
  if (!statSync(run).isDirectory() || !existsSync(join(run, "weights.safetensors")) || !existsSync(latest)) return t;
  let at: number;
  try {
    at = (JSON.parse(readFileSync(latest, "utf8")) as { iteration: number }).iteration;
  } catch {
    return t; // a damaged manifest: the final weights stand
  }
  const w = Number((await loadWeights(join(run, "weights.safetensors"))).metadata.iteration ?? NaN);
  if (!(at > w)) return t;
  const c = loadCheckpoint(join(run, "checkpoints"));
  return { ir: t.ir, weights: c.weights, from: `${run} checkpoint at iteration ${c.manifest.iteration} (newer than its weights.safetensors, iteration ${w})` };
}

export async function runEval(run: string, o: { classifier?: string; data?: string; backend: BackendKind; json?: boolean }): Promise<void> {
  let be;
  try {
    be = await selectBackend(o.backend);
  } catch (e) {
    if (e instanceof BackendUnavailableError) throw new CliError(e.message);
    throw e;
  }
  let trained;
  try {
    trained = await loadNewest(run);
  } catch (e) {
    if (e instanceof TrainedModelError || e instanceof WeightsError || e instanceof CheckpointError) throw new CliError(e.message);
    throw e;
  }
  let data = o.data;
  if (!data) {
    try {
      data = (JSON.parse(readText(join(run, "run.json"))) as { data?: string }).data;
    } catch {
      /* below */
    }
  }
  if (!data) throw new CliError(`no data: ${run} has no run.json naming its dataset; pass --data DIR`);
  const classifier = await resolveClassifier(o.classifier ?? "auto", { data, runIr: trained.ir, backend: be });
  let r;
  try {
    r = await evaluateRun({ ir: trained.ir, weights: trained.weights, data, classifier: classifier! });
  } catch (e) {
    if (e instanceof StyleError) throw new CliError(e.message);
    throw e;
  }
  const acc = r.style.classifier.accuracy;
  if (o.json) {
    process.stdout.write(JSON.stringify({ run: trained.from, data, ...r }, null, 1) + "\n");
  } else {
    const out: string[] = [`${trained.ir.spec.name}: ${trained.from} (backend ${be.name}), test split of ${data}`];
    out.push(`${"translation".padEnd(18)} ${"L1".padStart(8)} ${"L1 untransl.".padStart(13)} ${"style".padStart(7)} ${"untransl.".padStart(10)}  n`);
    for (const t of r.translations) {
      const s = r.style.scores.find((x) => x.net === t.net && x.from === t.from && x.to === t.to);
      out.push(`${`${t.net}: ${t.from}→${t.to}`.padEnd(18)} ${f(t.l1).padStart(8)} ${f(t.l1Untranslated).padStart(13)} ${f(s?.translated, 3).padStart(7)} ${f(s?.untranslated, 3).padStart(10)}  ${s?.n ?? 0}`);
    }
    if (r.l1Missing) out.push(`no L1: ${r.l1Missing}`);
    out.push(`style: the share of test images the classifier (${r.style.classifier.from}) assigns to the target domain`);
    out.push(accuracyText(acc));
    process.stdout.write(out.join("\n") + "\n");
  }
  if (!acc.meaningful) process.exitCode = 1;
}
