/**
 * Fonts without fontconfig: finds a family in the usual font folders of Linux, macOS and
 * Windows by the fonts' own name tables, and loads font files with opentype.js, so the
 * same file gives the same glyph outlines on every OS.
 *
 * Scanning reads only each file's table directory, its `name` table and the start of its
 * `OS/2` table (a few small positioned reads per file, so thousands of system fonts take
 * well under a second); the chosen face is then parsed in full by opentype.js. Font
 * collections (.ttc/.otc, common on macOS) are supported: the chosen face is cut out of
 * the collection into a stand-alone font for opentype.js.
 *
 * Faces match a requested family by the typographic family (name ID 16), the family
 * (ID 1), the full name (ID 4) or the PostScript name (ID 6), case-insensitively. Of the
 * matching faces the most "regular" is chosen: upright, weight closest to 400, normal width.
 *
 * Nothing here prints; errors are DataErrors whose message says what to do.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, extname, join, posix, resolve, win32 } from "node:path";
import { DataError } from "../data/errors.js";
import { type Font, parseFont } from "./opentype.js";

/** File extensions scanned for fonts (case-insensitive). */
export const FONT_EXTENSIONS: readonly string[] = [".ttf", ".otf", ".ttc", ".otc"];

/**
 * The folders fonts are installed in: per-user folders and the system's.
 * Linux and other Unixes: /usr/share/fonts, /usr/local/share/fonts, ~/.local/share/fonts
 * ($XDG_DATA_HOME/fonts), ~/.fonts; macOS: /System/Library/Fonts, /Library/Fonts,
 * ~/Library/Fonts; Windows: %WINDIR%\Fonts, %LOCALAPPDATA%\Microsoft\Windows\Fonts.
 */
export function systemFontDirs(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  if (platform === "win32") {
    const out = [win32.join(env["WINDIR"] || env["SystemRoot"] || "C:\\Windows", "Fonts")];
    if (env["LOCALAPPDATA"]) out.push(win32.join(env["LOCALAPPDATA"], "Microsoft", "Windows", "Fonts"));
    return out;
  }
  if (platform === "darwin") return ["/System/Library/Fonts", "/Library/Fonts", posix.join(home, "Library", "Fonts")];
  const dataHome = env["XDG_DATA_HOME"] || posix.join(home, ".local", "share");
  return [...new Set(["/usr/share/fonts", "/usr/local/share/fonts", posix.join(dataHome, "fonts"), posix.join(home, ".local", "share", "fonts"), posix.join(home, ".fonts")])];
}

/** Font files under the folders (recursively, following links, each file once), in folder order then sorted by path. */
export function listFontFiles(dirs: readonly string[], maxDepth = 8): string[] {
  const out: string[] = [];
  const seenDirs = new Set<string>();
  const seenFiles = new Set<string>();
  const walk = (dir: string, depth: number) => {
    let real: string;
    let names: string[];
    try {
      real = realpathSync(dir);
      if (seenDirs.has(real)) return;
      seenDirs.add(real);
      names = readdirSync(dir).sort();
    } catch {
      return; // missing or unreadable folder
    }
    for (const n of names) {
      if (n.startsWith(".")) continue;
      const p = join(dir, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue; // dangling link
      }
      if (st.isDirectory()) {
        if (depth < maxDepth) walk(p, depth + 1);
      } else if (st.isFile() && FONT_EXTENSIONS.includes(extname(n).toLowerCase())) {
        let key = p;
        try {
          key = realpathSync(p);
        } catch {
          // keep the path itself
        }
        if (seenFiles.has(key)) continue;
        seenFiles.add(key);
        out.push(p);
      }
    }
  };
  for (const d of dirs) walk(resolve(d), 0);
  return out;
}

// ---- reading name tables ---------------------------------------------------------------

/** One face of a font file, as its name and OS/2 tables describe it. */
export interface FontFace {
  file: string;
  /** index of the face in a font collection (.ttc/.otc); undefined for a single font */
  collectionIndex?: number;
  /** name ID 1 (falls back to the file name) */
  family: string;
  /** name ID 2 */
  subfamily: string;
  /** name ID 16, the family that groups all weights and widths (e.g. "DejaVu Sans" for "DejaVu Sans Condensed") */
  typographicFamily?: string;
  /** name ID 17 */
  typographicSubfamily?: string;
  /** name ID 4 */
  fullName?: string;
  /** name ID 6 */
  postScriptName?: string;
  /** OS/2 usWeightClass (400 when the table is missing) */
  weight: number;
  /** OS/2 usWidthClass, 1–9 (5 = normal) */
  width: number;
  /** italic or oblique (OS/2 fsSelection, or the subfamily name) */
  italic: boolean;
}

