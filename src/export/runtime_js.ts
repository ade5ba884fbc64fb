/**
 * The inference runtime that `gancc export --web` writes as `gancc-runtime.js`: plain ES module
 * JavaScript, no build step, that runs one gancc net on any tfjs backend (webgpu, webgl, wasm,
 * cpu, tfjs-node) in a browser or in Node, without gancc's own Node code.
 *
 * Semantics are those of src/runtime/layers.ts (NHWC, PyTorch conventions), evaluation mode
 * only. Where gancc's runtime relies on a kernel fix that exists only for some backends, the
 * exported runtime uses forms that need nothing but stock forward kernels, so every backend runs
 * them as they are:
 *   - dilated kernels are dilated on the host at load time (gancc dilates them on the device with
 *     a rank-6 pad, which tfjs-backend-webgpu cannot run without gancc's PadV2 fix);
 *   - a transposed convolution is one stride-1 forward conv2d with a "sub-pixel" filter built on
 *     the host, a depthToSpace and a crop (the form of gancc's wasm Conv2DBackpropInput fix; the
 *     stock wasm kernel is a naive loop);
 *   - upsampling is two matrix products (as in gancc), batch norm one scale and shift.
 * test/export/ops.test.ts runs every op of the PyTorch layer fixture through it in Node (cpu,
 * wasm) and test/export/browser.test.ts in Chromium (webgl, wasm, webgpu where it runs).
 *
 * Kept free of template literals and backticks: it lives in a TypeScript template string.
 */
