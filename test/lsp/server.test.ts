// The language server through the protocol, in-process: diagnostics, hovers, definitions,
// references, renames, completion, formatting, symbols, inlay hints and quick fixes, on the
// shipped specs and on wrong ones.
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CodeAction, CompletionItem, DocumentSymbol, Hover, InlayHint, Location, TextEdit, WorkspaceEdit } from "vscode-languageserver";
import { compileSource } from "../../src/compiler/compile.js";
import { formatCount } from "../../src/compiler/summary.js";
import { format } from "../../src/dsl/index.js";
import type { IrNet } from "../../src/ir/schema.js";
import { type Client, startClient, uriOf } from "./harness.js";
import { applyEdits, at, offsetOf, posOf, rangeOfText } from "./helpers.js";

const SPECS = readdirSync("specs").filter((f) => f.endsWith(".gan")).sort();
const read = (p: string) => readFileSync(p, "utf8");
const CYCLEGAN = read("specs/cyclegan.gan");
const CG = uriOf("specs/cyclegan.gan");

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
const shapeText = (s: number[]) => (s.length === 3 ? `${s[0]}×${s[1]}×${s[2]}` : `[${s.join(", ")}]`);
/** trainable parameters of the IR node `id`, from the IR's parameter shapes */
function nodeParams(net: IrNet, id: string): number {
  const node = net.nodes.find((n) => n.id === id)!;
  return node.params.map((p) => net.params.find((q) => q.name === p)!).filter((p) => p.trainable).reduce((a, p) => a + prod(p.shape), 0);
}

let c: Client;
beforeAll(async () => {
  c = await startClient();
  await c.open("specs/cyclegan.gan", CYCLEGAN);
});
afterAll(() => c.close());

const hoverAt = async (uri: string, text: string, needle: string, nth = 0, delta = 1) =>
  (await c.request<Hover | null>("textDocument/hover", { textDocument: { uri }, position: at(text, needle, nth, delta) }))?.contents as { value: string } | undefined;

describe("lsp: initialize", () => {
  it("announces the features it serves", () => {
    const caps = c.init.capabilities;
    expect(c.init.serverInfo?.name).toBe("gancc");
    for (const k of ["hoverProvider", "definitionProvider", "referencesProvider", "renameProvider", "completionProvider", "documentFormattingProvider", "documentSymbolProvider", "inlayHintProvider", "codeActionProvider"] as const) {
      expect(caps[k], k).toBeTruthy();
    }
    expect(caps.textDocumentSync).toMatchObject({ change: 2 });
  });
});

describe("lsp: diagnostics are exactly the CLI's", () => {
  it("the shipped specs: none but the compiler's own", async () => {
    for (const f of SPECS) {
      const text = read(`specs/${f}`);
      const got = f === "cyclegan.gan" ? (await c.diagnostics(CG, 1)).diagnostics : await c.open(`specs/${f}`, text);
      const want = compileSource(text, resolve(`specs/${f}`)).diagnostics;
      expect(got.map((d) => d.code), f).toEqual(want.map((d) => d.code));
    }
  });

  const CORPUS = "test/compiler/corpus";
  const files = readdirSync(CORPUS).filter((f) => f.endsWith(".gan")).sort();
  it(`every wrong spec of the corpus (${files.length}): code, range, message, severity, hint and notes`, async () => {
    expect(files.length).toBeGreaterThan(30);
    let withHint = 0;
    for (const f of files) {
      const path = join(CORPUS, f);
      const text = read(path);
      const got = await c.open(path, text);
      await c.rpc.sendNotification("textDocument/didClose", { textDocument: { uri: uriOf(path) } });
      const want = compileSource(text, resolve(path)).diagnostics;
      expect(want.length, f).toBeGreaterThan(0);
      expect(got.length, f).toBe(want.length);
      want.forEach((d, i) => {
        const g = got[i]!;
        expect(g.code, f).toBe(d.code);
        expect(g.message, f).toBe(d.message);
        expect(g.severity, f).toBe(d.severity === "error" ? 1 : d.severity === "warning" ? 2 : 3);
        if (d.span.file === resolve(path)) expect(g.range, `${f}: ${d.message}`).toEqual({ start: posOf(text, d.span.start), end: posOf(text, d.span.end) });
        const related = (g.relatedInformation ?? []).map((r) => r.message);
        if (d.hint) {
          withHint++;
          expect(related, f).toContain(`hint: ${d.hint}`);
        }
        for (const r of d.related ?? []) expect(related, f).toContain(r.message);
      });
    }
    expect(withHint).toBeGreaterThan(10);
  });

  it("a syntax error leaves the rest of the file checked: one diagnostic, and hovers elsewhere still have shapes", async () => {
    const broken = CYCLEGAN.replace("block down(k) { conv(k, 3, stride: 2, pad: 1) instance_norm relu }", "block down(k) { conv(k, 3, stride: 2, pad: 1) instance_norm relu ) }");
    expect(broken).not.toBe(CYCLEGAN);
    const diags = await c.open("mem/broken.gan", broken);
    const want = compileSource(broken, resolve("mem/broken.gan")).diagnostics;
    expect(diags.map((d) => [d.code, d.message])).toEqual(want.map((d) => [d.code, d.message]));
    expect(diags.every((d) => String(d.code).startsWith("GAN1"))).toBe(true);
    // the generator's first conv (in c7s1, before the error) still shows its shape
    const h = await hoverAt(uriOf("mem/broken.gan"), broken, "conv(k, 7)");
    expect(h?.value).toContain("256×256×64");
    const symbols = await c.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri: uriOf("mem/broken.gan") } });
    expect(symbols.map((s) => s.name)).toEqual(expect.arrayContaining(["ResnetGenerator", "PatchGAN", "nets", "generator", "discriminator", "train"]));
  });

  it("follows edits: an error typed in, then fixed", async () => {
    const uri = uriOf("mem/edit.gan");
    const text = read("specs/tiny.gan");
    expect(await c.open("mem/edit.gan", text)).toEqual([]);
    const r = rangeOfText(text, "instance_norm relu", 0);
    c.change(uri, 2, [{ range: { start: r.start, end: { line: r.start.line, character: r.start.character + "instance_norm".length } }, text: "instance_nrom" }]);
    const d2 = (await c.diagnostics(uri, 2)).diagnostics;
    expect(d2.map((d) => d.code)).toEqual(["GAN2003"]);
    expect(d2[0]!.relatedInformation?.[0]?.message).toBe("hint: did you mean `instance_norm`?");
    c.change(uri, 3, [{ text }]);
    expect((await c.diagnostics(uri, 3)).diagnostics).toEqual([]);
  });
});

