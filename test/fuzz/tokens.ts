// Malformed and hostile compact JWS strings for token fields (credentials, proofs, sessions, possession proofs).
import type { Prng } from "./prng.js";

const b64 = (v: unknown): string => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

const CLAIMS = { jti: "AAAAAAAAAAAAAAAAAAAAAA", iat: 1700000000, aud: "spiffe://x", scope: "a", op: "b", amt: 0, cur: "", ath: "A".repeat(43) };

/** One hostile token, chosen by the PRNG. */
export function hostileToken(prng: Prng, valid: readonly string[]): string {
  const sig = b64("x".repeat(64));
  const shapes: (() => string)[] = [
    () => `${b64({ alg: "none", typ: "agent-proof+jwt" })}.${b64(CLAIMS)}.`,
    () => `${b64({ alg: "ES256", typ: "agent-proof+jwt", crit: ["exp"] })}.${b64(CLAIMS)}.${sig}`,
    () => `${b64({ alg: "ES256", typ: "agent-proof+jwt", kid: "x", jwk: { kty: "EC" } })}.${b64(CLAIMS)}.${sig}`,
    () => `${b64({ alg: "EdDSA", typ: "agent-cred+jwt", kid: "nope" })}.${b64({ ...CLAIMS, iat: "1700000000", amt: "5" })}.${sig}`,
    () => `${b64({ alg: "ES256", typ: "x".repeat(6000) })}.${b64(CLAIMS)}.${sig}`,
    () => `${b64({ alg: "ES256", typ: "agent-proof+jwt" })}.${b64(`${b64({ alg: "none" })}.${b64(CLAIMS)}.`)}.${sig}`,
    () => `${b64("\u0000\u0000")}.${b64(CLAIMS)}.${sig}`,
    () => `${Buffer.from([0xff, 0xfe, 0x80]).toString("base64url")}.${Buffer.from([0xc3, 0x28]).toString("base64url")}.${sig}`,
    () => `${b64({ alg: "ES256", typ: "agent-proof+jwt" })}.${b64([1, 2, 3])}.${sig}`,
    () => `${b64({ alg: "ES256", typ: "agent-proof+jwt" })}.${b64("null")}.${sig}`,
    () => "a.b.c!",
    () => "=.=.=",
    () => `${"e".repeat(9000)}.x.y`,
    () => `a\u0000b.c.d`,
    () => (valid.length > 0 ? mutate(prng, prng.pick(valid)) : "x.y.z"),
    () => (valid.length > 0 ? `${prng.pick(valid)}.${prng.pick(valid)}` : "x.y.z.w"),
  ];
  return prng.pick(shapes)();
}

function mutate(prng: Prng, token: string): string {
  const chars = [...token];
  const at = prng.int(chars.length);
  switch (prng.int(3)) {
    case 0:
      chars[at] = prng.pick(["A", "_", "-", ".", "=", "\u0000", "é"]);
      break;
    case 1:
      chars.splice(at, 1);
      break;
    default:
      chars.splice(at, 0, prng.pick([".", "A", "\uffff"]));
  }
  return chars.join("");
}