/** The face's family as users call it: the typographic family when there is one. */
export function faceFamily(f: FontFace): string {
  return f.typographicFamily ?? f.family;
}

/** The face's style: the typographic subfamily when there is one ("Book", "Bold", "Condensed"). */
export function faceStyle(f: FontFace): string {
  return f.typographicSubfamily ?? f.subfamily;
}

class NotAFont extends Error {}

const TAG_TTCF = 0x74746366; // "ttcf"
const SFNT_TAGS = new Set([0x00010000, 0x4f54544f /* OTTO */, 0x74727565 /* true */]);
const TAG_WOFF = 0x774f4646; // "wOFF"
const TAG_WOFF2 = 0x774f4632; // "wOF2"

function readAt(fd: number, size: number, pos: number, len: number): Buffer {
  if (pos < 0 || len < 0 || pos + len > size) throw new NotAFont(`a table points past the end of the file`);
  const b = Buffer.alloc(len);
  if (readSync(fd, b, 0, len, pos) < len) throw new NotAFont(`the file is truncated`);
  return b;
}

function decodeUtf16be(b: Buffer): string {
  const even = Buffer.from(b.subarray(0, b.length - (b.length % 2)));
  return even.swap16().toString("utf16le");
}

/** Name ID → text, preferring Windows English, then any Windows or Unicode record, then Macintosh English. */
function parseNameTable(b: Buffer): Map<number, string> {
  const best = new Map<number, { rank: number; text: string }>();
  if (b.length < 6) return new Map();
  const count = b.readUInt16BE(2);
  const strings = b.readUInt16BE(4);
  for (let i = 0; i < count; i++) {
    const r = 6 + 12 * i;
    if (r + 12 > b.length) break;
    const platform = b.readUInt16BE(r);
    const lang = b.readUInt16BE(r + 4);
    const id = b.readUInt16BE(r + 6);
    const len = b.readUInt16BE(r + 8);
    const off = b.readUInt16BE(r + 10);
    const rank = platform === 3 ? (lang === 0x409 ? 0 : 1) : platform === 0 ? 2 : platform === 1 ? (lang === 0 ? 3 : 4) : 5;
    if (rank === 5 || (best.get(id)?.rank ?? 9) <= rank) continue;
    const start = strings + off;
    if (start + len > b.length) continue;
    const bytes = b.subarray(start, start + len);
    const text = (platform === 1 ? bytes.toString("latin1") : decodeUtf16be(bytes)).replace(/\0+$/, "").trim();
    if (text) best.set(id, { rank, text });
  }
  return new Map([...best].map(([id, v]) => [id, v.text]));
}

function readFace(fd: number, size: number, file: string, offset: number, collectionIndex: number | undefined): FontFace {
  const head = readAt(fd, size, offset, 12);
  if (!SFNT_TAGS.has(head.readUInt32BE(0))) throw new NotAFont(`a face of the collection has no TrueType/OpenType header`);
  const numTables = head.readUInt16BE(4);
  const dir = readAt(fd, size, offset + 12, 16 * numTables);
  const tables = new Map<string, { off: number; len: number }>();
  for (let i = 0; i < numTables; i++) tables.set(dir.toString("latin1", 16 * i, 16 * i + 4), { off: dir.readUInt32BE(16 * i + 8), len: dir.readUInt32BE(16 * i + 12) });
  const name = tables.get("name");
  const names = name ? parseNameTable(readAt(fd, size, name.off, Math.min(name.len, 1 << 20))) : new Map<number, string>();
  const os2 = tables.get("OS/2");
  let weight = 400;
  let width = 5;
  let italic = false;
  if (os2 && os2.len >= 64) {
    const b = readAt(fd, size, os2.off, 64);
    weight = b.readUInt16BE(4) || 400;
    width = b.readUInt16BE(6) || 5;
    italic = (b.readUInt16BE(62) & 0x201) !== 0; // bit 0 ITALIC, bit 9 OBLIQUE
  }
  const family = names.get(1) ?? basename(file, extname(file));
  const subfamily = names.get(2) ?? "Regular";
  const typographicSubfamily = names.get(17);
  if (/italic|oblique/i.test(`${subfamily} ${typographicSubfamily ?? ""}`)) italic = true;
  return {
    file,
    ...(collectionIndex !== undefined ? { collectionIndex } : {}),
    family,
    subfamily,
    ...(names.has(16) ? { typographicFamily: names.get(16)! } : {}),
    ...(typographicSubfamily ? { typographicSubfamily } : {}),
    ...(names.has(4) ? { fullName: names.get(4)! } : {}),
    ...(names.has(6) ? { postScriptName: names.get(6)! } : {}),
    weight,
    width,
    italic,
  };
}

