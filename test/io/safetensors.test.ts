import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  SafetensorsError,
  decodeSafetensors,
  encodeSafetensors,
  readSafetensorsFile,
  readSafetensorsFileSync,
  tensorAsFloat32,
  writeSafetensorsFile,
  writeSafetensorsFileSync,
  type SafeTensor,
} from "../../src/io/safetensors.js";

const FIXTURES = fileURLToPath(new URL("../parity/fixtures", import.meta.url));

/** Build a file by hand from a header object and a data section (for corrupt-file tests). */
function rawFile(header: unknown, data: Uint8Array | number, opts: { headerLen?: bigint } = {}): Uint8Array {
  const h = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const d = typeof data === "number" ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + d.length);
  new DataView(out.buffer).setBigUint64(0, opts.headerLen ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(d, 8 + h.length);
  return out;
}

function expectError(fn: () => unknown, ...fragments: (string | RegExp)[]): SafetensorsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SafetensorsError);
  const err = caught as SafetensorsError;
  for (const f of fragments) {
    if (typeof f === "string") expect(err.message).toContain(f);
    else expect(err.message).toMatch(f);
  }
  return err;
}

const sample = (): Record<string, SafeTensor> => ({
  "net/conv/kernel": { dtype: "F32", shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-30, -7]) },
  f64: { dtype: "F64", shape: [3], data: new Float64Array([Math.PI, -0.1, 1e300]) },
  i32: { dtype: "I32", shape: [2, 2], data: new Int32Array([-1, 0, 2147483647, -2147483648]) },
  step: { dtype: "I64", shape: [], data: new BigInt64Array([123456789012345n]) },
  mask: { dtype: "U8", shape: [5], data: new Uint8Array([0, 1, 2, 254, 255]) },
  empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
});

