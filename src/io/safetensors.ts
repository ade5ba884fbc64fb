// A small reader/writer for the safetensors format (https://huggingface.co/docs/safetensors).
//
// Layout of a file:
//   bytes 0..8      N, the header length, unsigned 64-bit little-endian
//   bytes 8..8+N    a UTF-8 JSON object:
//                     { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] },
//                       "__metadata__": { "<key>": "<string value>" } }   (metadata optional)
//   bytes 8+N..     the data section: each tensor's raw little-endian bytes, row-major;
//                   data_offsets are relative to the start of the data section.
//
// We write the header padded with spaces so that the data section starts on an 8-byte
// boundary, and lay tensors out largest element size first so each one is naturally aligned.
// We read any valid file (padded or not) and reject anything inconsistent with a
// SafetensorsError that names the file and what is wrong.
import { promises as fsp, readFileSync } from "node:fs";
import { writeFileAtomic, writeFileAtomicAsync } from "./atomic.js";

export type SafetensorsDType = "F32" | "F64" | "I32" | "I64" | "U8";

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface SafeTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsContents {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  /** the file (or "<buffer>") the problem was found in */
  readonly source: string;
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = "SafetensorsError";
    this.source = source;
  }
}

const METADATA_KEY = "__metadata__";
/** Same limit as the reference implementation: a header above 100 MB is treated as corrupt. */
const MAX_HEADER_BYTES = 100_000_000;

const DTYPE_INFO: Record<
  SafetensorsDType,
  { size: number; ctor: string; is: (x: unknown) => boolean; make: (buf: ArrayBuffer) => TensorData }
> = {
  F32: { size: 4, ctor: "Float32Array", is: (x) => x instanceof Float32Array, make: (b) => new Float32Array(b) },
  F64: { size: 8, ctor: "Float64Array", is: (x) => x instanceof Float64Array, make: (b) => new Float64Array(b) },
  I32: { size: 4, ctor: "Int32Array", is: (x) => x instanceof Int32Array, make: (b) => new Int32Array(b) },
  I64: { size: 8, ctor: "BigInt64Array", is: (x) => x instanceof BigInt64Array, make: (b) => new BigInt64Array(b) },
  U8: { size: 1, ctor: "Uint8Array", is: (x) => x instanceof Uint8Array, make: (b) => new Uint8Array(b) },
};

/** Dtypes that are valid safetensors but that this reader does not convert. */
const KNOWN_UNSUPPORTED = new Set(["BOOL", "I8", "I16", "U16", "U32", "U64", "F16", "BF16", "F8_E4M3", "F8_E5M2"]);

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isDType(x: unknown): x is SafetensorsDType {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(DTYPE_INFO, x);
}

/** Number of elements of a shape; [] is a scalar with one element. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** Reverse the byte order of each element in place (only used on big-endian hosts). */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

