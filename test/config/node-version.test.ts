// The runtime check main.ts runs first: only supported Node.js majors start the service.
import { describe, expect, it } from "vitest";
import { unsupportedNodeVersion } from "../../src/config/node-version.js";

describe("unsupportedNodeVersion", () => {
  it("accepts Node 24", () => {
    expect(unsupportedNodeVersion("v24.21.0")).toBeUndefined();
  });
  it("refuses end-of-life and unknown majors with a one-line reason", () => {
    for (const v of ["v20.20.2", "v22.1.0", "v18.0.0", "v26.10.0", "garbage"]) {
      const why = unsupportedNodeVersion(v);
      expect(why).toContain(`Node.js ${v} is not supported`);
      expect(why).not.toContain("\n");
    }
  });
  it("is what the tests themselves run on", () => {
    expect(unsupportedNodeVersion(process.version)).toBeUndefined();
  });
});