describe("lsp: hover", () => {
  const ir = compileSource(CYCLEGAN, resolve("specs/cyclegan.gan")).ir!;
  const gab = ir.nets.find((n) => n.name === "G_AB")!;

  it("on a layer: output shape and parameter count at the training size", async () => {
    const h = (await hoverAt(CG, CYCLEGAN, "conv(k, 7)"))!.value;
    const node = gab.nodes.find((n) => n.id === "G_AB/c7s1_1/conv1")!;
    expect(node.shape).toEqual([256, 256, 64]);
    // 7×7 kernel from 3 to 64 channels, plus 64 biases
    expect(nodeParams(gab, node.id)).toBe(7 * 7 * 3 * 64 + 64);
    expect(h).toContain(`**${shapeText(node.shape)}**`);
    expect(h).toContain(`**${formatCount(7 * 7 * 3 * 64 + 64)} params**`);
    expect(h).toContain("conv(filters, kernel, stride: 1, pad: 0"); // the signature from the ops table
    expect(h).toContain("at 256×256");
    expect(h).toContain("262×262×3"); // its input (after reflect_pad(3))
  });

  it("on a layer inside a block used at several sizes: every shape", async () => {
    const h = (await hoverAt(CG, CYCLEGAN, "conv(k, 3, stride: 2"))!.value;
    expect(h).toContain("128×128×128");
    expect(h).toContain("64×64×256");
    expect(h).toContain(formatCount(nodeParams(gab, "G_AB/down1/conv1")));
    expect(h).toContain(formatCount(nodeParams(gab, "G_AB/down2/conv1")));
  });

  it("on a block call: the call's output shape and the parameters of everything inside it", async () => {
    const h = (await hoverAt(CG, CYCLEGAN, "res(ngf * 4)"))!.value;
    const inRes1 = gab.params.filter((p) => p.name.startsWith("G_AB/res1/") && p.trainable).reduce((a, p) => a + prod(p.shape), 0);
    expect(inRes1).toBe(2 * (3 * 3 * 256 * 256 + 256));
    expect(h).toContain("block");
    expect(h).toContain("**64×64×256**");
    expect(h).toContain(`**${formatCount(inRes1)} params**`);
    expect(h).toContain("G_AB/res1");
  });

  it("takes --set values from the editor settings", async () => {
    const c2 = await startClient({ initializationOptions: { set: { ngf: 8 } } });
    try {
      await c2.open("specs/cyclegan.gan", CYCLEGAN);
      const h = (await c2.request<Hover>("textDocument/hover", { textDocument: { uri: CG }, position: at(CYCLEGAN, "conv(k, 7)") })).contents as { value: string };
      expect(h.value).toContain("**256×256×8**");
      expect(h.value).toContain(`**${formatCount(7 * 7 * 3 * 8 + 8)} params**`);
      expect(h.value).toContain("--set ngf=8");
      // and a configuration change re-checks with the new values
      await c2.rpc.sendNotification("workspace/didChangeConfiguration", { settings: { gancc: { set: ["ngf=16"], size: 128 } } });
      await new Promise((r) => setTimeout(r, 50));
      const h2 = (await c2.request<Hover>("textDocument/hover", { textDocument: { uri: CG }, position: at(CYCLEGAN, "conv(k, 7)") })).contents as { value: string };
      expect(h2.value).toContain("**128×128×16**");
      const p = (await c2.request<Hover>("textDocument/hover", { textDocument: { uri: CG }, position: at(CYCLEGAN, "param ngf", 0, 7) })).contents as { value: string };
      expect(p.value).toContain("`16`");
      expect(p.value).toContain("gancc.set");
    } finally {
      c2.close();
    }
  });

  it("reads the settings the editor serves (workspace/configuration), and can turn inlay hints off", async () => {
    let served: unknown = { set: { ngf: 4 }, inlayHints: false };
    const c4 = await startClient({ capabilities: { workspace: { configuration: true } }, configuration: () => served });
    try {
      await c4.open("specs/cyclegan.gan", CYCLEGAN);
      // the pull happens after `initialized`; a hover after it sees ngf = 4
      await new Promise((r) => setTimeout(r, 50));
      const h = (await c4.request<Hover>("textDocument/hover", { textDocument: { uri: CG }, position: at(CYCLEGAN, "conv(k, 7)") })).contents as { value: string };
      expect(h.value).toContain("**256×256×4**");
      const range = { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } };
      expect(await c4.request<InlayHint[]>("textDocument/inlayHint", { textDocument: { uri: CG }, range })).toEqual([]);
      // a change notification without the settings makes the server ask again
      served = { set: { ngf: 2 } };
      await c4.rpc.sendNotification("workspace/didChangeConfiguration", { settings: null });
      await new Promise((r) => setTimeout(r, 50));
      const h2 = (await c4.request<Hover>("textDocument/hover", { textDocument: { uri: CG }, position: at(CYCLEGAN, "conv(k, 7)") })).contents as { value: string };
      expect(h2.value).toContain("**256×256×2**");
      expect((await c4.request<InlayHint[]>("textDocument/inlayHint", { textDocument: { uri: CG }, range })).length).toBeGreaterThan(10);
      // a --set the spec does not declare is the CLI's diagnostic, at the top of the file
      served = { set: { ngff: 8 } };
      await c4.rpc.sendNotification("workspace/didChangeConfiguration", { settings: { gancc: served } });
      await c4.request("textDocument/hover", { textDocument: { uri: CG }, position: at(CYCLEGAN, "conv(k, 7)") }); // waits for the re-check
      const d = await c4.diagnostics(CG, 1); // the latest published
      const bad = d.diagnostics.find((x) => x.code === "GAN2016");
      expect(bad?.message).toBe("`--set ngff`: the spec declares no parameter `ngff`");
      expect(bad?.range.start).toEqual({ line: 0, character: 0 });
      expect(bad?.relatedInformation?.[0]?.message).toBe("hint: did you mean `ngf`?");
    } finally {
      c4.close();
    }
  });

  it("on a label: the labelled layer's shape", async () => {
    await c.open("mem/labels.gan", LABELS);
    const h = (await hoverAt(LU, LABELS, "concat(e1)", 0, 7))!.value;
    expect(h).toContain("label in network `U`");
    // enc(nf) at 32×32: a stride-2 conv to 4 channels
    expect(h).toContain("**16×16×4**");
    const cat = (await hoverAt(LU, LABELS, "concat(e1)", 0, 1))!.value;
    expect(cat).toContain("**16×16×8**"); // 4 channels from the transposed conv + 4 from e1
  });

  it("on a network: its summary table and the input sizes it accepts", async () => {
    const h = (await hoverAt(CG, CYCLEGAN, "network PatchGAN", 0, 9))!.value;
    const da = ir.nets.find((n) => n.name === "D_A")!;
    expect(h).toContain("D_A, D_B");
    expect(h).toContain(`input sizes: ${da.sizes.text}`);
    const last = da.nodes[da.nodes.length - 1]!;
    expect(h).toContain(shapeText(last.shape)); // 30×30×1
    const total = da.params.filter((p) => p.trainable).reduce((a, p) => a + prod(p.shape), 0);
    expect(h).toContain(`trainable params: **${formatCount(total)}**`);
    for (const n of da.nodes.slice(1)) expect(h).toContain(n.id.slice("D_A/".length));
  });

  it("on a net in a loss: the value's shape, then the net's table", async () => {
    const h = (await hoverAt(CG, CYCLEGAN, "D_B(G_AB(A))", 0, 5))!.value;
    expect(h).toContain("`G_AB(A)` → **256×256×3**");
    expect(h).toContain("role: generator");
  });

  it("on a loss term: which nets it trains and its shape", async () => {
    const h = (await hoverAt(CG, CYCLEGAN, "gan_A:", 0, 1))!.value;
    expect(h).toContain("term of loss `generator`");
    expect(h).toContain("**scalar**");
    expect(h).toContain("trains `G_AB`");
    // D_B judges G_AB(A) and gets gradient, but the generator step does not update it
    expect(h).toContain("gradient also reaches `D_B`");
    const d = (await hoverAt(CG, CYCLEGAN, "D_A: 0.5", 0, 1))!.value;
    expect(d).toContain("trains `D_A`");
    expect(d).not.toContain("G_BA"); // pool(…) detaches the generator
  });

  it("on a param: its value and where it is used", async () => {
    const h = (await hoverAt(CG, CYCLEGAN, "param ngf", 0, 7))!.value;
    expect(h).toContain("param = `64`");
    const uses = [...CYCLEGAN.matchAll(/\bngf\b/g)].length - 1;
    expect(h).toContain(`used ${uses}×`);
    expect(h).toContain("network `ResnetGenerator`");
  });

  it("on settings, optimizers and loss functions: their docs", async () => {
    expect((await hoverAt(CG, CYCLEGAN, "crop: size"))!.value).toContain("training size");
    expect((await hoverAt(CG, CYCLEGAN, "adam(lr"))!.value).toContain("adam(lr, beta1: 0.9");
    expect((await hoverAt(CG, CYCLEGAN, "l1(G_BA"))!.value).toContain("mean absolute error");
    expect((await hoverAt(CG, CYCLEGAN, "stride: 2"))!.value).toContain("argument of `conv`");
  });
});