export function encodeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const src = "<encode>";
  const names = Object.keys(tensors);
  for (const name of names) {
    if (name === METADATA_KEY) throw new SafetensorsError(src, `"${METADATA_KEY}" is reserved and cannot name a tensor`);
    if (name.length === 0) throw new SafetensorsError(src, "a tensor has an empty name");
    const t = tensors[name]!;
    if (!isDType(t.dtype)) throw new SafetensorsError(src, `tensor "${name}" has unsupported dtype ${String(t.dtype)}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(src, `tensor "${name}" has an invalid shape ${JSON.stringify(t.shape)}`);
    }
    const info = DTYPE_INFO[t.dtype];
    if (!info.is(t.data)) {
      throw new SafetensorsError(
        src,
        `tensor "${name}" is ${t.dtype} and needs a ${info.ctor}, got ${t.data?.constructor?.name ?? typeof t.data}`,
      );
    }
    if (t.data.length !== numel(t.shape)) {
      throw new SafetensorsError(
        src,
        `tensor "${name}" has shape ${fmtShape(t.shape)} (${numel(t.shape)} elements) but ${t.data.length} values`,
      );
    }
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new SafetensorsError(src, `metadata "${k}" must be a string, got ${typeof v}`);
    }
  }

  // Largest element size first (keeps every tensor aligned), then by name: deterministic output.
  const order = [...names].sort((a, b) => {
    const sa = DTYPE_INFO[tensors[a]!.dtype].size;
    const sb = DTYPE_INFO[tensors[b]!.dtype].size;
    if (sa !== sb) return sb - sa;
    return a < b ? -1 : a > b ? 1 : 0;
  });

  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) header[METADATA_KEY] = { ...metadata };
  let offset = 0;
  for (const name of order) {
    const t = tensors[name]!;
    const len = t.data.byteLength;
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + len] };
    offset += len;
  }
  const dataLen = offset;

  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(headerBytes);
    headerBytes = p;
  }

  const out = new Uint8Array(8 + headerBytes.length + dataLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of order) {
    const t = tensors[name]!;
    const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(raw, pos);
    if (!HOST_LITTLE_ENDIAN) swapBytes(out.subarray(pos, pos + raw.length), DTYPE_INFO[t.dtype].size);
    pos += raw.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

export function decodeSafetensors(bytes: Uint8Array, source = "<buffer>"): SafetensorsContents {
  const fail = (msg: string): never => {
    throw new SafetensorsError(source, msg);
  };
  if (!(bytes instanceof Uint8Array)) fail("expected the file contents as a Uint8Array");
  if (bytes.length < 8) {
    fail(`file is ${bytes.length} bytes, too short for the 8-byte header length (truncated or not a safetensors file)`);
  }
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    fail(`header length ${n64} is larger than the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  }
  const n = Number(n64);
  if (n < 2) fail(`header length ${n} is too small to hold a JSON object (corrupt file)`);
  if (8 + n > bytes.length) {
    fail(`header length ${n} runs past the end of the ${bytes.length}-byte file (truncated or corrupt)`);
  }

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail("header is not valid UTF-8 (corrupt file)");
  }
  if (!text.startsWith("{")) fail("header does not start with '{' (corrupt or not a safetensors file)");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("header is not a JSON object");

  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];

  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail(`"${METADATA_KEY}" is not an object`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`metadata "${k}" is not a string (got ${JSON.stringify(v)})`);
        metadata[k] = v as string;
      }
      continue;
    }
    const where = `tensor "${name}"`;
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail(`${where}: entry is not an object`);
    const e = raw as Record<string, unknown>;
    for (const k of Object.keys(e)) {
      if (k !== "dtype" && k !== "shape" && k !== "data_offsets") fail(`${where}: unexpected field "${k}"`);
    }
    const dtype = e["dtype"];
    if (!isDType(dtype)) {
      if (typeof dtype === "string" && KNOWN_UNSUPPORTED.has(dtype)) {
        fail(`${where}: dtype ${dtype} is not supported by this reader (supported: F32, F64, I32, I64, U8)`);
      }
      fail(`${where}: unknown dtype ${JSON.stringify(dtype)}`);
    }
    const shape = e["shape"];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      fail(`${where}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    const offs = e["data_offsets"];
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    ) {
      fail(`${where}: data_offsets ${JSON.stringify(offs)} is not a pair of non-negative integers`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) fail(`${where}: data_offsets [${begin},${end}] end before they begin`);
    if (end > dataLen) {
      fail(`${where}: data_offsets [${begin},${end}] run past the end of the ${dataLen}-byte data section (truncated file)`);
    }
    const d = dtype as SafetensorsDType;
    const want = numel(shape as number[]) * DTYPE_INFO[d].size;
    if (end - begin !== want) {
      fail(
        `${where}: ${d} ${fmtShape(shape as number[])} needs ${want} bytes but data_offsets [${begin},${end}] span ${end - begin}`,
      );
    }
    entries.push({ name, dtype: d, shape: [...(shape as number[])], begin, end });
  }

  // The tensors must tile the data section exactly: no gaps, no overlaps, nothing trailing.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    if (e.begin < expect) {
      fail(`tensor "${e.name}" (bytes ${e.begin}..${e.end}) overlaps tensor "${sorted[i - 1]!.name}" (ends at ${expect})`);
    }
    if (e.begin > expect) {
      fail(`gap in the data section: no tensor covers bytes ${expect}..${e.begin} (before tensor "${e.name}")`);
    }
    expect = e.end;
  }
  if (expect !== dataLen) {
    fail(`data section is ${dataLen} bytes but the tensors cover only ${expect} (${dataLen - expect} trailing bytes)`);
  }

  const tensors: Record<string, SafeTensor> = {};
  for (const e of entries) {
    // copy into a fresh, aligned buffer owned by the tensor (not bytes.slice(): on a Node
    // Buffer that is a view into the shared pool, not a copy)
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    if (!HOST_LITTLE_ENDIAN) swapBytes(copy, DTYPE_INFO[e.dtype].size);
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: DTYPE_INFO[e.dtype].make(copy.buffer) };
  }
  return { tensors, metadata };
}

// ---------------------------------------------------------------------------------------------
// Files

function ioError(path: string, what: string, e: unknown): SafetensorsError {
  const err = e as NodeJS.ErrnoException;
  return new SafetensorsError(path, `cannot ${what}: ${err?.message ?? String(e)}`);
}

export async function readSafetensorsFile(path: string): Promise<SafetensorsContents> {
  let buf: Buffer;
  try {
    buf = await fsp.readFile(path);
  } catch (e) {
    throw ioError(path, "read the file", e);
  }
  return decodeSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

export function readSafetensorsFileSync(path: string): SafetensorsContents {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw ioError(path, "read the file", e);
  }
  return decodeSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), path);
}

/** Atomic, durable write (src/io/atomic.ts: temporary file, fsync, rename, directory fsync). */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata);
  try {
    await writeFileAtomicAsync(path, bytes, { mkdir: false });
  } catch (e) {
    throw ioError(path, "write the file", e);
  }
}

export function writeSafetensorsFileSync(
  path: string,
  tensors: Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): void {
  const bytes = encodeSafetensors(tensors, metadata);
  try {
    writeFileAtomic(path, bytes, { mkdir: false });
  } catch (e) {
    throw ioError(path, "write the file", e);
  }
}

/** Convenience: a tensor as Float32Array (F32 as is, F64 converted), or a SafetensorsError. */
export function tensorAsFloat32(contents: SafetensorsContents, name: string, source = "<buffer>"): Float32Array {
  const t = contents.tensors[name];
  if (t === undefined) throw new SafetensorsError(source, `no tensor named "${name}"`);
  if (t.data instanceof Float32Array) return t.data;
  if (t.data instanceof Float64Array) return Float32Array.from(t.data);
  throw new SafetensorsError(source, `tensor "${name}" is ${t.dtype}, expected a float tensor`);
}
