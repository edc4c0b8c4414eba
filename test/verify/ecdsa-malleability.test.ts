// ES256 signatures come in two valid forms (s and n - s). Both verify; the nonce is the signed jti, so the second
// form of a used proof is a replay, and either form alone verifies once (docs/proof-format.md, "Signatures").
import { describe, expect, it } from "vitest";
import { buildWorld, newAgentKey, RP } from "./fixture.js";

/** The P-256 group order n. */
const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

/** The other valid form of an ES256 compact JWS: S replaced by n - S. */
function otherForm(jws: string): { twin: string } {
  const [h, p, sig] = jws.split(".") as [string, string, string];
  const raw = Buffer.from(sig, "base64url");
  const s = BigInt(`0x${raw.subarray(32).toString("hex")}`);
  const flipped = Buffer.from((N - s).toString(16).padStart(64, "0"), "hex");
  return { twin: `${h}.${p}.${Buffer.concat([raw.subarray(0, 32), flipped]).toString("base64url")}` };
}

describe("ECDSA signature forms", () => {
  it("both forms of one proof verify as the same proof: the first verifies, the other is nonce_replay", async () => {
    const w = await buildWorld();
    const key = await newAgentKey(w.clock, "ES256");
    const state = { ...w.state, publicJwk: key.client.publicJwk, keyThumbprint: key.client.thumbprint, stateVersion: 2 };
    await w.commit(state, true);
    const credential = await w.issuer.issue(state, "iss-1");
    const base = { caller: RP, presented: { kind: "credential" as const, token: credential }, scope: "payments:write", operation: "payment.create", amountMinor: 1n, currency: "EUR" };
    for (let i = 0; i < 8; i++) {
      const proof = await key.client.makeProof({ audience: RP, scope: "payments:write", op: "payment.create", amountMinor: 1n, currency: "EUR", credentialOrSession: credential });
      const { twin } = otherForm(proof);
      const [first, second] = i % 2 === 0 ? [proof, twin] : [twin, proof];
      expect((await w.verifier.verify({ ...base, proof: first })).reasonCode).toBe("verified");
      expect((await w.verifier.verify({ ...base, proof: second })).reasonCode).toBe("nonce_replay");
    }
  });
});
