/** The browser's WebCrypto checkpoint verifier gives the same answer as the token module's (audit:verify's). */
import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { signerFromPrivateJwk } from "../../src/adapters/signer/file-signer.js";
import { createP256PrivateJwk } from "../../src/config/dev-keys.js";
import { signCheckpoint, verifyCheckpointJws } from "../../src/domain/audit/checkpoint-jws.js";
import { verifyCheckpointJwsWeb } from "../../src/domain/audit/checkpoint-web.js";
import { parseTrustedKeys } from "../../src/domain/audit/trusted-keys.js";
import type { Signer } from "../../src/domain/issuer/signer.js";
import { signJwt } from "../support/jws.js";

const HASH = "ab".repeat(32);

async function outcome(verify: (jws: string, jwks: string) => Promise<unknown>, jws: string, jwks: string): Promise<unknown> {
  try {
    return { ok: await verify(jws, jwks) };
  } catch (e) {
    // The fault class ("checkpoint header: ...") is the part both verifiers name the same way.
    return { fault: String((e as Error).message).split(":")[0] };
  }
}

async function signers(): Promise<Signer[]> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  return [await signerFromPrivateJwk(await createP256PrivateJwk()), await signerFromPrivateJwk(await exportJWK(privateKey))];
}

describe("verifyCheckpointJwsWeb", () => {
  it("agrees with verifyCheckpointJws on valid and broken checkpoints, ES256 and EdDSA", async () => {
    for (const signer of await signers()) {
      const jwks = JSON.stringify({ keys: [{ ...signer.publicJwk, kid: signer.kid, alg: signer.alg }] });
      const valid = await signCheckpoint(signer, 7, HASH, 1_700_000_000_000);
      const [h, p, s] = valid.split(".") as [string, string, string];
      const otherPayload = Buffer.from(JSON.stringify({ seq: 8, hash: HASH, iat: 1 })).toString("base64url");
      const cases: Record<string, string> = {
        valid,
        tamperedPayload: `${h}.${otherPayload}.${s}`,
        flippedSignature: `${h}.${p}.${s.slice(0, 5)}${s[5] === "A" ? "B" : "A"}${s.slice(6)}`,
        wrongTyp: await signJwt(signer, { typ: "admin+jwt" }, { seq: 7, hash: HASH, iat: 1 }),
        extraHeader: await signJwt(signer, { typ: "audit-checkpoint+jwt", jku: "https://evil.example" }, { seq: 7, hash: HASH, iat: 1 }),
        badClaims: await signJwt(signer, { typ: "audit-checkpoint+jwt" }, { seq: "7", hash: HASH, iat: 1 }),
        notAJws: "a.b",
      };
      for (const [name, jws] of Object.entries(cases)) {
        const node = await outcome((t, k) => verifyCheckpointJws(t, parseTrustedKeys(k)).then((s) => s.claims), jws, jwks);
        expect(await outcome(verifyCheckpointJwsWeb, jws, jwks), `${signer.alg} ${name}`).toEqual(node);
      }
      expect(await outcome(verifyCheckpointJwsWeb, valid, jwks)).toEqual({ ok: { seq: 7, hash: HASH, iat: 1_700_000_000 } });
      expect(await outcome(verifyCheckpointJwsWeb, valid, JSON.stringify({ keys: [] }))).toEqual({ fault: "checkpoint unknown_key" });
    }
  });
});
