// Quick fixes for the compiler's "did you mean `x`?" hints: replace the misspelled name.
import { type CodeAction, CodeActionKind, type Range } from "vscode-languageserver";
import type { Analysis } from "./analysis.js";
import { rangeOf, toLspDiagnostic } from "./convert.js";

const DID_YOU_MEAN = /did you mean `([A-Za-z_][A-Za-z0-9_]*)`\?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Range["start"], q: Range["start"]) => p.line < q.line || (p.line === q.line && p.character <= q.character);
  return before(a.start, b.end) && before(b.start, a.end);
}

export function codeActions(a: Analysis, uri: string, range: Range): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of a.diagnostics) {
    const m = d.hint ? DID_YOU_MEAN.exec(d.hint) : null;
    if (!m || d.span.file !== a.file) continue;
    const r = rangeOf(a.source, d.span);
    if (!overlaps(r, range)) continue;
    // only where the diagnostic points at exactly the misspelled name
    const was = a.text.slice(d.span.start, d.span.end);
    if (!NAME.test(was) || was === m[1]) continue;
    out.push({
      title: `Change \`${was}\` to \`${m[1]}\``,
      kind: CodeActionKind.QuickFix,
      diagnostics: [toLspDiagnostic(d, a.source, uri)],
      isPreferred: true,
      edit: { changes: { [uri]: [{ range: r, newText: m[1]! }] } },
    });
  }
  return out;
}
