/** PROOF_MAX_AGE_SECONDS and PROOF_FUTURE_SKEW_SECONDS, and PROOF_SKEW_SECONDS as a deprecated alias of the first. */
import { describe, expect, it } from "vitest";
import { EnvReader } from "../../src/config/env-reader.js";
import { readProofWindow } from "../../src/config/proof-window.js";

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  return { ...readProofWindow(reader), problems: reader.problems };
}

describe("proof window settings", () => {
  it("defaults to 60 s max age and 5 s future skew", () => {
    expect(read({})).toEqual({ proofMaxAgeSeconds: 60, proofFutureSkewSeconds: 5, deprecations: [], problems: [] });
  });

  it("reads both tolerances separately", () => {
    const r = read({ PROOF_MAX_AGE_SECONDS: "120", PROOF_FUTURE_SKEW_SECONDS: "2" });
    expect(r).toMatchObject({ proofMaxAgeSeconds: 120, proofFutureSkewSeconds: 2, problems: [] });
  });

  it("takes PROOF_SKEW_SECONDS as the max age with a deprecation notice; the future skew keeps its default", () => {
    const r = read({ PROOF_SKEW_SECONDS: "90" });
    expect(r).toMatchObject({ proofMaxAgeSeconds: 90, proofFutureSkewSeconds: 5, problems: [] });
    expect(r.deprecations).toEqual([expect.stringMatching(/PROOF_SKEW_SECONDS is deprecated.*PROOF_MAX_AGE_SECONDS/)]);
  });

  it("refuses PROOF_SKEW_SECONDS disagreeing with PROOF_MAX_AGE_SECONDS, accepts it agreeing", () => {
    expect(read({ PROOF_SKEW_SECONDS: "90", PROOF_MAX_AGE_SECONDS: "60" }).problems).toEqual([
      { variable: "PROOF_SKEW_SECONDS", message: expect.stringMatching(/deprecated alias of PROOF_MAX_AGE_SECONDS/) },
    ]);
    expect(read({ PROOF_SKEW_SECONDS: "60", PROOF_MAX_AGE_SECONDS: "60" }).problems).toEqual([]);
  });

  it("refuses out-of-range values, naming the variable", () => {
    const r = read({ PROOF_MAX_AGE_SECONDS: "0", PROOF_FUTURE_SKEW_SECONDS: "301" });
    expect(r.problems.map((p) => p.variable)).toEqual(["PROOF_MAX_AGE_SECONDS", "PROOF_FUTURE_SKEW_SECONDS"]);
  });
});
