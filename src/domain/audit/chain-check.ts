/** Checking one event's place in the chain: its link to the previous hash, its canonical bytes and its hash. */
import { canonicalEventBytes, chainHash, type AuditEventRecord } from "./chain.js";

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * What is wrong with `e` itself, or undefined when its canonical bytes are the RFC 8785 form of its fields and its
 * hash is hex(sha256(prev_hash_bytes || canonical)). Its link to the previous event is the caller's to check.
 */
export function eventContentProblem(e: AuditEventRecord): string | undefined {
  let canonical: Uint8Array;
  try {
    canonical = canonicalEventBytes(e);
  } catch (err) {
    return `fields cannot be canonicalised: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (!sameBytes(canonical, e.canonical)) return "canonical bytes do not match the event's fields";
  if (chainHash(e.prevHash, e.canonical) !== e.hash) return "hash does not match sha256(prev_hash || canonical)";
  return undefined;
}
