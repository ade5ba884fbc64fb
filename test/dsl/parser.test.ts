import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type * as A from "../../src/dsl/ast.js";
import { parse, print, stripSpans } from "../../src/dsl/index.js";

function ok(text: string): A.Spec {
  const r = parse(text, "t.gan");
  expect(r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`)).toEqual([]);
  return r.spec!;
}
const decls = (text: string) => stripSpans(ok(`gan t\n${text}`).decls);
const exprOf = (src: string) => (decls(`param p = ${src}`)[0] as A.ParamDecl).value;
const layersOf = (src: string) => (decls(`block b { ${src} }`)[0] as A.BlockDecl).body;
const errors = (text: string) => parse(text, "t.gan").diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`);

const num = (raw: string) => ({ kind: "Number", value: Number(raw), raw, isInt: !/[.eE]/.test(raw) });
const name = (n: string) => ({ kind: "Name", name: n });
const id = (n: string) => ({ name: n });
const bin = (op: string, left: unknown, right: unknown) => ({ kind: "Binary", op, left, right });

describe("parser: declarations", () => {
  it("parses the header and params", () => {
    const s = ok("gan my_gan\nparam ngf = 64\nparam lr = 2e-4");
    expect(s.name.name).toBe("my_gan");
    expect(stripSpans(s.decls)).toEqual([
      { kind: "ParamDecl", name: id("ngf"), value: num("64") },
      { kind: "ParamDecl", name: id("lr"), value: num("2e-4") },
    ]);
  });

  it("parses init", () => {
    expect(decls("init normal(mean: 0, std: 0.02)")).toEqual([
      {
        kind: "InitDecl",
        value: { kind: "Call", callee: id("normal"), args: [{ key: id("mean"), value: num("0") }, { key: id("std"), value: num("0.02") }] },
      },
    ]);
  });

  it("parses blocks with params, defaults and forms", () => {
    const [a, b, c, d] = decls("block a { relu } block b(k, s = 2) residual { relu } block c() skip { } block d(x) { }") as A.BlockDecl[];
    expect(a).toEqual({ kind: "BlockDecl", name: id("a"), params: [], body: [{ kind: "LayerCall", callee: id("relu"), args: [], parens: false }] });
    expect(b!.form).toBe("residual");
    expect(b!.params).toEqual([{ name: id("k") }, { name: id("s"), default: num("2") }]);
    expect(c!.form).toBe("skip");
    expect(c!.params).toEqual([]);
    expect(c!.body).toEqual([]);
    expect(d!.form).toBeUndefined();
  });

  it("parses networks", () => {
    const [n] = decls("network G(blocks = 9): image[3] -> vector[1] { conv(1, 3) }") as A.NetworkDecl[];
    expect(n!.name).toEqual(id("G"));
    expect(n!.params).toEqual([{ name: id("blocks"), default: num("9") }]);
    expect(n!.input).toEqual({ kind: "Type", name: id("image"), size: num("3") });
    expect(n!.output).toEqual({ kind: "Type", name: id("vector"), size: num("1") });
    expect(n!.body).toHaveLength(1);
  });

  it("parses nets", () => {
    expect(decls("nets { A = G() B = G(blocks: 6, 2) init normal(std: 0.02) C = D }")).toEqual([
      {
        kind: "NetsDecl",
        nets: [
          { kind: "NetInstance", name: id("A"), network: id("G"), args: [] },
          {
            kind: "NetInstance",
            name: id("B"),
            network: id("G"),
            args: [{ key: id("blocks"), value: num("6") }, { value: num("2") }],
            init: { kind: "Call", callee: id("normal"), args: [{ key: id("std"), value: num("0.02") }] },
          },
          { kind: "NetInstance", name: id("C"), network: id("D"), args: [] },
        ],
      },
    ]);
  });

  it("parses data with settings and domains in order", () => {
    expect(decls('data { layout: unpaired domain A: image[3] root: "x/y" flip: true }')).toEqual([
      {
        kind: "DataDecl",
        items: [
          { kind: "Setting", key: id("layout"), value: name("unpaired") },
          { kind: "DomainDecl", name: id("A"), type: { kind: "Type", name: id("image"), size: num("3") } },
          { kind: "Setting", key: id("root"), value: { kind: "String", value: "x/y" } },
          { kind: "Setting", key: id("flip"), value: { kind: "Bool", value: true } },
        ],
      },
    ]);
  });

  it("parses block and short losses", () => {
    const [l1, l2] = decls("loss g { a: l1(x, y) b: 2 * c } loss d = mse(x, y)") as A.LossDecl[];
    expect(l1!.short).toBe(false);
    expect(l1!.terms.map((t) => t.name.name)).toEqual(["a", "b"]);
    expect(l2).toEqual({
      kind: "LossDecl",
      name: id("d"),
      short: true,
      terms: [{ kind: "LossTerm", name: id("d"), value: { kind: "Call", callee: id("mse"), args: [{ value: name("x") }, { value: name("y") }] } }],
    });
  });

  it("parses train with settings and steps", () => {
    const [t] = decls(
      "train { epochs: 10 step g updates G1, G2 with adam(lr: 2e-4) step d updates D with rmsprop() repeat 5 clip(-0.01, 0.01) batch: 1 }",
    ) as A.TrainDecl[];
    expect(t!.items.map((i) => i.kind)).toEqual(["Setting", "StepDecl", "StepDecl", "Setting"]);
    const [, g, d] = t!.items as A.StepDecl[];
    expect(g).toEqual({
      kind: "StepDecl",
      loss: id("g"),
      updates: [id("G1"), id("G2")],
      optimizer: { kind: "Call", callee: id("adam"), args: [{ key: id("lr"), value: num("2e-4") }] },
    });
    expect(d!.repeat).toEqual(num("5"));
    expect(d!.clip).toEqual([
      { value: { kind: "Unary", op: "-", operand: num("0.01") } },
      { value: num("0.01") },
    ]);
  });

  it("keeps declarations in source order", () => {
    expect(decls("train { } param a = 1 nets { } init x block b { } data { } loss l = x network N: image[1] -> image[1] { }").map((d) => d.kind)).toEqual([
      "TrainDecl", "ParamDecl", "NetsDecl", "InitDecl", "BlockDecl", "DataDecl", "LossDecl", "NetworkDecl",
    ]);
  });

  it("parses specs/cyclegan.gan without diagnostics", () => {
    const s = ok(readFileSync("specs/cyclegan.gan", "utf8"));
    expect(s.name.name).toBe("cyclegan");
    expect(s.decls.filter((d) => d.kind === "ParamDecl")).toHaveLength(12);
    expect(s.decls.map((d) => d.kind).slice(-5)).toEqual(["NetsDecl", "DataDecl", "LossDecl", "LossDecl", "TrainDecl"]);
  });
});

describe("parser: layers", () => {
  it("distinguishes bare names, empty parens and calls", () => {
    expect(layersOf("relu relu() conv(64, 7, stride: 2)")).toEqual([
      { kind: "LayerCall", callee: id("relu"), args: [], parens: false },
      { kind: "LayerCall", callee: id("relu"), args: [], parens: true },
      { kind: "LayerCall", callee: id("conv"), args: [{ value: num("64") }, { value: num("7") }, { key: id("stride"), value: num("2") }], parens: true },
    ]);
  });

  it("parses labels (LL(2))", () => {
    const ls = layersOf("d1: conv(1) relu d2: relu r: repeat 2 { relu } s: skip { relu } x: residual { } i: if a { }");
    expect(ls.map((l) => [l.kind, l.label?.name])).toEqual([
      ["LayerCall", "d1"], ["LayerCall", undefined], ["LayerCall", "d2"], ["Repeat", "r"], ["Skip", "s"], ["Residual", "x"], ["If", "i"],
    ]);
  });

  it("parses repeat, residual and skip", () => {
    expect(layersOf("repeat n * 2 { res(k) } residual { relu } skip { skip { tanh } }")).toEqual([
      { kind: "Repeat", count: bin("*", name("n"), num("2")), body: [{ kind: "LayerCall", callee: id("res"), args: [{ value: name("k") }], parens: true }] },
      { kind: "Residual", body: [{ kind: "LayerCall", callee: id("relu"), args: [], parens: false }] },
      { kind: "Skip", body: [{ kind: "Skip", body: [{ kind: "LayerCall", callee: id("tanh"), args: [], parens: false }] }] },
    ]);
  });

  it("parses if / else if / else as nested IfLayers", () => {
    const relu = { kind: "LayerCall", callee: id("relu"), args: [], parens: false };
    const tanh = { kind: "LayerCall", callee: id("tanh"), args: [], parens: false };
    expect(layersOf("if a { relu } else if b { tanh } else { relu tanh } if c { }")).toEqual([
      {
        kind: "If",
        cond: name("a"),
        then: [relu],
        else: [{ kind: "If", cond: name("b"), then: [tanh], else: [relu, tanh] }],
      },
      { kind: "If", cond: name("c"), then: [] },
    ]);
  });
});

describe("parser: expressions", () => {
  it("respects precedence and left associativity", () => {
    expect(exprOf("1 + 2 * 3")).toEqual(bin("+", num("1"), bin("*", num("2"), num("3"))));
    expect(exprOf("a - b - c")).toEqual(bin("-", bin("-", name("a"), name("b")), name("c")));
    expect(exprOf("a - (b - c)")).toEqual(bin("-", name("a"), bin("-", name("b"), name("c"))));
    expect(exprOf("a / b % c")).toEqual(bin("%", bin("/", name("a"), name("b")), name("c")));
    expect(exprOf("a or b and c")).toEqual(bin("or", name("a"), bin("and", name("b"), name("c"))));
    expect(exprOf("not a == b")).toEqual({ kind: "Unary", op: "not", operand: bin("==", name("a"), name("b")) });
    expect(exprOf("not a and b")).toEqual(bin("and", { kind: "Unary", op: "not", operand: name("a") }, name("b")));
    expect(exprOf("a + 1 <= b * 2")).toEqual(bin("<=", bin("+", name("a"), num("1")), bin("*", name("b"), num("2"))));
    for (const op of ["==", "!=", "<", "<=", ">", ">="]) expect(exprOf(`a ${op} b`)).toEqual(bin(op, name("a"), name("b")));
  });

  it("parses unary minus", () => {
    expect(exprOf("-a * -2")).toEqual(bin("*", { kind: "Unary", op: "-", operand: name("a") }, { kind: "Unary", op: "-", operand: num("2") }));
    expect(exprOf("- -a")).toEqual({ kind: "Unary", op: "-", operand: { kind: "Unary", op: "-", operand: name("a") } });
  });

  it("parses literals, names, calls and types", () => {
    expect(exprOf("2e-4")).toEqual({ kind: "Number", value: 2e-4, raw: "2e-4", isInt: false });
    expect(exprOf(".5")).toEqual({ kind: "Number", value: 0.5, raw: ".5", isInt: false });
    expect(exprOf("64")).toEqual({ kind: "Number", value: 64, raw: "64", isInt: true });
    expect(exprOf("10.0")).toMatchObject({ isInt: false, raw: "10.0" });
    expect(exprOf('"a\\"b\\n"')).toEqual({ kind: "String", value: 'a"b\n' });
    expect(exprOf("false")).toEqual({ kind: "Bool", value: false });
    expect(exprOf("real")).toEqual(name("real"));
    expect(exprOf("f()")).toEqual({ kind: "Call", callee: id("f"), args: [] });
    expect(exprOf("D(G(x), target: real)")).toEqual({
      kind: "Call",
      callee: id("D"),
      args: [{ value: { kind: "Call", callee: id("G"), args: [{ value: name("x") }] } }, { key: id("target"), value: name("real") }],
    });
    expect(exprOf("image[n + 1]")).toEqual({ kind: "Type", name: id("image"), size: bin("+", name("n"), num("1")) });
    expect(exprOf("((a))")).toEqual(name("a"));
  });
});

describe("parser: spans", () => {
  it("gives 1-based line/col spans to nodes", () => {
    const text = "gan t\n\nblock b(k) {\n  d1: conv(k, 3)\n  relu\n}\nparam x = a + bb\n";
    const s = ok(text);
    const b = s.decls[0] as A.BlockDecl;
    expect(b.span).toMatchObject({ line: 3, col: 1, endLine: 6, endCol: 1 });
    expect(b.name.span).toMatchObject({ line: 3, col: 7, endLine: 3, endCol: 7 });
    const conv = b.body[0] as A.LayerCall;
    expect(conv.span).toMatchObject({ line: 4, col: 3, endLine: 4, endCol: 16 });
    expect(conv.callee.span).toMatchObject({ line: 4, col: 7 });
    expect(conv.args[1]!.span).toMatchObject({ line: 4, col: 15, endCol: 15 });
    const p = s.decls[1] as A.ParamDecl;
    expect(p.value.span).toMatchObject({ line: 7, col: 11, endLine: 7, endCol: 16 });
    expect(text.slice(p.value.span.start, p.value.span.end)).toBe("a + bb");
    const src = "gan t train { step g updates G with adam() clip(1, 2) }";
    const clipSpan = ((ok(src).decls[0] as A.TrainDecl).items[0] as A.StepDecl).clipSpan!;
    expect(src.slice(clipSpan.start, clipSpan.end)).toBe("clip(1, 2)");
    expect(clipSpan).toMatchObject({ line: 1, col: 44, endCol: 53 });
  });
});

describe("parser: errors", () => {
  it("reports several syntax errors in one file with positions", () => {
    const text = [
      "gan broken",
      "block b { conv(1 2) ) }",
      "param = 3",
      "network N: image[3] -> image[3] { relu }",
      "nets { a = B( }",
      "loss l { t: }",
    ].join("\n");
    expect(errors(text)).toEqual([
      "2:18 GAN1002 expected `,` or `)`, found `2`",
      "2:21 GAN1002 expected a layer name or `}`, found `)`",
      "3:7 GAN1002 expected a name, found `=`",
      "5:15 GAN1002 expected an argument or `)`, found `}`",
      "6:13 GAN1002 expected an expression, found `}`",
    ]);
    // the valid parts survive in the partial AST
    const spec = parse(text, "t.gan").spec!;
    expect(spec.decls.map((d) => d.kind)).toContain("NetworkDecl");
  });

  it("words messages with token labels", () => {
    expect(errors("gan t\nparam x 3")).toEqual(["2:9 GAN1002 expected `=`, found `3`"]);
    expect(errors("gan t\ndata { domain: 3 }")[0]).toBe("2:14 GAN1002 expected a name, found `:`");
    expect(errors("gan t\ntrain { 3 }")[0]).toBe("2:9 GAN1002 expected a setting, `step` or `}`, found `3`");
    expect(errors("gan t\nnets { 3 }")[0]).toBe("2:8 GAN1002 expected a net name or `}`, found `3`");
    expect(errors("gan t\nloss l { 3 }")[0]).toBe("2:10 GAN1002 expected a loss term name or `}`, found `3`");
    expect(errors("gan t\ntrain { step g updates A B with adam() }")[0]).toBe("2:26 GAN1002 expected `,` or `with`, found `B`");
    expect(errors("gan t\nblock b(k k) { }")[0]).toBe("2:11 GAN1002 expected `,` or `)`, found `k`");
    expect(errors("gan t\nparam x = 1 +")).toEqual(["2:14 GAN1002 expected an expression, found end of file"]);
    expect(errors("gan t\n3")).toEqual([
      "2:1 GAN1002 expected a declaration (`param`, `init`, `block`, `network`, `nets`, `data`, `loss` or `train`), found `3`",
    ]);
  });

  it("reports a missing header as GAN1005", () => {
    expect(errors("param x = 1")).toEqual(["1:1 GAN1005 a spec must start with `gan <name>`"]);
    expect(errors("")).toEqual(["1:1 GAN1005 a spec must start with `gan <name>`"]);
    expect(parse("param x = 1", "t.gan").spec!.decls).toHaveLength(1);
  });

  it("merges lexer diagnostics with parser diagnostics, sorted", () => {
    expect(errors('gan t\nparam a = 1 ~\nparam b = "x\nparam c = 1.2.3')).toEqual([
      "2:13 GAN1001 unexpected character `~`",
      "3:11 GAN1003 unterminated string",
      "4:11 GAN1004 invalid number `1.2.3`",
    ]);
  });

  it("caps diagnostics at 50", () => {
    const text = "gan t\n" + Array.from({ length: 200 }, (_, i) => `param p${i} = )`).join("\n");
    const ds = parse(text, "t.gan").diagnostics;
    expect(ds).toHaveLength(50);
  });

  it("leaves no state behind in the shared parser", () => {
    parse("gan t\nblock { ( ( ", "a.gan");
    expect(parse("gan t\nparam a = 1", "b.gan").diagnostics).toEqual([]);
  });
});

// ---------------------------------------------------------------- fuzzing

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("parser: robustness", () => {
  const cyclegan = readFileSync("specs/cyclegan.gan", "utf8");
  const vocab = [
    "gan", "param", "block", "network", "nets", "data", "domain", "loss", "train", "step", "updates", "with", "repeat",
    "clip", "residual", "skip", "if", "else", "init", "true", "false", "and", "or", "not", "x", "conv", "relu", "image",
    "1", "2.5", "2e-4", '"s"', '"unterminated', "(", ")", "{", "}", "[", "]", ",", ":", "=", "==", "->", "-", "+", "*",
    "/", "%", "<", ">=", "#c\n", "\n", "@", "3x",
  ];

  function check(text: string) {
    let r: ReturnType<typeof parse> | undefined;
    expect(() => {
      r = parse(text, "f.gan");
    }, text).not.toThrow();
    expect(Array.isArray(r!.diagnostics)).toBe(true);
    expect(r!.diagnostics.length).toBeLessThanOrEqual(50);
    for (const d of r!.diagnostics) {
      expect(d.span.line, text).toBeGreaterThanOrEqual(1);
      expect(Number.isFinite(d.span.start), text).toBe(true);
    }
    // partial ASTs are still printable
    if (r!.spec) expect(() => print(r!.spec!), text).not.toThrow();
  }

  it("never throws on random token soups", () => {
    const rand = rng(42);
    for (let i = 0; i < 400; i++) {
      const n = 1 + Math.floor(rand() * 40);
      const parts = [rand() < 0.7 ? "gan g" : ""];
      for (let j = 0; j < n; j++) parts.push(vocab[Math.floor(rand() * vocab.length)]!);
      check(parts.join(" "));
    }
  });

  it("never throws on truncations and mutations of cyclegan.gan", () => {
    const rand = rng(7);
    for (let i = 0; i < 150; i++) check(cyclegan.slice(0, Math.floor(rand() * cyclegan.length)));
    for (let i = 0; i < 150; i++) {
      const a = Math.floor(rand() * cyclegan.length);
      const b = a + Math.floor(rand() * 40);
      check(cyclegan.slice(0, a) + cyclegan.slice(b));
    }
    for (let i = 0; i < 100; i++) {
      const a = Math.floor(rand() * cyclegan.length);
      check(cyclegan.slice(0, a) + vocab[Math.floor(rand() * vocab.length)]! + cyclegan.slice(a));
    }
  });

  it("reports at least one error for each damaged copy", () => {
    // removing a closing brace must always be noticed
    const idx = [...cyclegan.matchAll(/\}/g)].map((m) => m.index!);
    for (const i of idx) {
      const r = parse(cyclegan.slice(0, i) + cyclegan.slice(i + 1), "f.gan");
      expect(r.diagnostics.length).toBeGreaterThan(0);
    }
  });
});