const LABELS = `gan labels
param nf = 4
block enc(k) { conv(k, 3, stride: 2, pad: 1) relu }
network U: image[3] -> image[3] {
  e1: enc(nf)
  e2: enc(nf * 2)
  conv_transpose(nf, 4, stride: 2, pad: 1)
  concat(e1)
  conv_transpose(3, 4, stride: 2, pad: 1) tanh
}
network D: image[3] -> image[1] { conv(1, 4, stride: 2, pad: 1) }
nets {
  G = U()
  C = D()
}
data {
  domain A: image[3]
  domain B: image[3]
  crop: 32
}
loss g = lsgan(C(G(A)), real) + l1(G(A), B)
loss d = lsgan(C(B), real) + lsgan(C(detach(G(A))), fake)
train {
  step g updates G with adam(lr: 2e-4)
  step d updates C with adam(lr: 2e-4)
}
`;
const LU = uriOf("mem/labels.gan");

describe("lsp: definitions and references", () => {
  beforeAll(async () => {
    expect(await c.open("mem/labels.gan", LABELS)).toEqual([]);
  });
  const def = async (uri: string, text: string, needle: string, nth = 0, delta = 1) => (await c.request<Location | null>("textDocument/definition", { textDocument: { uri }, position: at(text, needle, nth, delta) }))?.range;

  it("go to definition: blocks, params, networks, nets, losses, labels, domains, block parameters", async () => {
    const span = (text: string, needle: string, from: number, len: number) => ({ start: posOf(text, offsetOf(text, needle, 0, from)), end: posOf(text, offsetOf(text, needle, 0, from + len)) });
    expect(await def(CG, CYCLEGAN, "res(ngf * 4)")).toEqual(span(CYCLEGAN, "block res", 6, 3));
    expect(await def(CG, CYCLEGAN, "ngf * 4")).toEqual(rangeOfText(CYCLEGAN, "ngf", 0));
    expect(await def(CG, CYCLEGAN, "PatchGAN()")).toEqual({ start: posOf(CYCLEGAN, offsetOf(CYCLEGAN, "network PatchGAN", 0, 8)), end: posOf(CYCLEGAN, offsetOf(CYCLEGAN, "network PatchGAN", 0, 16)) });
    expect(await def(CG, CYCLEGAN, "D_B(G_AB(A))", 0)).toBeDefined();
    expect(await def(CG, CYCLEGAN, "G_AB(G_BA(B))")).toEqual({ start: posOf(CYCLEGAN, offsetOf(CYCLEGAN, "G_AB = ")), end: posOf(CYCLEGAN, offsetOf(CYCLEGAN, "G_AB = ", 0, 4)) });
    expect(await def(CG, CYCLEGAN, "step generator", 0)).toBeUndefined(); // the keyword `step`
    expect(await def(CG, CYCLEGAN, "generator updates")).toEqual({ start: posOf(CYCLEGAN, offsetOf(CYCLEGAN, "loss generator", 0, 5)), end: posOf(CYCLEGAN, offsetOf(CYCLEGAN, "loss generator", 0, 14)) });
    expect((await c.request<Location>("textDocument/definition", { textDocument: { uri: CG }, position: at(CYCLEGAN, "conv(k, 3) instance_norm relu", 0, 5) })).range).toEqual({ start: posOf(CYCLEGAN, offsetOf(CYCLEGAN, "block res(k", 0, 10)), end: posOf(CYCLEGAN, offsetOf(CYCLEGAN, "block res(k", 0, 11)) });
    expect(await def(LU, LABELS, "concat(e1)", 0, 7)).toEqual(rangeOfText(LABELS, "e1", 0));
    expect(await def(LU, LABELS, "(A)), real")).toEqual(span(LABELS, "domain A", 7, 1));
    expect(await def(LU, LABELS, "enc(nf)")).toEqual(span(LABELS, "block enc", 6, 3));
  });

  it("find references: every use, with or without the declaration", async () => {
    const refs = await c.request<Location[]>("textDocument/references", { textDocument: { uri: CG }, position: at(CYCLEGAN, "param ngf", 0, 7), context: { includeDeclaration: true } });
    const all = [...CYCLEGAN.matchAll(/\bngf\b/g)].map((m) => posOf(CYCLEGAN, m.index!));
    expect(refs.map((r) => r.range.start)).toEqual(all);
    const noDecl = await c.request<Location[]>("textDocument/references", { textDocument: { uri: CG }, position: at(CYCLEGAN, "param ngf", 0, 7), context: { includeDeclaration: false } });
    expect(noDecl).toHaveLength(all.length - 1);
    const nets = await c.request<Location[]>("textDocument/references", { textDocument: { uri: CG }, position: at(CYCLEGAN, "G_AB = "), context: { includeDeclaration: false } });
    // in the losses and in the step (comments do not count)
    const code = CYCLEGAN.split("\n").map((l) => l.replace(/#.*/, "")).join("\n");
    expect(nets).toHaveLength([...code.matchAll(/\bG_AB\b/g)].length - 1);
    const term = await c.request<Location[]>("textDocument/references", { textDocument: { uri: CG }, position: at(CYCLEGAN, "cycle_A:"), context: { includeDeclaration: true } });
    expect(term).toHaveLength(1);
  });
});

describe("lsp: rename", () => {
  const renameAt = (uri: string, text: string, needle: string, newName: string, nth = 0, delta = 1) =>
    c.request<WorkspaceEdit>("textDocument/rename", { textDocument: { uri }, position: at(text, needle, nth, delta), newName });

  it("a block: the declaration and every call", async () => {
    const e = await renameAt(CG, CYCLEGAN, "block res", "resblock", 0, 7);
    const out = applyEdits(CYCLEGAN, e.changes![CG]!);
    expect(out).toContain("block resblock(k) residual");
    expect(out).toContain("repeat blocks { resblock(ngf * 4) }");
    // the result still compiles to the same nets
    const before = compileSource(CYCLEGAN, "a.gan").ir!;
    const after = compileSource(out, "a.gan");
    expect(after.diagnostics).toEqual([]);
    expect(after.ir!.nets.map((n) => n.params.length)).toEqual(before.nets.map((n) => n.params.length));
  });

  it("a param: every use, and the result means the same", async () => {
    const e = await renameAt(CG, CYCLEGAN, "param ngf", "gen_filters", 0, 7);
    const out = applyEdits(CYCLEGAN, e.changes![CG]!);
    expect(out).not.toMatch(/\bngf\b/);
    const after = compileSource(out, "a.gan");
    expect(after.diagnostics).toEqual([]);
    expect(after.ir!.nets[0]!.nodes.map((n) => n.shape)).toEqual(compileSource(CYCLEGAN, "a.gan").ir!.nets[0]!.nodes.map((n) => n.shape));
  });

  it("a block parameter: uses in the body and keyword arguments at call sites", async () => {
    const e = await renameAt(CG, CYCLEGAN, "block ck(k, stride", "step_size", 0, 13);
    const out = applyEdits(CYCLEGAN, e.changes![CG]!);
    expect(out).toContain("block ck(k, step_size = 2) { conv(k, 4, stride: step_size, pad: 1)");
    expect(out).toContain("ck(ndf * 8, step_size: 1)");
    expect(compileSource(out, "a.gan").diagnostics).toEqual([]);
  });

  it("is refused with a message on a clash, a bad name, or something that is not a block or param", async () => {
    await expect(renameAt(CG, CYCLEGAN, "param ngf", "ndf", 0, 7)).rejects.toThrow(/`ndf` is already declared \(a param at line \d+\)/);
    await expect(renameAt(CG, CYCLEGAN, "param ngf", "A", 0, 7)).rejects.toThrow(/already declared \(a data domain/);
    await expect(renameAt(CG, CYCLEGAN, "param ngf", "k", 0, 7)).rejects.toThrow(/`k` is already used in this spec/);
    await expect(renameAt(CG, CYCLEGAN, "param ngf", "2x", 0, 7)).rejects.toThrow(/not a name/);
    await expect(renameAt(CG, CYCLEGAN, "param ngf", "network", 0, 7)).rejects.toThrow(/keyword/);
    await expect(renameAt(CG, CYCLEGAN, "block res", "conv", 0, 7)).rejects.toThrow(/built-in layer/);
    await expect(renameAt(CG, CYCLEGAN, "block res", "down", 0, 7)).rejects.toThrow(/already declared \(a block/);
    await expect(renameAt(CG, CYCLEGAN, "block res", "G_AB", 0, 7)).rejects.toThrow(/already declared \(a net/);
    await expect(renameAt(CG, CYCLEGAN, "block ck(k, stride", "k", 0, 13)).rejects.toThrow(/already used in block `ck`/);
    await expect(renameAt(CG, CYCLEGAN, "G_AB = ", "G1")).rejects.toThrow(/Only blocks and params can be renamed; `G_AB` is a net/);
    await expect(c.request("textDocument/prepareRename", { textDocument: { uri: CG }, position: at(CYCLEGAN, "loss generator", 0, 6) })).rejects.toThrow(/is a loss/);
    const ok = await c.request<{ placeholder: string }>("textDocument/prepareRename", { textDocument: { uri: CG }, position: at(CYCLEGAN, "ngf * 2") });
    expect(ok.placeholder).toBe("ngf");
  });
});

describe("lsp: completion", () => {
  const labels = async (text: string, offset: number) => {
    const uri = uriOf("mem/complete.gan");
    await c.open("mem/complete.gan", text);
    const items = await c.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: posOf(text, offset) });
    await c.rpc.sendNotification("textDocument/didClose", { textDocument: { uri } });
    return items;
  };
  const insertAt = (needle: string, insert: string, delta = 0) => {
    const i = CYCLEGAN.indexOf(needle) + delta;
    return { text: CYCLEGAN.slice(0, i) + insert + CYCLEGAN.slice(i), offset: i + insert.length };
  };

  it("in a network body: op names with their signatures, and the blocks", async () => {
    const { text, offset } = insertAt("  up(ngf)\n", "  con");
    const items = await labels(text, offset);
    const conv = items.find((i) => i.label === "conv")!;
    expect(conv.detail).toBe("conv(filters, kernel, stride: 1, pad: 0, pad_mode: zeros, dilation: 1, bias: true)");
    expect(String((conv.documentation as { value: string }).value)).toContain("Conv2d");
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(["conv_transpose", "instance_norm", "res", "c7s1", "down", "up", "repeat", "residual"]));
    expect(items.find((i) => i.label === "res")!.detail).toBe("block res(k) residual");
  });

  it("inside a call: argument names not given yet, params and the block's own parameters", async () => {
    const { text, offset } = insertAt("conv(k, 3) instance_norm relu\n", "conv(k, 3, ", 0);
    const items = await labels(text, offset);
    const names = items.map((i) => i.label);
    expect(names).toEqual(expect.arrayContaining(["stride:", "pad:", "pad_mode:", "dilation:", "bias:", "ngf", "lambda_A", "k"]));
    expect(names).not.toContain("conv");
    const given = await labels(...(() => { const x = insertAt("conv(k, 3) instance_norm relu\n", "conv(k, 3, stride: 2, ", 0); return [x.text, x.offset] as const; })());
    expect(given.map((i) => i.label)).not.toContain("stride:");
    const mode = insertAt("conv(k, 3) instance_norm relu\n", "conv(k, 3, pad_mode: ", 0);
    expect((await labels(mode.text, mode.offset)).map((i) => i.label)).toEqual(expect.arrayContaining(["zeros", "reflect", "replicate"]));
    const block = insertAt("  up(ngf)\n", "  ck(");
    expect((await labels(block.text, block.offset)).map((i) => i.label)).toEqual(expect.arrayContaining(["k:", "stride:"]));
  });

  it("in losses: nets, loss functions, domains, params, real and fake", async () => {
    const { text, offset } = insertAt("  idt_B:", "  extra: ");
    const names = (await labels(text, offset)).map((i) => i.label);
    expect(names).toEqual(expect.arrayContaining(["G_AB", "G_BA", "D_A", "D_B", "lsgan", "l1", "mse", "detach", "pool", "A", "B", "lambda_A", "real", "fake"]));
    const inCall = insertAt("  idt_B:", "  extra: l1(G_AB(");
    expect((await labels(inCall.text, inCall.offset)).map((i) => i.label)).toEqual(expect.arrayContaining(["A", "B", "G_BA"]));
  });

  it("in data and train: settings, values, losses, nets and optimizers", async () => {
    const data = insertAt("  flip: true\n", "  ");
    expect((await labels(data.text, data.offset)).map((i) => i.label)).toEqual(expect.arrayContaining(["layout:", "crop:", "load:", "preprocess:", "direction:", "domain"]));
    const layout = insertAt("  flip: true\n", "  direction: ");
    expect((await labels(layout.text, layout.offset)).map((i) => i.label)).toEqual(expect.arrayContaining(["AtoB", "BtoA"]));
    const train = insertAt("  seed: 0\n", "  ");
    expect((await labels(train.text, train.offset)).map((i) => i.label)).toEqual(expect.arrayContaining(["epochs:", "batch:", "schedule:", "pool:", "n_critic:", "step"]));
    const step = insertAt("  seed: 0\n", "  step ");
    expect((await labels(step.text, step.offset)).map((i) => i.label)).toEqual(["generator", "discriminator"]);
    const updates = insertAt("  seed: 0\n", "  step generator updates G_AB, ");
    const u = (await labels(updates.text, updates.offset)).map((i) => i.label);
    expect(u).toEqual(expect.arrayContaining(["G_BA", "D_A"]));
    expect(u).not.toContain("G_AB");
    const opt = insertAt("  seed: 0\n", "  step generator updates G_AB with ");
    expect((await labels(opt.text, opt.offset)).map((i) => i.label)).toEqual(["adam", "rmsprop", "sgd"]);
    const args = insertAt("  seed: 0\n", "  step generator updates G_AB with adam(");
    expect((await labels(args.text, args.offset)).map((i) => i.label)).toEqual(expect.arrayContaining(["lr:", "beta1:", "beta2:"]));
    const sched = insertAt("  seed: 0\n", "  schedule: ");
    expect((await labels(sched.text, sched.offset)).map((i) => i.label)).toEqual(expect.arrayContaining(["linear_decay", "cosine", "step"]));
  });

  it("at the top level: the declaration keywords; in comments: nothing", async () => {
    const top = { text: CYCLEGAN + "\nne", offset: CYCLEGAN.length + 3 };
    expect((await labels(top.text, top.offset)).map((i) => i.label)).toEqual(expect.arrayContaining(["network", "nets", "param", "block", "loss", "train", "data", "init"]));
    const comment = insertAt("  up(ngf)\n", "  # con");
    expect(await labels(comment.text, comment.offset)).toEqual([]);
  });
});

describe("lsp: formatting, symbols, inlay hints, quick fixes", () => {
  it("formats with the printer (gancc fmt), and not at all with syntax errors", async () => {
    const messy = "gan   m\nparam a=1\nblock b(k){conv(k,3)   relu}\n";
    await c.open("mem/messy.gan", messy);
    const edits = await c.request<TextEdit[]>("textDocument/formatting", { textDocument: { uri: uriOf("mem/messy.gan") }, options: { tabSize: 2, insertSpaces: true } });
    expect(applyEdits(messy, edits)).toBe(format(messy, "m.gan").output);
    expect(applyEdits(messy, edits)).toContain("block b(k) { conv(k, 3) relu }");
    const same = await c.request<TextEdit[]>("textDocument/formatting", { textDocument: { uri: CG }, options: { tabSize: 2, insertSpaces: true } });
    expect(same).toEqual(format(CYCLEGAN, "c.gan").output === CYCLEGAN ? [] : expect.any(Array));
    await c.open("mem/bad.gan", "gan x\nblock b { conv( }\n");
    expect(await c.request("textDocument/formatting", { textDocument: { uri: uriOf("mem/bad.gan") }, options: { tabSize: 2, insertSpaces: true } })).toBeNull();
  });

  it("outlines nets, blocks, losses and their terms", async () => {
    const symbols = await c.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri: CG } });
    const names = symbols.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["ngf", "c7s1", "down", "res", "up", "ResnetGenerator", "ck", "PatchGAN", "nets", "data", "generator", "discriminator", "train"]));
    expect(symbols.find((s) => s.name === "nets")!.children!.map((x) => x.name)).toEqual(["G_AB", "G_BA", "D_A", "D_B"]);
    expect(symbols.find((s) => s.name === "generator")!.children!.map((x) => x.name)).toEqual(["gan_A", "gan_B", "cycle_A", "cycle_B", "idt_A", "idt_B"]);
    const res = symbols.find((s) => s.name === "res")!;
    expect(res.selectionRange.start).toEqual(posOf(CYCLEGAN, offsetOf(CYCLEGAN, "block res", 0, 6)));
  });

  it("shows each layer line's output shape at its end", async () => {
    const hints = await c.request<InlayHint[]>("textDocument/inlayHint", { textDocument: { uri: CG }, range: { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } } });
    const byLine = new Map(hints.map((h) => [h.position.line, String(h.label)]));
    const ir = compileSource(CYCLEGAN, resolve("specs/cyclegan.gan")).ir!;
    const gab = ir.nets.find((n) => n.name === "G_AB")!;
    const lines = CYCLEGAN.split("\n");
    // every line of the generator's body: the shape of the last node made from that line
    const start = lines.findIndex((l) => l.startsWith("network ResnetGenerator"));
    for (let i = start + 1; lines[i] !== "}"; i++) {
      const fromLine = gab.nodes.filter((n) => n.span.endLine === i + 1 && n.op !== "input");
      const onLine = byLine.get(i);
      if (!lines[i]!.trim()) continue;
      expect(onLine, lines[i]).toBeDefined();
      if (fromLine.length) expect(onLine).toBe(`→ ${shapeText(fromLine[fromLine.length - 1]!.shape)}`);
      expect(hints.find((h) => h.position.line === i)!.position.character).toBe(lines[i]!.length);
    }
    expect(byLine.get(lines.findIndex((l) => l.includes("repeat blocks")))).toBe("→ 64×64×256");
    // a block used at two sizes shows both
    expect(byLine.get(lines.findIndex((l) => l.startsWith("block down")))).toBe("→ 128×128×128 | 64×64×256");
    // a narrow range gets only its lines
    const few = await c.request<InlayHint[]>("textDocument/inlayHint", { textDocument: { uri: CG }, range: { start: { line: start, character: 0 }, end: { line: start + 2, character: 0 } } });
    expect(few.map((h) => h.position.line)).toEqual([start + 1, start + 2]);
  });

  it("offers the did-you-mean hints as quick fixes", async () => {
    const path = "test/compiler/corpus/02_misspelled_instance_norm.gan";
    const text = read(path);
    const uri = uriOf(path);
    const diags = await c.open(path, text);
    const d = diags.find((x) => x.code === "GAN2003")!;
    const actions = await c.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } });
    expect(actions).toHaveLength(1);
    expect(actions[0]!.title).toBe("Change `instance_nrom` to `instance_norm`");
    const fixed = applyEdits(text, actions[0]!.edit!.changes![uri]!);
    expect(compileSource(fixed, "f.gan").diagnostics.filter((x) => x.severity === "error")).toEqual([]);
    // nothing elsewhere
    expect(await c.request<CodeAction[]>("textDocument/codeAction", { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } }, context: { diagnostics: [] } })).toEqual([]);
  });
});

