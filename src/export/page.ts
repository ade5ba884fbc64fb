/**
 * The exported page (`index.html`) and the import map that points tfjs's bare module names at
 * the vendored files, so the folder runs from any static host with no build step and no CDN.
 *
 * The page: choose or drop an image, see it and its translation side by side, which backend ran
 * and the milliseconds per image; `?backend=wasm` (webgpu, webgl, wasm, cpu) picks the backend.
 * For tests and scripts it sets `window.gancc` = { ready, model, translateUrl(url) }.
 */
import { escapeHtml } from "../report/escape.js";

/** Bare module names → vendored files (relative to the export folder). */
export const IMPORT_MAP = {
  imports: {
    "@tensorflow/tfjs": "./vendor/tf.fesm.min.js",
    "@tensorflow/tfjs-core": "./vendor/tf.fesm.min.js",
    "@tensorflow/tfjs-backend-wasm": "./vendor/tf-backend-wasm.fesm.min.js",
    "@tensorflow/tfjs-backend-webgpu": "./vendor/tf-backend-webgpu.fesm.min.js",
    // the wasm backend's Emscripten glue imports these for Node; in a page they are never used
    fs: "./vendor/node-stub.js",
    path: "./vendor/node-stub.js",
    os: "./vendor/node-stub.js",
    perf_hooks: "./vendor/node-stub.js",
    worker_threads: "./vendor/node-stub.js",
  },
};

export const NODE_STUB = "// Stands in for Node built-ins that tfjs-backend-wasm imports but uses only in Node.\nexport default {};\n";

export function indexHtml(title: string, net: string, size: number): string {
  const t = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<script type="importmap">
${JSON.stringify(IMPORT_MAP, null, 1)}
</script>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
  #drop { border: 2px dashed #999; border-radius: 8px; padding: 1.2em; text-align: center; margin: 1em 0; }
  #drop.over { background: #eef; }
  .pair { display: flex; gap: 2em; flex-wrap: wrap; }
  figure { margin: 0; }
  canvas { width: 256px; height: 256px; image-rendering: pixelated; background: #eee; border: 1px solid #ccc; }
  #status { font-family: ui-monospace, monospace; }
  .error { color: #b00; }
</style>
</head>
<body>
<h1>${t}</h1>
<p id="status">loading the model…</p>
<div id="drop">drop an image here, or <input type="file" id="file" accept="image/*"></div>
<div class="pair">
  <figure><canvas id="input" width="${size}" height="${size}"></canvas><figcaption>input (${size}×${size})</figcaption></figure>
  <figure><canvas id="output" width="${size}" height="${size}"></canvas><figcaption>${escapeHtml(net)}(input)</figcaption></figure>
</div>
<p id="timing"></p>
<script type="module">
import { load } from ${JSON.stringify("./model.js")};

const $ = (id) => document.getElementById(id);
const asked = new URLSearchParams(location.search).get("backend") || undefined;
const ready = load(undefined, { backend: asked });
window.gancc = { ready };

function show(canvas, pixels, w, h) {
  canvas.width = w;
  canvas.height = h;
  canvas.getContext("2d").putImageData(new ImageData(pixels, w, h), 0, 0);
}

async function imageFromUrl(url) {
  const img = new Image();
  img.src = url;
  await img.decode();
  return img;
}

async function translateUrl(url) {
  const model = await ready;
  const img = await imageFromUrl(url);
  const r = await model.translate(img);
  const size = model.inputSize;
  const c = document.createElement("canvas");
  c.width = size;
  c.height = size;
  const ctx = c.getContext("2d");
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(img, 0, 0, size, size);
  show($("input"), ctx.getImageData(0, 0, size, size).data, size, size);
  show($("output"), r.pixels, r.width, r.height);
  $("output").dataset.done = String(Number($("output").dataset.done || 0) + 1);
  $("timing").textContent = r.ms.toFixed(1) + " ms per image on " + model.backend;
  return { width: r.width, height: r.height, pixels: Array.from(r.pixels), ms: r.ms, backend: model.backend };
}
window.gancc.translateUrl = translateUrl;

async function translateFile(file) {
  const url = URL.createObjectURL(file);
  try {
    await translateUrl(url);
  } catch (e) {
    $("status").textContent = "error: " + e.message;
    $("status").className = "error";
  } finally {
    URL.revokeObjectURL(url);
  }
}

$("file").addEventListener("change", (e) => e.target.files[0] && translateFile(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  if (e.dataTransfer.files[0]) translateFile(e.dataTransfer.files[0]);
});

ready.then(
  (m) => {
    window.gancc.model = m;
    $("status").textContent = "backend: " + m.backend + (m.backendsTried.length ? " (not available: " + m.backendsTried.join("; ") + ")" : "") + " · " + m.net + " · sizes " + m.sizes.text;
    $("status").dataset.backend = m.backend;
  },
  (e) => {
    $("status").textContent = "error: " + e.message;
    $("status").className = "error";
  },
);
</script>
</body>
</html>
`;
}
