// Checks on a worker thread (what `gancc lsp` uses) give what a check on the server's own
// thread gives; a worker that cannot start falls back to the server's thread.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, analyze } from "../../src/lsp/analysis.js";
import { workerChecker } from "../../src/lsp/checker.js";

const strip = <T extends { ms: number }>(a: T) => ({ ...a, ms: 0 });

describe("lsp: the checker thread", () => {
  it("returns the same analysis as a check on this thread, for good and wrong specs", async () => {
    const logs: string[] = [];
    const checker = workerChecker((m) => logs.push(m));
    try {
      for (const path of ["specs/cyclegan.gan", "specs/pix2pix.gan", "test/compiler/corpus/02_misspelled_instance_norm.gan"]) {
        const text = readFileSync(path, "utf8");
        const settings = { ...DEFAULT_SETTINGS, set: { ngf: 8 } };
        const got = await checker.check(text, path, 3, settings);
        const want = analyze(text, path, 3, settings);
        expect(strip(got)).toEqual(strip(want));
        expect(got.source.lineStarts).toEqual(want.source.lineStarts);
      }
      // a broken text: syntax errors, partial lowering
      const broken = "gan x\nnetwork N: image[3] -> image[3] { conv(3, 3, pad: 1) ) }\n";
      expect(strip(await checker.check(broken, "b.gan", 1, DEFAULT_SETTINGS))).toEqual(strip(analyze(broken, "b.gan", 1, DEFAULT_SETTINGS)));
      expect(logs).toEqual([]); // it ran on the worker: no fallback was logged
    } finally {
      checker.dispose();
    }
  }, 60_000);
});
