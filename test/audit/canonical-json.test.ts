/** RFC 8785 canonical JSON against the RFC's own examples and the edge cases we rely on. */
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../src/domain/json.js";
import { canonicalJson } from "../../src/domain/audit/index.js";

describe("canonicalJson (RFC 8785)", () => {
  it("serialises the RFC 8785 section 3.2.2 sample exactly", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    ) as JsonValue;
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts keys by UTF-16 code units (RFC 8785 section 3.2.3)", () => {
    const input = JSON.parse(
      '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",' +
        ' "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}',
    ) as Record<string, JsonValue>;
    // (Not via JSON.parse + Object.keys: JS objects list integer-like keys such as "1" first.)
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it("writes integers, -0, nested objects and empty containers canonically", () => {
    expect(canonicalJson({ b: 1, a: [{ z: -0, y: 9007199254740991 }, [], {}] })).toBe('{"a":[{"y":9007199254740991,"z":0},[],{}],"b":1}');
    expect(canonicalJson("\u2028")).toBe('"\u2028"');
  });

  it("refuses what JSON cannot carry exactly", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => canonicalJson("\ud800")).toThrow(TypeError);
    expect(() => canonicalJson({ k: 1n } as unknown as JsonValue)).toThrow(TypeError);
  });
});
