/** Unit tests of the peer derivation: SPIFFE rules, CN identities, role prefixes, the x5t#S256 thumbprint. */
import { createHash, X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { checkSpiffeId, derivePeer, rolesFor } from "../../src/server/peer-identity.js";
import type { PeerConfig } from "../../src/server/peer-identity.js";
import { createCa, issueLeaf } from "../support/tls.js";
import type { TestCa } from "../support/tls.js";

const TD = "test.local";
const config: PeerConfig = {
  trustDomain: TD,
  allowCnIdentity: false,
  roleRules: [
    { prefix: `spiffe://${TD}/`, role: "agent" },
    { prefix: `spiffe://${TD}/admin/`, role: "admin" },
    { prefix: `spiffe://${TD}/ops/`, role: "admin" },
    { prefix: `spiffe://${TD}/ops/`, role: "relying-party" },
    { prefix: "cn:ops-", role: "admin" },
  ],
};

let ca: TestCa;
beforeAll(async () => {
  ca = await createCa("unit ca");
});

async function der(uris: string[], cn = "client"): Promise<Uint8Array> {
  const pem = (await issueLeaf(ca, { cn, uris, usage: "client" })).cert;
  return new X509Certificate(pem).raw;
}

describe("derivePeer", () => {
  it("takes the single SPIFFE URI SAN with roles from the longest prefix and the x5t#S256 thumbprint", async () => {
    const raw = await der([`spiffe://${TD}/admin/alice`]);
    const r = derivePeer(raw, config);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.peer.identity).toBe(`spiffe://${TD}/admin/alice`);
    expect([...r.peer.roles]).toEqual(["admin"]);
    expect(r.peer.certThumbprint).toBe(createHash("sha256").update(raw).digest("base64url"));
    expect(r.peer.certThumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    [[], "no uri san"],
    [[`spiffe://${TD}/a`, `spiffe://${TD}/b`], "2 uri sans"],
    [["https://test.local/admin"], "not a spiffe id"],
    ["spiffe://other.example/admin/x".split(" "), "outside the trust domain"],
    [[`spiffe://${TD}`], "no path"],
  ])("refuses URI SANs %j (%s)", async (uris, reason) => {
    const r = derivePeer(await der(uris), config);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(reason);
  });

  it("accepts a CN only when configured, written cn:<name>", async () => {
    const raw = await der([], "ops-bot");
    expect(derivePeer(raw, config).ok).toBe(false);
    const r = derivePeer(raw, { ...config, allowCnIdentity: true });
    expect(r.ok && r.peer.identity).toBe("cn:ops-bot");
    expect(r.ok && [...r.peer.roles]).toEqual(["admin"]);
  });

  it("still refuses two URI SANs when CN identities are allowed", async () => {
    expect(derivePeer(await der([`spiffe://${TD}/a`, `spiffe://${TD}/b`]), { ...config, allowCnIdentity: true }).ok).toBe(false);
  });

  it("refuses bytes that are not a certificate", () => {
    expect(derivePeer(new Uint8Array([1, 2, 3]), config).ok).toBe(false);
  });
});

describe("rolesFor", () => {
  it("gives every role of the longest matching prefix", () => {
    expect([...rolesFor(`spiffe://${TD}/ops/x`, config.roleRules)].sort()).toEqual(["admin", "relying-party"]);
    expect([...rolesFor(`spiffe://${TD}/other`, config.roleRules)]).toEqual(["agent"]);
    expect(rolesFor("spiffe://else/x", config.roleRules).size).toBe(0);
  });
});

describe("checkSpiffeId", () => {
  it.each(["spiffe://test.local/a/../b", "spiffe://test.local/a//b", "spiffe://test.local:8080/a", "SPIFFE://test.local/a", "spiffe://test.local/a?x=1"])(
    "refuses %s",
    (uri) => {
      expect(checkSpiffeId(uri, TD).ok).toBe(false);
    },
  );
});