describe("safetensors round trip", () => {
  it("encodes and decodes every dtype, scalars, empty tensors and metadata", () => {
    const tensors = sample();
    const bytes = encodeSafetensors(tensors, { format: "gancc", epoch: "3" });
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ format: "gancc", epoch: "3" });
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const b = back.tensors[name]!;
      expect(b.dtype).toBe(t.dtype);
      expect(b.shape).toEqual(t.shape);
      expect(b.data.constructor).toBe(t.data.constructor);
      expect(Array.from(b.data as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as ArrayLike<number | bigint>));
    }
  });

  it("pads the header with spaces to 8 bytes and aligns every tensor", () => {
    const bytes = encodeSafetensors(sample(), { a: "b" });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text.trimEnd().endsWith("}")).toBe(true);
    expect(/ *$/.exec(text)![0].length).toBeLessThan(8);
    const header = JSON.parse(text) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    const size: Record<string, number> = { F32: 4, F64: 8, I32: 4, I64: 8, U8: 1 };
    for (const [k, e] of Object.entries(header)) {
      if (k === "__metadata__") continue;
      expect(e.data_offsets[0] % size[e.dtype]!).toBe(0);
    }
  });

  it("is deterministic and omits empty metadata", () => {
    const a = encodeSafetensors(sample());
    const b = encodeSafetensors(sample());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(new TextDecoder().decode(a).includes("__metadata__")).toBe(false);
    expect(decodeSafetensors(a).metadata).toEqual({});
  });

  it("decodes from a Node Buffer view at a non-zero offset", () => {
    const bytes = encodeSafetensors({ x: { dtype: "F32", shape: [3], data: new Float32Array([1, 2, 3]) } });
    const big = Buffer.alloc(bytes.length + 13);
    big.set(bytes, 13);
    const view = big.subarray(13);
    expect(Array.from(decodeSafetensors(view).tensors["x"]!.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it("encodes subarray views by their own bytes only", () => {
    const whole = new Float32Array([9, 1, 2, 9]);
    const bytes = encodeSafetensors({ x: { dtype: "F32", shape: [2], data: whole.subarray(1, 3) } });
    expect(Array.from(decodeSafetensors(bytes).tensors["x"]!.data as Float32Array)).toEqual([1, 2]);
  });

  it("rejects bad input when encoding", () => {
    expectError(
      () => encodeSafetensors({ x: { dtype: "F32", shape: [2, 2], data: new Float32Array(3) } }),
      'tensor "x"',
      "[2,2] (4 elements) but 3 values",
    );
    expectError(
      () => encodeSafetensors({ x: { dtype: "F32", shape: [2], data: new Float64Array(2) } }),
      "needs a Float32Array, got Float64Array",
    );
    expectError(() => encodeSafetensors({ __metadata__: { dtype: "U8", shape: [1], data: new Uint8Array(1) } }), "reserved");
    expectError(
      () => encodeSafetensors({ x: { dtype: "F16" as "F32", shape: [1], data: new Float32Array(1) } }),
      "unsupported dtype F16",
    );
    expectError(
      () => encodeSafetensors({ x: { dtype: "F32", shape: [-1], data: new Float32Array(1) } }),
      "invalid shape",
    );
  });
});

describe("files written by the python side", () => {
  it("decodes dtypes.safetensors (unpadded header, unaligned offsets) to the right values", () => {
    const path = join(FIXTURES, "dtypes.safetensors");
    const { tensors, metadata } = readSafetensorsFileSync(path);
    expect(metadata["writer"]).toContain("python");
    expect(tensors["u8"]).toEqual({ dtype: "U8", shape: [5], data: new Uint8Array([0, 50, 100, 150, 200]) });
    expect(tensors["f32"]!.shape).toEqual([2, 3]);
    expect(Array.from(tensors["f32"]!.data as Float32Array)).toEqual([1.5, -2.25, 3, 0, Math.fround(1e-7), -65504]);
    expect(tensors["f64"]!.dtype).toBe("F64");
    expect(Array.from(tensors["f64"]!.data as Float64Array)).toEqual([Math.PI, -1 / 3]);
    expect(Array.from(tensors["i32"]!.data as Int32Array)).toEqual([-2147483648, -1, 0, 7, 2147483647]);
    expect(tensors["i64"]!.shape).toEqual([2, 2]);
    expect(Array.from(tensors["i64"]!.data as BigInt64Array)).toEqual([-(2n ** 62n), 2n ** 53n + 1n, -1n, 42n]);
    expect(tensors["scalar"]).toEqual({ dtype: "F32", shape: [], data: new Float32Array([2.5]) });
    expect(tensors["empty"]).toEqual({ dtype: "F32", shape: [0, 3], data: new Float32Array(0) });
    // the header really is unpadded and u8 comes first, so f32 starts at an odd offset
    const raw = readFileSync(path);
    const n = Number(raw.readBigUInt64LE(0));
    const header = JSON.parse(raw.subarray(8, 8 + n).toString("utf8")) as Record<string, { data_offsets: number[] }>;
    expect(header["f32"]!.data_offsets[0]).toBe(5);
  });

  it("decodes the parity fixtures with torch's metadata", async () => {
    const ops = await readSafetensorsFile(join(FIXTURES, "ops.safetensors"));
    expect(ops.metadata["torch_version"]).toMatch(/^\d+\.\d+/);
    expect(ops.metadata["layout"]).toContain("NCHW");
    expect(ops.tensors["conv_transpose.weight"]!.shape).toEqual([4, 3, 3, 3]);
    expect(ops.tensors["conv_transpose.out"]!.shape).toEqual([1, 3, 10, 12]);
    expect(ops.tensors["reflect_pad.out"]!.shape).toEqual([1, 2, 9, 10]);
    const x = tensorAsFloat32(ops, "reflect_pad.x");
    const y = tensorAsFloat32(ops, "reflect_pad.out");
    // ReflectionPad2d(2): out[c][2][2 + j] == x[c][0][j]; out[c][0][2 + j] == x[c][2][j]
    for (let j = 0; j < 6; j++) {
      expect(y[2 * 10 + 2 + j]).toBe(x[j]);
      expect(y[0 * 10 + 2 + j]).toBe(x[2 * 6 + j]);
    }
    const common = await readSafetensorsFile(join(FIXTURES, "cyclegan_common.safetensors"));
    expect(common.tensors["real_A"]!.shape).toEqual([1, 3, 32, 32]);
    const real = tensorAsFloat32(common, "real_A");
    expect(Math.max(...real)).toBeLessThanOrEqual(1);
    expect(Math.min(...real)).toBeGreaterThanOrEqual(-1);
  });
});

describe("corrupt files give a SafetensorsError naming the file", () => {
  const good = encodeSafetensors(
    { a: { dtype: "F32", shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, b: { dtype: "U8", shape: [3], data: new Uint8Array(3) } },
    { k: "v" },
  );

  it("truncated data", () => {
    expectError(() => decodeSafetensors(good.subarray(0, good.length - 1), "ckpt.safetensors"), "ckpt.safetensors:", "truncated");
  });

  it("truncated inside the header, and too short for the length", () => {
    expectError(() => decodeSafetensors(good.subarray(0, 20), "x.st"), "x.st:", "runs past the end");
    expectError(() => decodeSafetensors(good.subarray(0, 5), "x.st"), "5 bytes, too short");
    expectError(() => decodeSafetensors(new Uint8Array(0)), "<buffer>:", "0 bytes");
  });

  it("absurd header length", () => {
    const bad = good.slice();
    new DataView(bad.buffer).setBigUint64(0, 0xffff_ffff_ffffn, true);
    expectError(() => decodeSafetensors(bad, "f"), "header length", "limit");
  });

  it("header that is not JSON, not an object, or not UTF-8", () => {
    expectError(() => decodeSafetensors(rawFile("{not json", 0), "f"), "not valid JSON");
    expectError(() => decodeSafetensors(rawFile("[1,2]  ", 0), "f"), "does not start with '{'");
    const bin = rawFile("{}", 0);
    bin[9] = 0xff;
    expectError(() => decodeSafetensors(bin, "f"), /UTF-8|start with/);
    expectError(() => decodeSafetensors(rawFile("null", 0), "f"), /start with|not a JSON object/);
  });

  it("wrong byte length for dtype x shape", () => {
    const f = rawFile({ a: { dtype: "F32", shape: [2, 3], data_offsets: [0, 20] } }, 20);
    expectError(() => decodeSafetensors(f, "f"), 'tensor "a"', "F32 [2,3] needs 24 bytes", "span 20");
  });

  it("offsets out of bounds, reversed, overlapping, gaps, trailing bytes", () => {
    expectError(
      () => decodeSafetensors(rawFile({ a: { dtype: "U8", shape: [8], data_offsets: [0, 8] } }, 4), "f"),
      "run past the end of the 4-byte data section",
    );
    expectError(
      () => decodeSafetensors(rawFile({ a: { dtype: "U8", shape: [0], data_offsets: [4, 0] } }, 4), "f"),
      "end before they begin",
    );
    expectError(
      () =>
        decodeSafetensors(
          rawFile(
            { a: { dtype: "U8", shape: [4], data_offsets: [0, 4] }, b: { dtype: "U8", shape: [4], data_offsets: [2, 6] } },
            6,
          ),
          "f",
        ),
      "overlaps",
    );
    expectError(
      () => decodeSafetensors(rawFile({ a: { dtype: "U8", shape: [2], data_offsets: [2, 4] } }, 4), "f"),
      "gap",
    );
    expectError(
      () => decodeSafetensors(rawFile({ a: { dtype: "U8", shape: [2], data_offsets: [0, 2] } }, 5), "f"),
      "3 trailing bytes",
    );
  });

  it("bad fields", () => {
    const d = 4;
    expectError(() => decodeSafetensors(rawFile({ a: { dtype: "Q7", shape: [1], data_offsets: [0, 4] } }, d)), 'unknown dtype "Q7"');
    expectError(
      () => decodeSafetensors(rawFile({ a: { dtype: "F16", shape: [2], data_offsets: [0, 4] } }, d)),
      "F16 is not supported",
    );
    expectError(() => decodeSafetensors(rawFile({ a: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } }, d)), "shape");
    expectError(() => decodeSafetensors(rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [0] } }, d)), "data_offsets");
    expectError(() => decodeSafetensors(rawFile({ a: { dtype: "F32", shape: [1] } }, d)), "data_offsets");
    expectError(() => decodeSafetensors(rawFile({ a: 3 }, d)), "entry is not an object");
    expectError(
      () => decodeSafetensors(rawFile({ __metadata__: { n: 1 }, a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, d)),
      'metadata "n" is not a string',
    );
  });

  it("reading a corrupt or missing file names its path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gancc-st-"));
    try {
      const p = join(dir, "broken.safetensors");
      writeFileSync(p, good.subarray(0, good.length - 3));
      await expect(readSafetensorsFile(p)).rejects.toThrow(SafetensorsError);
      await expect(readSafetensorsFile(p)).rejects.toThrow(`${p}:`);
      expectError(() => readSafetensorsFileSync(p), p, "truncated");
      const missing = join(dir, "nope.safetensors");
      await expect(readSafetensorsFile(missing)).rejects.toThrow(/nope\.safetensors: cannot read the file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("writing files", () => {
  it("writes atomically (no temp file left) and overwrites", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gancc-st-"));
    try {
      const p = join(dir, "w.safetensors");
      await writeSafetensorsFile(p, { x: { dtype: "F32", shape: [1], data: new Float32Array([1]) } }, { v: "1" });
      await writeSafetensorsFile(p, { x: { dtype: "F32", shape: [2], data: new Float32Array([4, 5]) } }, { v: "2" });
      expect(readdirSync(dir)).toEqual(["w.safetensors"]);
      const back = await readSafetensorsFile(p);
      expect(back.metadata).toEqual({ v: "2" });
      expect(Array.from(back.tensors["x"]!.data as Float32Array)).toEqual([4, 5]);

      const q = join(dir, "s.safetensors");
      writeSafetensorsFileSync(q, sample());
      expect(readdirSync(dir).sort()).toEqual(["s.safetensors", "w.safetensors"]);
      expect(readSafetensorsFileSync(q).tensors["step"]!.data).toEqual(new BigInt64Array([123456789012345n]));

      // a bad tensor fails before anything is written
      await expect(
        writeSafetensorsFile(join(dir, "bad.safetensors"), { x: { dtype: "F32", shape: [3], data: new Float32Array(1) } }),
      ).rejects.toThrow(SafetensorsError);
      // an unwritable destination fails with the path and leaves no temp file
      await expect(
        writeSafetensorsFile(join(dir, "no-such-dir", "z.safetensors"), sample()),
      ).rejects.toThrow(/z\.safetensors: cannot write the file/);
      expect(readdirSync(dir).sort()).toEqual(["s.safetensors", "w.safetensors"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
