// The .gan parser: one Chevrotain CstParser (a reused module-level singleton), grammar
// only — no embedded actions. toAst.ts turns its CST into the AST.
import type { CstNode, IParserErrorMessageProvider, IRecognitionException, IToken, TokenType } from "chevrotain";
import { CstParser, EOF } from "./chevrotain.js";
import * as T from "./lexer.js";

// ---------------------------------------------------------------- error messages

function tokenLabel(t: TokenType): string {
  if (t === EOF) return "end of file";
  return t.LABEL ?? t.name;
}

function describeActual(tok: IToken | undefined): string {
  if (!tok || tok.tokenType === EOF) return "end of file";
  const img = tok.image.length > 30 ? `${tok.image.slice(0, 30)}…` : tok.image;
  if (tok.tokenType === T.StringLit) return `the string ${img}`;
  return `\`${img}\``;
}

function joinOr(items: string[]): string {
  const uniq = [...new Set(items)];
  if (uniq.length <= 1) return uniq[0] ?? "something else";
  return `${uniq.slice(0, -1).join(", ")} or ${uniq[uniq.length - 1]}`;
}

/** What may come where a loop in `ruleName` ends with `expected`. */
const LOOP_ENDS: Record<string, { token: TokenType; what: string }> = {
  body: { token: T.RCurly, what: "a layer name or `}`" },
  netsDecl: { token: T.RCurly, what: "a net name or `}`" },
  dataDecl: { token: T.RCurly, what: "a setting, `domain` or `}`" },
  lossDecl: { token: T.RCurly, what: "a loss term name or `}`" },
  trainDecl: { token: T.RCurly, what: "a setting, `step` or `}`" },
};

/** Descriptions for a failed choice, by rule. */
const CHOICES: Record<string, string> = {
  spec: "a declaration (`param`, `init`, `block`, `network`, `nets`, `data`, `loss` or `train`)",
  layer: "a layer",
  primary: "an expression",
  unaryExpr: "an expression",
  notExpr: "an expression",
};

function describeExpected(expected: TokenType, ruleName: string, previous: IToken | undefined): string {
  const loop = LOOP_ENDS[ruleName];
  if (loop && loop.token === expected) return loop.what;
  if (expected === EOF) return CHOICES.spec!;
  const prev = previous?.tokenType;
  if (expected === T.RParen) {
    if (prev === T.LParen) return ruleName === "paramList" ? "a parameter name or `)`" : "an argument or `)`";
    return "`,` or `)`";
  }
  if (expected === T.With && prev === T.Ident) return "`,` or `with`";
  return tokenLabel(expected);
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous, ruleName }) {
    return `expected ${describeExpected(expected, ruleName, previous)}, found ${describeActual(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected ${CHOICES.spec}, found ${describeActual(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const firsts = expectedPathsPerAlt.flatMap((alt) => alt.map((path) => (path[0] ? tokenLabel(path[0]) : "")));
    const what = CHOICES[ruleName] ?? joinOr(firsts.filter((s) => s));
    return `expected ${what}, found ${describeActual(actual[0])}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const firsts = expectedIterationPaths.map((path) => (path[0] ? tokenLabel(path[0]) : ""));
    const what = CHOICES[ruleName] ?? joinOr(firsts.filter((s) => s));
    return `expected ${what}, found ${describeActual(actual[0])}`;
  },
};

// ---------------------------------------------------------------- grammar (see GRAMMAR.md)

/**
 * The grammar. `validate` runs Chevrotain's grammar checks (ambiguities, left recursion, …); they
 * cost ~30 ms per start, so the shared instance skips them and a test builds one with them on.
 */
