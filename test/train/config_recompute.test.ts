/** The run configuration's `recompute` setting (gradient checkpointing, runtime/net.ts). */
import { describe, expect, it } from "vitest";
import { ConfigError, parseRunConfig } from "../../src/train/config.js";

describe("run configuration: recompute", () => {
  it("accepts none and residual", () => {
    expect(parseRunConfig("recompute: residual\n", "run.yaml").recompute).toBe("residual");
    expect(parseRunConfig("recompute: none\n", "run.yaml").recompute).toBe("none");
  });
  it("names the file, the position and the allowed values for anything else", () => {
    expect(() => parseRunConfig("max_iters: 5\nrecompute: everything\n", "run.yaml")).toThrow(ConfigError);
    expect(() => parseRunConfig("max_iters: 5\nrecompute: everything\n", "run.yaml")).toThrow(/run\.yaml:2:\d+: recompute must be one of none, residual/);
  });
});