export const RUNTIME_JS = String.raw`// gancc-runtime.js: written by gancc export --web. Inference for one gancc net on tfjs.
// Do not edit: export the model again instead.
import * as tf from "@tensorflow/tfjs";

export { tf };

const IS_NODE = typeof process === "object" && process !== null && process.versions != null && process.versions.node != null && typeof window === "undefined";

// ------------------------------------------------------------------------------------------
// weights: a JSON manifest (name, shape, byte offset) and one little-endian float16/float32 file

/** IEEE 754 half (as a 16-bit integer) to a number. */
export function halfToFloat(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * Math.pow(2, -24);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * Math.pow(2, e - 15);
}

/** The weights file's tensors as Float32Arrays, by name. */
export function decodeWeights(manifest, bytes) {
  const out = new Map();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const w of manifest.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (manifest.dtype === "float16") {
      for (let i = 0; i < n; i++) data[i] = halfToFloat(view.getUint16(w.offset + 2 * i, true));
    } else if (manifest.dtype === "float32") {
      for (let i = 0; i < n; i++) data[i] = view.getFloat32(w.offset + 4 * i, true);
    } else {
      throw new Error("gancc: unknown weights dtype " + manifest.dtype);
    }
    out.set(w.name, { shape: w.shape, data });
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// host-side kernel preparation (at load, once)

/** A dilated kernel [k,k,a,b] as an ordinary one [(k-1)d+1, (k-1)d+1, a, b] (zeros between taps). */
export function dilateKernel(data, shape, d) {
  if (d === 1) return { data, shape };
  const [kh, kw, a, b] = shape;
  const h = (kh - 1) * d + 1;
  const w = (kw - 1) * d + 1;
  const out = new Float32Array(h * w * a * b);
  const inner = a * b;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      out.set(data.subarray((i * kw + j) * inner, (i * kw + j + 1) * inner), (i * d * w + j * d) * inner);
    }
  }
  return { data: out, shape: [h, w, a, b] };
}

/**
 * The sub-pixel filter of a transposed convolution with stride s and kernel W [k, k, out, in]
 * (gancc's HWOI): F[t'h, t'w, in, (rh*s + rw)*out + c] = W[rh + s*(kt-1-t'h), rw + s*(kt-1-t'w), c, in],
 * kt = ceil(k/s), zero where the tap falls outside the kernel. One stride-1 conv2d of the input
 * with F computes all s*s output phases; depthToSpace interleaves them.
 */
export function subPixelFilter(w, k, out, inC, s) {
  const kt = Math.ceil(k / s);
  const oc = s * s * out;
  const f = new Float32Array(kt * kt * inC * oc);
  for (let th = 0; th < kt; th++) {
    for (let tw = 0; tw < kt; tw++) {
      for (let rh = 0; rh < s; rh++) {
        const a = rh + s * (kt - 1 - th);
        if (a >= k) continue;
        for (let rw = 0; rw < s; rw++) {
          const b = rw + s * (kt - 1 - tw);
          if (b >= k) continue;
          const src0 = (a * k + b) * out * inC;
          const dst0 = (th * kt + tw) * inC * oc + (rh * s + rw) * out;
          for (let c = 0; c < out; c++) {
            for (let i = 0; i < inC; i++) f[dst0 + i * oc + c] = w[src0 + c * inC + i];
          }
        }
      }
    }
  }
  return { data: f, shape: [kt, kt, inC, oc] };
}

/**
 * The [n*s, n] matrix that upsamples a length-n axis by s: nearest (source floor(o/s)) or
 * bilinear with half-pixel centres (PyTorch align_corners=False), as in gancc's runtime.
 */
export function interpolationMatrix(n, s, bilinear) {
  const m = new Float32Array(n * s * n);
  for (let o = 0; o < n * s; o++) {
    if (!bilinear) {
      m[o * n + Math.floor(o / s)] = 1;
      continue;
    }
    const src = Math.min(Math.max((o + 0.5) / s - 0.5, 0), n - 1);
    const i0 = Math.floor(src);
    const i1 = Math.min(i0 + 1, n - 1);
    const f = src - i0;
    m[o * n + i0] += 1 - f;
    m[o * n + i1] += f;
  }
  return m;
}

/** A node's parameters as tensors, in the form its op runs them (see the module comment). */
export function prepareParams(node, host) {
  const get = (i) => {
    const v = host.get(node.params[i]);
    if (!v) throw new Error("gancc: the weights lack " + node.params[i]);
    return v;
  };
  const t = (v) => tf.tensor(v.data, v.shape, "float32");
  const a = node.attrs;
  if (node.op === "conv") {
    const k = get(0);
    const d = dilateKernel(k.data, k.shape, a.dilation);
    return node.params.length > 1 ? [t(d), t(get(1))] : [t(d)];
  }
  if (node.op === "conv_transpose") {
    const k = get(0);
    const d = dilateKernel(k.data, k.shape, a.dilation);
    const [kk, , out, inC] = d.shape;
    const f = subPixelFilter(d.data, kk, out, inC, a.stride);
    return node.params.length > 1 ? [t(f), t(get(1))] : [t(f)];
  }
  if (node.op === "batch_norm") {
    // evaluation mode: y = x * scale + shift with the running statistics
    const ps = node.params.map((_, i) => get(i).data);
    const [gamma, beta, mean, variance] = a.affine === true ? ps : [null, null, ps[0], ps[1]];
    const c = mean.length;
    const scale = new Float32Array(c);
    const shift = new Float32Array(c);
    for (let i = 0; i < c; i++) {
      const r = 1 / Math.sqrt(variance[i] + a.eps);
      scale[i] = (gamma ? gamma[i] : 1) * r;
      shift[i] = (beta ? beta[i] : 0) - mean[i] * scale[i];
    }
    return [tf.tensor1d(scale), tf.tensor1d(shift)];
  }
  return node.params.map((_, i) => t(get(i)));
}

// ------------------------------------------------------------------------------------------
// ops (evaluation mode), NHWC

function reflectPad(x, p) {
  return p === 0 ? x : tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], "reflect");
}

function replicatePad(x, p) {
  if (p === 0) return x;
  const edge = (t, axis, index) => {
    const begin = [0, 0, 0, 0];
    const size = t.shape.slice();
    begin[axis] = index;
    size[axis] = 1;
    const target = t.shape.slice();
    target[axis] = p;
    return tf.broadcastTo(tf.slice(t, begin, size), target);
  };
  const h = tf.concat([edge(x, 1, 0), x, edge(x, 1, x.shape[1] - 1)], 1);
  return tf.concat([edge(h, 2, 0), h, edge(h, 2, h.shape[2] - 1)], 2);
}

/** Zero-pads (positive) or crops (negative) the spatial sides [top, bottom, left, right]. */
function padOrCrop(x, top, bottom, left, right) {
  const [n, h, w, c] = x.shape;
  const ct = Math.max(0, -top), cb = Math.max(0, -bottom), cl = Math.max(0, -left), cr = Math.max(0, -right);
  let y = x;
  if (ct + cb + cl + cr > 0) y = tf.slice(y, [0, ct, cl, 0], [n, h - ct - cb, w - cl - cr, c]);
  const pt = Math.max(0, top), pb = Math.max(0, bottom), pl = Math.max(0, left), pr = Math.max(0, right);
  if (pt + pb + pl + pr > 0) y = tf.pad(y, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
  return y;
}

/** PyTorch ConvTranspose2d through the sub-pixel filter (see prepareParams): out = (H-1)s - 2p + k + op. */
function convTranspose(x, filter, k, s, p, op) {
  const [n, H, W] = x.shape;
  const kt = filter.shape[0];
  const c = filter.shape[3] / (s * s);
  const outH = (H - 1) * s - 2 * p + k + op;
  const outW = (W - 1) * s - 2 * p + k + op;
  const axis = (size, outSize) => {
    const mMin = Math.floor(p / s);
    const m = Math.floor((outSize - 1 + p) / s) - mMin + 1;
    const before = kt - 1 - mMin;
    return { m, mMin, before, after: m + kt - 1 - before - size };
  };
  const ah = axis(H, outH);
  const aw = axis(W, outW);
  const xp = padOrCrop(x, ah.before, ah.after, aw.before, aw.after);
  const y = tf.conv2d(xp, filter, 1, "valid");
  if (s === 1) return y;
  const full = tf.depthToSpace(y, s, "NHWC");
  return tf.slice(full, [0, p - ah.mMin * s, p - aw.mMin * s, 0], [n, outH, outW, c]);
}

function resample(x, a, b) {
  const [n, h, w, c] = x.shape;
  const ho = a.length / h;
  const wo = b.length / w;
  const At = tf.transpose(tf.tensor2d(a, [ho, h]));
  const Bt = tf.transpose(tf.tensor2d(b, [wo, w]));
  const xh = tf.reshape(tf.transpose(x, [0, 2, 3, 1]), [n * w * c, h]);
  const yh = tf.reshape(tf.matMul(xh, At), [n, w, c, ho]);
  const xw = tf.reshape(tf.transpose(yh, [0, 3, 2, 1]), [n * ho * c, w]);
  return tf.transpose(tf.reshape(tf.matMul(xw, Bt), [n, ho, c, wo]), [0, 1, 3, 2]);
}

function pool(kind) {
  return ([x], a) => {
    const k = a.kernel;
    const s = a.stride || k;
    const p = a.pad;
    let t = x;
    // PyTorch: zero padding counts in the average; max pool pads with -Infinity
    if (p > 0) t = tf.pad(t, [[0, 0], [p, p], [p, p], [0, 0]], kind === "max" ? -Infinity : 0);
    return kind === "avg" ? tf.avgPool(t, k, s, "valid") : tf.maxPool(t, k, s, "valid");
  };
}

/** op name -> (inputs, attrs, prepared params, fused activation) -> tensor. */
export const OPS = {
  input: ([x]) => x,
  conv([x], a, [filter, bias], fuse) {
    let t = x;
    let pad = a.pad > 0 ? a.pad : "valid";
    if (a.pad > 0 && a.pad_mode === "reflect") [t, pad] = [reflectPad(x, a.pad), "valid"];
    else if (a.pad > 0 && a.pad_mode === "replicate") [t, pad] = [replicatePad(x, a.pad), "valid"];
    return tf.fused.conv2d({ x: t, filter, strides: [a.stride, a.stride], pad, bias, activation: fuse || "linear" });
  },
  conv_transpose([x], a, [filter, bias], fuse) {
    const k = (a.kernel - 1) * a.dilation + 1;
    let y = convTranspose(x, filter, k, a.stride, a.pad, a.output_pad);
    if (bias) y = tf.add(y, bias);
    return fuse === "relu" ? tf.relu(y) : y;
  },
  reflect_pad: ([x], a) => reflectPad(x, a.pad),
  replicate_pad: ([x], a) => replicatePad(x, a.pad),
  zero_pad: ([x], a) => tf.pad(x, [[0, 0], [a.pad, a.pad], [a.pad, a.pad], [0, 0]]),
  instance_norm([x], a, [gamma, beta]) {
    const mean = tf.mean(x, [1, 2], true);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), [1, 2], true);
    let y = tf.mul(centered, tf.rsqrt(tf.add(variance, a.eps)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    return y;
  },
  batch_norm: ([x], _a, [scale, shift]) => tf.add(tf.mul(x, scale), shift),
  relu: ([x]) => tf.relu(x),
  leaky_relu: ([x], a) => tf.leakyRelu(x, a.slope),
  tanh: ([x]) => tf.tanh(x),
  sigmoid: ([x]) => tf.sigmoid(x),
  dropout: ([x]) => x,
  upsample([x], a) {
    const bilinear = a.mode === "bilinear";
    return resample(x, interpolationMatrix(x.shape[1], a.scale, bilinear), interpolationMatrix(x.shape[2], a.scale, bilinear));
  },
  avg_pool: pool("avg"),
  max_pool: pool("max"),
  global_avg_pool: ([x]) => tf.mean(x, [1, 2], true),
  flatten: ([x]) => tf.reshape(x, [x.shape[0], -1]),
  linear([x], _a, [kernel, bias]) {
    const y = tf.matMul(x, kernel);
    return bias ? tf.add(y, bias) : y;
  },
  concat: (xs) => tf.concat(xs, 3),
  add: (xs) => (xs.length === 2 ? tf.add(xs[0], xs[1]) : tf.addN(xs)),
};

const FUSIBLE = new Set(["conv", "conv_transpose"]);

/** The steps of a forward pass: relu folded into the conv before it, and each value's last use. */
export function plan(nodes) {
  const consumers = new Map();
  nodes.forEach((n, i) => n.inputs.forEach((id) => consumers.set(id, (consumers.get(id) || []).concat([i]))));
  const steps = [];
  const skip = new Set();
  const alias = new Map();
  nodes.forEach((node, i) => {
    if (skip.has(i)) return;
    if (!OPS[node.op]) throw new Error("gancc: this runtime has no op " + node.op + " (node " + node.id + ")");
    let outId = node.id;
    let fuse;
    const cons = consumers.get(node.id) || [];
    if (FUSIBLE.has(node.op) && cons.length === 1 && nodes[cons[0]].op === "relu") {
      fuse = "relu";
      outId = nodes[cons[0]].id;
      skip.add(cons[0]);
      alias.set(node.id, outId);
    }
    steps.push({ node, outId, fuse, release: [] });
  });
  const last = new Map();
  steps.forEach((s, i) => s.node.inputs.forEach((id) => last.set(alias.get(id) || id, i)));
  const outId = steps[steps.length - 1].outId;
  for (const [id, i] of last) if (id !== outId) steps[i].release.push(id);
  return steps;
}

/** Runs the net on x (NHWC float32 in [-1, 1]); the caller keeps x and owns the result. */
export function forward(steps, params, x) {
  const values = new Map();
  const holders = new Map();
  const hold = (id, t) => {
    values.set(id, t);
    holders.set(t, (holders.get(t) || 0) + 1);
  };
  hold(steps[0].node.id, x);
  holders.set(x, Infinity);
  let out;
  for (const s of steps) {
    if (s.node.op === "input") continue;
    const y = tf.tidy(() => OPS[s.node.op](s.node.inputs.map((id) => values.get(id)), s.node.attrs, params.get(s.node.id) || [], s.fuse));
    hold(s.outId, y);
    out = y;
    for (const id of s.release) {
      const t = values.get(id);
      values.delete(id);
      const n = holders.get(t) - 1;
      holders.set(t, n);
      if (n === 0) t.dispose();
    }
  }
  return out === undefined ? x.clone() : out === x ? x.clone() : out;
}

// ------------------------------------------------------------------------------------------
// backends: webgpu -> webgl -> wasm -> cpu in a browser; tensorflow (tfjs-node) -> wasm -> cpu in Node

export const BROWSER_ORDER = ["webgpu", "webgl", "wasm", "cpu"];
export const NODE_ORDER = ["tensorflow", "wasm", "cpu"];

async function wasmPrefix(vendor) {
  if (!IS_NODE) return vendor;
  const { createRequire } = await import("node:module");
  const main = createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm");
  return main.slice(0, main.lastIndexOf("/dist/") + 6);
}

/** Makes the named backend the active backend; resolves to undefined, or to why it cannot be used. */
async function tryBackend(name, vendor) {
  try {
    if (name === "webgpu") {
      if (typeof navigator === "undefined" || !navigator.gpu) return "this runtime has no WebGPU (navigator.gpu)";
      const adapter = await navigator.gpu.requestAdapter();
      if (!adapter) return "no WebGPU adapter";
      await import("@tensorflow/tfjs-backend-webgpu");
    } else if (name === "webgl") {
      if (IS_NODE) return "no WebGL in Node";
    } else if (name === "wasm") {
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      if (!tf.engine().registry.wasm) wasm.setWasmPaths(await wasmPrefix(vendor));
    } else if (name === "tensorflow") {
      if (!IS_NODE) return "tfjs-node runs only in Node";
      await import("@tensorflow/tfjs-node");
    } else if (name !== "cpu") {
      return "unknown backend " + name + " (known: webgpu, webgl, wasm, cpu, tensorflow)";
    }
    if (!(await tf.setBackend(name))) return "tf.setBackend('" + name + "') failed";
    await tf.ready();
    return undefined;
  } catch (e) {
    return String((e && e.message) || e).split("\n")[0];
  }
}

/** Selects a backend: the one asked for (an error if it cannot run), else the first that works. */
export async function selectBackend(asked, vendor) {
  if (asked) {
    const why = await tryBackend(asked, vendor);
    if (why) throw new Error("gancc: the " + asked + " backend cannot run here: " + why);
    return { name: asked, tried: [] };
  }
  const tried = [];
  for (const name of IS_NODE ? NODE_ORDER : BROWSER_ORDER) {
    const why = await tryBackend(name, vendor);
    if (!why) return { name, tried };
    tried.push(name + ": " + why);
  }
  throw new Error("gancc: no tfjs backend could start (" + tried.join("; ") + ")");
}

// ------------------------------------------------------------------------------------------
// files: fetch in a browser, the file system for file: URLs in Node

export async function fetchBytes(url) {
  if (IS_NODE && url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    return new Uint8Array(await readFile(url));
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error("gancc: cannot fetch " + url.href + ": HTTP " + r.status);
  return new Uint8Array(await r.arrayBuffer());
}

// ------------------------------------------------------------------------------------------
// images: 8-bit pixels <-> [1, H, W, C] tensors in [-1, 1], as gancc translate converts them

/**
 * Interleaved 8-bit pixels (1, 3 or 4 channels) to a [1, H, W, channels] tensor in [-1, 1]:
 * alpha composited onto white for 1 and 3 channels, gray as BT.601 luma (0.299 R + 0.587 G +
 * 0.114 B), gray replicated to RGB.
 */
export function pixelsToTensor(data, width, height, srcChannels, channels) {
  const n = width * height;
  if (data.length !== n * srcChannels) throw new Error("gancc: " + data.length + " pixel values do not make a " + width + "x" + height + " image with " + srcChannels + " channels");
  const out = new Float32Array(n * channels);
  for (let i = 0; i < n; i++) {
    const s = i * srcChannels;
    let r, g, b, a;
    if (srcChannels === 1) [r, g, b, a] = [data[s], data[s], data[s], 255];
    else [r, g, b, a] = [data[s], data[s + 1], data[s + 2], srcChannels === 4 ? data[s + 3] : 255];
    if (channels === 4) {
      out.set([r / 127.5 - 1, g / 127.5 - 1, b / 127.5 - 1, a / 127.5 - 1], i * 4);
      continue;
    }
    if (a !== 255) {
      const f = a / 255;
      [r, g, b] = [Math.round(r * f + 255 * (1 - f)), Math.round(g * f + 255 * (1 - f)), Math.round(b * f + 255 * (1 - f))];
    }
    if (channels === 1) out[i] = (0.299 * r + 0.587 * g + 0.114 * b) / 127.5 - 1;
    else out.set([r / 127.5 - 1, g / 127.5 - 1, b / 127.5 - 1], i * 3);
  }
  return tf.tensor4d(out, [1, height, width, channels]);
}

/** A [1, H, W, C] tensor in [-1, 1] as RGBA bytes (clamped, round((v + 1) * 127.5), gray replicated). */
export async function tensorToRgba(y) {
  const [, h, w, c] = y.shape;
  const v = await y.data();
  const px = new Uint8ClampedArray(h * w * 4);
  const byte = (x) => Math.round((Math.min(1, Math.max(-1, x)) + 1) * 127.5);
  for (let i = 0; i < h * w; i++) {
    const s = i * c;
    const [r, g, b] = c >= 3 ? [byte(v[s]), byte(v[s + 1]), byte(v[s + 2])] : [byte(v[s]), byte(v[s]), byte(v[s])];
    px[i * 4] = r;
    px[i * 4 + 1] = g;
    px[i * 4 + 2] = b;
    px[i * 4 + 3] = c === 4 ? byte(v[s + 3]) : 255;
  }
  return px;
}

/** Browser image sources drawn onto a size x size canvas (the browser's resampling) as RGBA. */
function drawnPixels(src, size) {
  const canvas = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(size, size) : Object.assign(document.createElement("canvas"), { width: size, height: size });
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingQuality = "high";
  if (typeof ImageData !== "undefined" && src instanceof ImageData) {
    if (src.width === size && src.height === size) return src.data;
    const tmp = typeof OffscreenCanvas !== "undefined" ? new OffscreenCanvas(src.width, src.height) : Object.assign(document.createElement("canvas"), { width: src.width, height: src.height });
    tmp.getContext("2d").putImageData(src, 0, 0);
    src = tmp;
  }
  ctx.drawImage(src, 0, 0, size, size);
  return ctx.getImageData(0, 0, size, size).data;
}

// ------------------------------------------------------------------------------------------
// the model

/**
 * Loads the exported net: model.json and weights.bin from base (a URL of the export folder),
 * a backend (opts.backend, else the first that works), the weights onto it.
 */
export async function loadModel(base, info, opts) {
  opts = opts || {};
  const root = new URL(base);
  const backend = await selectBackend(opts.backend, new URL("vendor/", root).href);
  const manifest = JSON.parse(new TextDecoder().decode(await fetchBytes(new URL("model.json", root))));
  const host = decodeWeights(manifest, await fetchBytes(new URL(manifest.weightsFile, root)));
  const steps = plan(manifest.nodes);
  const params = new Map();
  for (const s of steps) if (s.node.params.length) params.set(s.node.id, prepareParams(s.node, host));
  const accepts = (size) => size >= info.sizes.min && (size - info.sizes.min) % info.sizes.step === 0 && (!info.sizes.irregular || info.sizes.irregular.includes(size));
  const checkSize = (h, w) => {
    if (h !== w || !accepts(h)) throw new Error("gancc: " + info.net + " takes square images whose size is " + info.sizes.text + "; got " + w + "x" + h);
  };
  const run = (x) => {
    if (x.rank !== 4 || x.shape[3] !== info.inputChannels) throw new Error("gancc: " + info.net + " takes [N, H, W, " + info.inputChannels + "] tensors (NHWC, values in [-1, 1]); got [" + x.shape.join(", ") + "]");
    checkSize(x.shape[1], x.shape[2]);
    return forward(steps, params, x);
  };
  const toTensor = (input, size) => {
    if (input && typeof input === "object" && "data" in input && "width" in input && !(typeof ImageData !== "undefined" && input instanceof ImageData)) {
      const ch = input.channels || input.data.length / (input.width * input.height);
      if (![1, 3, 4].includes(ch)) throw new Error("gancc: raw images have 1, 3 or 4 channels; got " + ch);
      if (input.width !== size || input.height !== size) {
        if (IS_NODE) throw new Error("gancc: the image is " + input.width + "x" + input.height + "; resize it to " + size + "x" + size + " first (Node has no canvas to resize with)");
        return pixelsToTensor(drawnPixels(new ImageData(new Uint8ClampedArray(toRgba(input.data, ch)), input.width, input.height), size), size, size, 4, info.inputChannels);
      }
      return pixelsToTensor(input.data, size, size, ch, info.inputChannels);
    }
    if (IS_NODE) throw new Error("gancc: in Node, translate takes { data, width, height, channels } pixels or a tensor");
    return pixelsToTensor(drawnPixels(input, size), size, size, 4, info.inputChannels);
  };
  return {
    backend: backend.name,
    backendsTried: backend.tried,
    net: info.net,
    inputSize: info.inputSize,
    inputChannels: info.inputChannels,
    outputChannels: info.outputChannels,
    sizes: info.sizes,
    accepts,
    run,
    async translate(input, o) {
      const size = (o && o.size) || info.inputSize;
      checkSize(size, size);
      if (input instanceof tf.Tensor) return run(input);
      const x = toTensor(input, size);
      const t0 = performance.now();
      const y = run(x);
      let pixels;
      try {
        pixels = await tensorToRgba(y);
      } finally {
        tf.dispose([x, y]);
      }
      const ms = performance.now() - t0;
      const [width, height] = [size, size];
      return {
        width, height, pixels, ms,
        toImageData: () => new ImageData(pixels, width, height),
      };
    },
    dispose() {
      for (const ps of params.values()) tf.dispose(ps);
      params.clear();
    },
  };
}

function toRgba(data, ch) {
  if (ch === 4) return data;
  const n = data.length / ch;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = data[i * ch + (ch === 1 ? 0 : c)];
    out[i * 4 + 3] = 255;
  }
  return out;
}
`;