describe("parser: comments", () => {
  it("attaches leading, trailing and end-of-file comments", () => {
    const text = [
      "# head",
      "gan t  # on header",
      "# lead param",
      "param a = 1  # trail param",
      "block b {",
      "  # lead relu",
      "  relu conv(1)  # trail conv",
      "}",
      "data {",
      "  # lead domain",
      "  domain A: image[3]",
      "}",
      "# eof 1",
      "# eof 2",
    ].join("\n");
    const s = ok(text);
    const texts = (cs: A.Comment[] | undefined) => (cs ?? []).map((c) => c.text);
    expect(texts(s.leadingComments)).toEqual(["# head"]);
    expect(s.trailingComment?.text).toBe("# on header");
    const [p, b, d] = s.decls as [A.ParamDecl, A.BlockDecl, A.DataDecl];
    expect(texts(p.leadingComments)).toEqual(["# lead param"]);
    expect(p.trailingComment?.text).toBe("# trail param");
    expect(texts(b.body[0]!.leadingComments)).toEqual(["# lead relu"]);
    expect(b.body[0]!.trailingComment).toBeUndefined();
    expect(b.body[1]!.trailingComment?.text).toBe("# trail conv");
    expect(texts(d.items[0]!.leadingComments)).toEqual(["# lead domain"]);
    expect(texts(s.trailingComments)).toEqual(["# eof 1", "# eof 2"]);
    expect(p.trailingComment!.span).toMatchObject({ line: 4, col: 14 });
  });
});