const notAFontMessage = (file: string, why: string) =>
  `${file} is not a font file opentype.js can read: ${why}. Expected a TrueType or OpenType font (.ttf, .otf, or a .ttc/.otc collection)`;

/**
 * The faces of a font file (one, or several for a collection), from its name and OS/2
 * tables. A DataError when the file cannot be read or is not a TrueType/OpenType font.
 */
export function readFontFaces(file: string): FontFace[] {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === "ENOENT" ? `${file} does not exist` : code === "EISDIR" ? `${file} is a folder, not a font file` : `cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new DataError(`${file} is a folder, not a font file`);
    const size = st.size;
    if (size < 12) throw new NotAFont(`it is only ${size} bytes long`);
    const head = readAt(fd, size, 0, 12);
    const tag = head.readUInt32BE(0);
    if (tag === TAG_TTCF) {
      const n = head.readUInt32BE(8);
      if (n < 1 || n > 10_000) throw new NotAFont(`its collection header lists ${n} fonts`);
      const offs = readAt(fd, size, 12, 4 * n);
      return Array.from({ length: n }, (_, i) => readFace(fd, size, file, offs.readUInt32BE(4 * i), i));
    }
    if (SFNT_TAGS.has(tag)) return [readFace(fd, size, file, 0, undefined)];
    if (tag === TAG_WOFF || tag === TAG_WOFF2) throw new NotAFont(`it is a compressed web font (WOFF${tag === TAG_WOFF2 ? "2" : ""}); use the .ttf or .otf it was made from`);
    throw new NotAFont(`it does not start with a TrueType/OpenType signature`);
  } catch (e) {
    if (e instanceof NotAFont) throw new DataError(notAFontMessage(file, e.message));
    if (e instanceof RangeError) throw new DataError(notAFontMessage(file, `its tables are malformed (${e.message})`));
    throw e;
  } finally {
    closeSync(fd);
  }
}

/** Every face of every font file under the folders; files that are not readable fonts are counted and skipped. */
export function scanFontFaces(dirs: readonly string[]): { faces: FontFace[]; files: number; unreadable: string[] } {
  const files = listFontFiles(dirs);
  const faces: FontFace[] = [];
  const unreadable: string[] = [];
  for (const f of files) {
    try {
      faces.push(...readFontFaces(f));
    } catch {
      unreadable.push(f);
    }
  }
  return { faces, files: files.length, unreadable };
}

// ---- matching --------------------------------------------------------------------------

export function normalizeFamily(s: string): string {
  return s.normalize("NFKC").toLowerCase().replace(/[\s_-]+/g, " ").trim();
}

/** Whether a face answers to the name: its typographic family, family, full name or PostScript name. */
export function faceMatches(f: FontFace, family: string): boolean {
  const want = normalizeFamily(family);
  return [f.typographicFamily, f.family, f.fullName, f.postScriptName].some((n) => n !== undefined && normalizeFamily(n) === want);
}

/** How far a face is from a regular one (0: upright, weight 400, normal width); lower is better. */
export function irregularity(f: FontFace): number {
  return (f.italic ? 10_000 : 0) + Math.abs(f.weight - 400) + 100 * Math.abs(f.width - 5);
}

/** The most regular of the faces (ties: the first in the given order). */
export function mostRegular<T extends FontFace>(faces: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const f of faces) if (!best || irregularity(f) < irregularity(best)) best = f;
  return best;
}

/** Installed families whose name shares a word with the requested one (up to `max`), for error messages. */
export function similarFamilies(faces: readonly FontFace[], family: string, max = 5): string[] {
  const words = new Set(normalizeFamily(family).split(" ").filter((w) => w.length >= 3));
  const out = new Set<string>();
  for (const f of faces) {
    const fam = faceFamily(f);
    if (normalizeFamily(fam).split(" ").some((w) => words.has(w))) out.add(fam);
  }
  return [...out].sort().slice(0, max);
}

// ---- loading ---------------------------------------------------------------------------

/** A stand-alone font (ArrayBuffer) of face `offset` of a collection: its table directory with the tables copied after it. */
function extractCollectionFace(buf: Buffer, offset: number): ArrayBuffer {
  const numTables = buf.readUInt16BE(offset + 4);
  const recs = Array.from({ length: numTables }, (_, i) => {
    const r = offset + 12 + 16 * i;
    return { r, off: buf.readUInt32BE(r + 8), len: buf.readUInt32BE(r + 12) };
  });
  const headerLen = 12 + 16 * numTables;
  const out = Buffer.alloc(headerLen + recs.reduce((s, t) => s + ((t.len + 3) & ~3), 0));
  buf.copy(out, 0, offset, offset + 12);
  let pos = headerLen;
  recs.forEach((t, i) => {
    if (t.off + t.len > buf.length) throw new NotAFont(`a table points past the end of the file`);
    buf.copy(out, 12 + 16 * i, t.r, t.r + 8); // tag and checksum
    out.writeUInt32BE(pos, 12 + 16 * i + 8);
    out.writeUInt32BE(t.len, 12 + 16 * i + 12);
    buf.copy(out, pos, t.off, t.off + t.len);
    pos += (t.len + 3) & ~3;
  });
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.length);
}

/** Parses a face with opentype.js (a face of a collection is cut out first). A DataError when opentype.js cannot read it. */
export function loadFontFace(face: FontFace): Font {
  let buf: Buffer;
  try {
    buf = readFileSync(face.file);
  } catch (e) {
    throw new DataError(`cannot read ${face.file}: ${(e as Error).message}`);
  }
  try {
    let ab: ArrayBuffer;
    if (face.collectionIndex !== undefined) {
      ab = extractCollectionFace(buf, buf.readUInt32BE(12 + 4 * face.collectionIndex));
    } else {
      ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer;
    }
    const font = parseFont(ab);
    if (!font.unitsPerEm || !font.numGlyphs) throw new Error("it has no glyphs");
    return font;
  } catch (e) {
    throw new DataError(notAFontMessage(face.file + (face.collectionIndex !== undefined ? ` (face ${face.collectionIndex})` : ""), (e as Error).message || String(e)));
  }
}

/** Copyright, licence and version strings of a parsed font's name table (English, Windows records first). */
export function fontNameInfo(font: Font): { copyright?: string; licence?: string; licenceUrl?: string; version?: string; manufacturer?: string; designer?: string } {
  const get = (key: string): string | undefined => {
    for (const table of [font.names.windows, font.names.unicode, font.names.macintosh]) {
      const entry = table?.[key];
      if (!entry) continue;
      const v = entry["en"] ?? Object.values(entry)[0];
      if (v && v.trim()) return v.trim();
    }
    return undefined;
  };
  const out: ReturnType<typeof fontNameInfo> = {};
  const set = (k: keyof typeof out, v: string | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set("copyright", get("copyright"));
  set("licence", get("license"));
  set("licenceUrl", get("licenseURL"));
  set("version", get("version"));
  set("manufacturer", get("manufacturer"));
  set("designer", get("designer"));
  return out;
}

// ---- Debian packages (read from dpkg's database, no dpkg process) -----------------------

/**
 * The Debian package that installed a font file, its version and copyright file, read
 * from dpkg's database (<root>/info/*.list, <root>/status) for packages whose name looks
 * like a font package. Undefined where there is no dpkg database (macOS, Windows, other
 * distributions) or no such package owns the file.
 */
export function debianFontPackage(file: string, root = "/var/lib/dpkg"): { package: string; version?: string; copyrightFile?: string } | undefined {
  const info = join(root, "info");
  if (!existsSync(info)) return undefined;
  const paths = new Set([resolve(file)]);
  try {
    paths.add(realpathSync(file));
  } catch {
    // keep the path as given
  }
  let lists: string[];
  try {
    lists = readdirSync(info).filter((n) => n.endsWith(".list") && /font|^ttf-|^otf-/i.test(n));
  } catch {
    return undefined;
  }
  for (const l of lists.sort()) {
    let text: string;
    try {
      text = readFileSync(join(info, l), "utf8");
    } catch {
      continue;
    }
    if (!text.split("\n").some((line) => paths.has(line))) continue;
    const pkg = l.slice(0, -".list".length).split(":")[0]!;
    let version: string | undefined;
    try {
      const status = readFileSync(join(root, "status"), "utf8");
      const stanza = status.split(/\n\n+/).find((s) => new RegExp(`^Package: ${pkg.replace(/[.+]/g, "\\$&")}$`, "m").test(s) && /^Status: .*installed$/m.test(s));
      version = stanza ? /^Version: (.+)$/m.exec(stanza)?.[1]?.trim() : undefined;
    } catch {
      // no status file: no version
    }
    const cf = `/usr/share/doc/${pkg}/copyright`;
    return { package: pkg, ...(version ? { version } : {}), ...(existsSync(cf) ? { copyrightFile: cf } : {}) };
  }
  return undefined;
}
