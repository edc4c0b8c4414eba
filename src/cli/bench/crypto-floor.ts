/**
 * The crypto floor: node:crypto one-shot ES256 and Ed25519 verifications per CPU second on one core (this
 * thread; per CPU second so a busy shared machine does not distort it).
 */
import { generateKeyPairSync, sign, verify } from "node:crypto";

export interface CryptoFloor {
  readonly es256PerSecond: number;
  readonly ed25519PerSecond: number;
  /** Microseconds per ES256 verification (the one signature check a steady-state Verify makes). */
  readonly es256Us: number;
  readonly ed25519Us: number;
}

function rate(durationMs: number, check: () => boolean): number {
  let n = 0;
  const cpu = process.cpuUsage();
  const until = performance.now() + durationMs;
  while (performance.now() < until) {
    for (let i = 0; i < 50; i++) if (check()) n++;
  }
  const used = process.cpuUsage(cpu);
  return n / ((used.user + used.system) / 1e6);
}

/** Measures each algorithm for `durationMs` of wall time on a JWS-sized signing input. */
export function measureCryptoFloor(durationMs: number): CryptoFloor {
  const data = Buffer.alloc(420, 0x61);
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  // DER signature and a bare KeyObject: node:crypto's cheapest ES256 check, the one Verify makes (tokens/ecdsa-der.ts).
  const ecSig = sign("sha256", data, ec.privateKey);
  const ed = generateKeyPairSync("ed25519");
  const edSig = sign(null, data, ed.privateKey);
  const es256PerSecond = rate(durationMs, () => verify("sha256", data, ec.publicKey, ecSig));
  const ed25519PerSecond = rate(durationMs, () => verify(null, data, ed.publicKey, edSig));
  return { es256PerSecond, ed25519PerSecond, es256Us: 1e6 / es256PerSecond, ed25519Us: 1e6 / ed25519PerSecond };
}
