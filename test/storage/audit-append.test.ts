// The one-statement audit append splits each event's canonical bytes around its seq; the split must be exact.
import { describe, expect, it } from "vitest";
import { canonicalAroundSeq } from "../../src/adapters/sql/audit-repository.js";
import { canonicalEventBytes } from "../../src/domain/audit/chain.js";
import { auditInput } from "../audit/support.js";

describe("canonical bytes around seq", () => {
  const tricky = auditInput(7, {
    target: 'agt_"seq":1,"target":x',
    details: { seq: 1, target: "t", nested: { seq: 5 }, note: ',"seq":1,"target":"' },
  });

  for (const [name, input] of [
    ["a plain event", auditInput(1)],
    ["an event whose details and target mimic the seq member", tricky],
  ] as const) {
    it(`head || decimal(seq) || tail is the canonical form for any seq: ${name}`, () => {
      const { head, tail } = canonicalAroundSeq(input);
      for (const seq of [1, 9, 10, 12_345, Number.MAX_SAFE_INTEGER]) {
        const joined = Buffer.concat([head, Buffer.from(String(seq)), tail]);
        expect(joined.equals(Buffer.from(canonicalEventBytes({ ...input, seq })))).toBe(true);
      }
    });
  }
});
