/** The Node-free chain definitions the browser uses agree with the server's sealing hash. */
import { describe, expect, it } from "vitest";
import { chainHash, chainHashWeb, chainLinkBytes, GENESIS_HASH, sealEvents } from "../../src/domain/audit/chain.js";
import { parseExportFile } from "../../src/domain/audit/export-file.js";

describe("chain-link", () => {
  it("computes the same link hash with WebCrypto as with node:crypto", async () => {
    const [first, second] = sealEvents(undefined, [
      { id: "evt_a", timeMs: 1_700_000_000_000, actor: "x", action: "org.created", target: "org_1", orgId: undefined, requestId: "r", details: { n: 1 } },
      { id: "evt_b", timeMs: 1_700_000_000_001, actor: "y", action: "agent.revoked", target: "agt_1", orgId: "org_1", requestId: "r2", details: { s: "é" } },
    ]);
    expect(await chainHashWeb(GENESIS_HASH, first!.canonical)).toBe(first!.hash);
    expect(await chainHashWeb(first!.hash, second!.canonical)).toBe(chainHash(first!.hash, second!.canonical));
    expect(chainLinkBytes("ab".repeat(32), new Uint8Array([1, 2])).slice(30)).toEqual(new Uint8Array([0xab, 0xab, 1, 2]));
    expect(() => chainLinkBytes("AB".repeat(32), new Uint8Array())).toThrow(TypeError);
  });

  it("decodes canonical bytes in base64 and base64url without Buffer", () => {
    const header = '{"header":{"startSeq":"1","endSeq":"1","anchorHash":"' + GENESIS_HASH + '","jwks":"{}"}}';
    for (const encoded of ["+/8=", "-_8", "-_8="]) {
      const doc = parseExportFile(`${header}\n{"event":{"seq":"1","time":"2024-01-01T00:00:00Z","canonical":"${encoded}"}}\n`);
      expect(doc.events[0]!.canonical).toEqual(new Uint8Array([0xfb, 0xff]));
    }
    expect(() => parseExportFile(`${header}\n{"event":{"seq":"1","time":"2024-01-01T00:00:00Z","canonical":"A"}}\n`)).toThrow(/base64/);
  });
});