describe("lsp: internal errors", () => {
  it("are logged, and the last good state is kept", async () => {
    const { analyze } = await import("../../src/lsp/analysis.js");
    const c3 = await startClient({
      server: {
        check: (text, file, version, settings) => {
          if (text.includes("BOOM")) throw new Error("simulated compiler bug");
          return analyze(text, file, version, settings);
        },
      },
    });
    try {
      const uri = uriOf("specs/tiny.gan");
      const tiny = read("specs/tiny.gan");
      expect(await c3.open("specs/tiny.gan", tiny)).toEqual([]);
      c3.change(uri, 2, [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: "# BOOM\n" }]);
      const symbols = await c3.request<DocumentSymbol[]>("textDocument/documentSymbol", { textDocument: { uri } });
      expect(symbols.map((s) => s.name)).toContain("Generator");
      const err = c3.logs.find((l) => l.type === 1);
      expect(err?.message).toMatch(/internal error while checking .*version 2.*keeping the last good state[\s\S]*simulated compiler bug/);
      // the next good text is checked again
      c3.change(uri, 3, [{ text: tiny.replace("instance_norm relu", "instance_nrom relu") }]);
      expect((await c3.diagnostics(uri, 3)).diagnostics.map((d) => d.code)).toEqual(["GAN2003"]);
    } finally {
      c3.close();
    }
  });
});