export class GanParser extends CstParser {
  constructor(validate = false) {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 2, errorMessageProvider: messages, skipValidations: !validate });
    this.performSelfAnalysis();
  }

  // Spec := 'gan' Ident Decl*   (the header is optional here so a missing one is one GAN1005, not a cascade)
  spec = this.RULE("spec", () => {
    this.OPTION(() => {
      this.CONSUME(T.Gan);
      this.CONSUME(T.Ident);
    });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.paramDecl) },
        { ALT: () => this.SUBRULE(this.initDecl) },
        { ALT: () => this.SUBRULE(this.blockDecl) },
        { ALT: () => this.SUBRULE(this.networkDecl) },
        { ALT: () => this.SUBRULE(this.netsDecl) },
        { ALT: () => this.SUBRULE(this.dataDecl) },
        { ALT: () => this.SUBRULE(this.lossDecl) },
        { ALT: () => this.SUBRULE(this.trainDecl) },
      ]);
    });
  });

  paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Ident);
    this.CONSUME(T.Eq);
    this.SUBRULE(this.expr);
  });

  initDecl = this.RULE("initDecl", () => {
    this.CONSUME(T.Init);
    this.SUBRULE(this.expr);
  });

  blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Ident);
    this.OPTION(() => this.SUBRULE(this.paramList));
    this.OPTION2(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Residual) }, { ALT: () => this.CONSUME(T.Skip) }]);
    });
    this.SUBRULE(this.body);
  });

  networkDecl = this.RULE("networkDecl", () => {
    this.CONSUME(T.Network);
    this.CONSUME(T.Ident);
    this.OPTION(() => this.SUBRULE(this.paramList));
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr, { LABEL: "input" });
    this.CONSUME(T.Arrow);
    this.SUBRULE2(this.typeExpr, { LABEL: "output" });
    this.SUBRULE(this.body);
  });

  paramList = this.RULE("paramList", () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.paramDef);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.paramDef);
      });
    });
    this.CONSUME(T.RParen);
  });

  paramDef = this.RULE("paramDef", () => {
    this.CONSUME(T.Ident);
    this.OPTION(() => {
      this.CONSUME(T.Eq);
      this.SUBRULE(this.expr);
    });
  });

  body = this.RULE("body", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.layer));
    this.CONSUME(T.RCurly);
  });

  // Layer := (Ident ':')? LayerCore
  layer = this.RULE("layer", () => {
    this.OPTION(() => {
      this.CONSUME(T.Ident, { LABEL: "label" });
      this.CONSUME(T.Colon);
    });
    this.OR([
      { ALT: () => this.SUBRULE(this.layerCall) },
      { ALT: () => this.SUBRULE(this.repeatLayer) },
      { ALT: () => this.SUBRULE(this.residualLayer) },
      { ALT: () => this.SUBRULE(this.skipLayer) },
      { ALT: () => this.SUBRULE(this.ifLayer) },
    ]);
  });

  layerCall = this.RULE("layerCall", () => {
    this.CONSUME(T.Ident);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => this.SUBRULE(this.args));
      this.CONSUME(T.RParen);
    });
  });

  repeatLayer = this.RULE("repeatLayer", () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.expr);
    this.SUBRULE(this.body);
  });

  residualLayer = this.RULE("residualLayer", () => {
    this.CONSUME(T.Residual);
    this.SUBRULE(this.body);
  });

  skipLayer = this.RULE("skipLayer", () => {
    this.CONSUME(T.Skip);
    this.SUBRULE(this.body);
  });

  ifLayer = this.RULE("ifLayer", () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expr);
    this.SUBRULE(this.body, { LABEL: "then" });
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.OR([
        { ALT: () => this.SUBRULE2(this.body, { LABEL: "elseBody" }) },
        { ALT: () => this.SUBRULE(this.ifLayer, { LABEL: "elseIf" }) },
      ]);
    });
  });

  netsDecl = this.RULE("netsDecl", () => {
    this.CONSUME(T.Nets);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.netInstance));
    this.CONSUME(T.RCurly);
  });

  netInstance = this.RULE("netInstance", () => {
    this.CONSUME(T.Ident, { LABEL: "name" });
    this.CONSUME(T.Eq);
    this.CONSUME2(T.Ident, { LABEL: "network" });
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => this.SUBRULE(this.args));
      this.CONSUME(T.RParen);
    });
    this.OPTION3(() => {
      this.CONSUME(T.Init);
      this.SUBRULE(this.expr);
    });
  });

  dataDecl = this.RULE("dataDecl", () => {
    this.CONSUME(T.Data);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.setting) }, { ALT: () => this.SUBRULE(this.domainDecl) }]);
    });
    this.CONSUME(T.RCurly);
  });

  domainDecl = this.RULE("domainDecl", () => {
    this.CONSUME(T.Domain);
    this.CONSUME(T.Ident);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
  });

  setting = this.RULE("setting", () => {
    this.CONSUME(T.Ident);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expr);
  });

  lossDecl = this.RULE("lossDecl", () => {
    this.CONSUME(T.Loss);
    this.CONSUME(T.Ident);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Eq);
          this.SUBRULE(this.expr);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LCurly);
          // a keyword enters a term only as `keyword:` (a term misnamed `gan:`); else it ends the loss
          this.MANY({ GATE: () => !T.KEYWORD_TOKENS.has(this.LA(1).tokenType) || this.LA(2).tokenType === T.Colon, DEF: () => this.SUBRULE(this.lossTerm) });
          this.CONSUME(T.RCurly);
        },
      },
    ]);
  });

  lossTerm = this.RULE("lossTerm", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Ident) }, { ALT: () => this.CONSUME(T.KeywordCat, { LABEL: "keywordName" }) }]);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expr);
  });

  trainDecl = this.RULE("trainDecl", () => {
    this.CONSUME(T.Train);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.setting) }, { ALT: () => this.SUBRULE(this.stepDecl) }]);
    });
    this.CONSUME(T.RCurly);
  });

  stepDecl = this.RULE("stepDecl", () => {
    this.CONSUME(T.Step);
    this.CONSUME(T.Ident, { LABEL: "loss" });
    this.CONSUME(T.Updates);
    this.CONSUME2(T.Ident, { LABEL: "updates" });
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.CONSUME3(T.Ident, { LABEL: "updates" });
    });
    this.CONSUME(T.With);
    this.SUBRULE(this.expr, { LABEL: "optimizer" });
    this.OPTION(() => {
      this.CONSUME(T.Repeat);
      this.SUBRULE2(this.expr, { LABEL: "repeat" });
    });
    this.OPTION2(() => {
      this.CONSUME(T.Clip);
      this.CONSUME(T.LParen);
      this.SUBRULE(this.args);
      this.CONSUME(T.RParen);
    });
  });

  args = this.RULE("args", () => {
    this.SUBRULE(this.arg);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.arg);
    });
  });

  arg = this.RULE("arg", () => {
    this.OPTION(() => {
      this.CONSUME(T.Ident);
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.expr);
  });

  typeExpr = this.RULE("typeExpr", () => {
    this.CONSUME(T.Ident);
    this.CONSUME(T.LBracket);
    this.SUBRULE(this.expr);
    this.CONSUME(T.RBracket);
  });

  // Expr := Or
  expr = this.RULE("expr", () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(T.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(T.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE("notExpr", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.cmpExpr) },
    ]);
  });

  cmpExpr = this.RULE("cmpExpr", () => {
    this.SUBRULE(this.addExpr);
    this.OPTION(() => {
      this.CONSUME(T.CmpOp);
      this.SUBRULE2(this.addExpr);
    });
  });

  addExpr = this.RULE("addExpr", () => {
    this.SUBRULE(this.mulExpr);
    this.MANY(() => {
      this.CONSUME(T.AddOp);
      this.SUBRULE2(this.mulExpr);
    });
  });

  mulExpr = this.RULE("mulExpr", () => {
    this.SUBRULE(this.unaryExpr);
    this.MANY(() => {
      this.CONSUME(T.MulOp);
      this.SUBRULE2(this.unaryExpr);
    });
  });

  unaryExpr = this.RULE("unaryExpr", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.unaryExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  // Primary: Number | String | true | false | Ident ('[' Expr ']' | '(' Args? ')')? | '(' Expr ')'
  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      {
        ALT: () => {
          this.CONSUME(T.Ident);
          this.OPTION(() => {
            this.OR2([
              {
                ALT: () => {
                  this.CONSUME(T.LBracket);
                  this.SUBRULE(this.expr, { LABEL: "index" });
                  this.CONSUME(T.RBracket);
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.LParen, { LABEL: "callOpen" });
                  this.OPTION2(() => this.SUBRULE(this.args));
                  this.CONSUME(T.RParen, { LABEL: "callClose" });
                },
              },
            ]);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.LParen);
          this.SUBRULE2(this.expr, { LABEL: "inner" });
          this.CONSUME2(T.RParen);
        },
      },
    ]);
  });
}

/** The one parser instance, reused for every parse. */
export const parser = new GanParser();

export interface CstResult {
  cst: CstNode;
  errors: IRecognitionException[];
}

/** Parses a token stream (comments already removed). Never throws on bad input. */
export function parseTokens(tokens: IToken[]): CstResult {
  parser.input = tokens;
  const cst = parser.spec();
  return { cst, errors: [...parser.errors] };
}

// looked up by user-written names: no Object.prototype members (`toString`, `__proto__`, …)
Object.setPrototypeOf(LOOP_ENDS, null);
Object.setPrototypeOf(CHOICES, null);
