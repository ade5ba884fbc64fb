/**
 * Type-checks a small consumer file with the TypeScript compiler API (strict, NodeNext) and
 * returns the messages reported in that file only: how the generated typings (compile --emit ts,
 * export --web's model.d.ts) are shown to accept correct use and reject wrong calls.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

export function consumerTypeErrors(dir: string, name: string, source: string, o: { lib?: string[] } = {}): string[] {
  const file = join(dir, `${name}.ts`);
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    ...(o.lib ? { lib: o.lib } : {}),
    skipLibCheck: true,
    types: [],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName.endsWith(`${name}.ts`))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}
