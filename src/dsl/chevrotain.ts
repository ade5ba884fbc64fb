/**
 * Chevrotain's runtime values, loaded from the single-file ES module the package ships
 * (`lib/chevrotain.mjs`, the same code as its entry point). The entry point imports a few hundred
 * lodash-es modules one by one, ~200 ms of every `gancc` start; the bundle loads in ~10 ms
 * (`npm run bench:startup`). The package's `exports` map does not list the bundle, so it is
 * imported by file URL, with the entry point as the fallback. Types come from the package as usual.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

type Chevrotain = typeof import("chevrotain");

async function load(): Promise<Chevrotain> {
  try {
    const entry = createRequire(import.meta.url).resolve("chevrotain");
    const bundle = pathToFileURL(join(dirname(entry), "..", "chevrotain.mjs")).href;
    const m = (await import(bundle)) as Chevrotain;
    if (typeof m.CstParser === "function" && typeof m.createToken === "function") return m;
  } catch {
    /* a different layout: use the entry point */
  }
  return import("chevrotain");
}

const chevrotain = await load();
export const { createToken, Lexer, CstParser, EOF } = chevrotain;
