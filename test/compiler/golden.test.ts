// The golden-file helper: a missing golden fails (and is not created) unless updating.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compareGolden, expectGolden } from "./golden.js";

const dir = mkdtempSync(join(tmpdir(), "gancc-golden-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("golden files", () => {
  it("a missing golden (a new spec without one) is a failure, and nothing is written", () => {
    const path = join(dir, "ir", "no_such_spec.ir.json");
    const r = compareGolden(path, "{}\n", { update: false, label: "test/golden/ir/no_such_spec.ir.json" });
    expect(r.status).toBe("missing");
    expect(r.status === "missing" && r.message).toContain("test/golden/ir/no_such_spec.ir.json");
    expect(existsSync(path)).toBe(false);
    expect(() => expectGolden(path, "{}\n", { update: false })).toThrow(/missing golden/);
    expect(existsSync(path)).toBe(false);
  });

  it("a different golden fails; an equal one passes", () => {
    const path = join(dir, "a.txt");
    writeFileSync(path, "old\n");
    const r = compareGolden(path, "new\n", { update: false });
    expect(r).toMatchObject({ status: "differs", expected: "old\n" });
    expect(() => expectGolden(path, "new\n", { update: false })).toThrow();
    expect(compareGolden(path, "old\n", { update: false }).status).toBe("match");
    expect(() => expectGolden(path, "old\n", { update: false })).not.toThrow();
    expect(readFileSync(path, "utf8")).toBe("old\n");
  });

  it("writes goldens only when updating (UPDATE_GOLDEN=1)", () => {
    const path = join(dir, "new", "b.txt");
    expect(compareGolden(path, "b\n", { update: true }).status).toBe("written");
    expect(readFileSync(path, "utf8")).toBe("b\n");
    expect(compareGolden(path, "b\n", { update: true }).status).toBe("match");
    expect(compareGolden(path, "c\n", { update: true }).status).toBe("written");
    expect(readFileSync(path, "utf8")).toBe("c\n");
  });

  it("updates by default only when UPDATE_GOLDEN=1 is set", () => {
    const path = join(dir, "env.txt");
    const saved = process.env.UPDATE_GOLDEN;
    try {
      delete process.env.UPDATE_GOLDEN;
      expect(compareGolden(path, "x\n").status).toBe("missing");
      process.env.UPDATE_GOLDEN = "1";
      expect(compareGolden(path, "x\n").status).toBe("written");
    } finally {
      if (saved === undefined) delete process.env.UPDATE_GOLDEN;
      else process.env.UPDATE_GOLDEN = saved;
    }
  });
});
