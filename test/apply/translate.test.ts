// translateFolder's input and output errors, before any tensor work.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { TranslateError, translateFolder } from "../../src/apply/translate.js";
import { compileSource } from "../../src/compiler/compile.js";

const ir = compileSource(readFileSync("specs/tiny.gan", "utf8"), "specs/tiny.gan", { set: { nf: 2, size: 8 } }).ir!;
const trained = { ir, weights: new Map(), from: "test" };
const out = mkdtempSync(join(tmpdir(), "gancc-translate-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const input = "data/emoji/testA";
const gen = ir.nets.find((n) => n.input.kind === "image" && n.output.kind === "image" && n.role === "generator")!.name;

describe("translateFolder refuses bad input with a TranslateError", () => {
  it("an unknown net, naming the nets there are", async () => {
    await expect(translateFolder(trained, { net: "G_XY", input, output: out })).rejects.toThrow(TranslateError);
    await expect(translateFolder(trained, { net: "G_XY", input, output: out })).rejects.toThrow(/no net `G_XY`.*nets: /);
  });
  it("an input that is not a folder, or has no images", async () => {
    await expect(translateFolder(trained, { net: gen, input: "specs/tiny.gan", output: out })).rejects.toThrow(/is not a folder/);
    await expect(translateFolder(trained, { net: gen, input: "specs", output: out })).rejects.toThrow(/no images in specs/);
  });
  it("an output under /proc fails at once (no endless mkdir), and writes nothing", async () => {
    expect(readdirSync(input).length).toBeGreaterThan(0);
    const t = Date.now();
    await expect(translateFolder(trained, { net: gen, input, output: "/proc/gancc-x/out" })).rejects.toThrow(/cannot create \/proc\/gancc-x\/out\/images/);
    expect(Date.now() - t).toBeLessThan(5000);
  });
});
