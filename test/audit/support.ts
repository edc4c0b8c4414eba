/** Audit test helpers: a real P-256 signer, event builders, writing export files. */
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JWK } from "jose";
import { newId } from "../../src/domain/ids.js";
import type { Signer } from "../../src/domain/keys/index.js";
import type { AuditEventInput } from "../../src/domain/audit/index.js";

/** An in-process ES256 signer over a fresh P-256 key (raw R||S signatures, as the port demands). */
export function testSigner(kid = "test-issuer-key"): Signer & { readonly jwks: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pub = publicKey.export({ format: "jwk" }) as JWK;
  const publicJwk: JWK = { kty: pub.kty, crv: pub.crv, x: pub.x, y: pub.y };
  return {
    kid,
    alg: "ES256",
    publicJwk,
    jwks: JSON.stringify({ keys: [{ ...publicJwk, kid, alg: "ES256", use: "sig" }] }),
    async sign(data: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(sign("sha256", data, { key: privateKey, dsaEncoding: "ieee-p1363" }));
    },
  };
}

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

export function auditInput(i: number, overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    id: newId("evt"),
    timeMs: T0 + i,
    actor: "spiffe://agent-identity.local/admin/ops",
    action: i % 2 === 0 ? "agent.registered" : "org.created",
    target: `agt_target${i}`,
    orgId: i % 3 === 0 ? undefined : "org_example",
    requestId: `req-${i}`,
    details: { index: i, name: "caf\u00e9 \u20ac", nested: { b: [1, true, null], a: "x" } },
    ...overrides,
  };
}

/** Writes `text` to a fresh temporary file and returns its path. */
export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "audit-test-"));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
