/**
 * The audit chain's definitions without Node APIs, so the browser console verifies exports with the same code:
 * the event types, canonical event bytes (RFC 8785), the bytes a link hashes, and the link hash over WebCrypto.
 */
import { canonicalJsonBytes, type JsonObject } from "./canonical-json.js";

/** prev_hash of the first event (seq 1). */
export const GENESIS_HASH = "0".repeat(64);

/** An audit event as a caller records it; seq and hashes are assigned when it is appended to the chain. */
export interface AuditEventInput {
  /** "evt_..." (newId("evt")), assigned by the caller so a response can carry it. */
  readonly id: string;
  readonly timeMs: number;
  /** The caller's identity (SPIFFE ID, "cn:<name>" or "agent:<id>"). */
  readonly actor: string;
  /** e.g. "org.created", "agent.revoked", "verify.decision". */
  readonly action: string;
  /** The object acted on, e.g. an agent id. */
  readonly target: string;
  readonly orgId: string | undefined;
  readonly requestId: string;
  /** Never contains secrets. */
  readonly details: JsonObject;
}

/** An event on the chain. */
export interface AuditEventRecord extends AuditEventInput {
  readonly seq: number;
  /** The RFC 8785 bytes the hash covers. */
  readonly canonical: Uint8Array;
  readonly prevHash: string;
  readonly hash: string;
}

/** The last event of the chain (undefined when the chain is empty). */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export interface AuditCheckpointRecord {
  readonly seq: number;
  readonly hash: string;
  /** Compact JWS (typ "audit-checkpoint+jwt") over {"seq","hash","iat"}. */
  readonly signature: string;
  readonly createdAtMs: number;
}

/** RFC 3339 UTC with milliseconds, as the canonical form and the export carry it. */
export function formatAuditTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** The canonical bytes of an event: its fixed fields, RFC 8785. A missing org is "". */
export function canonicalEventBytes(event: AuditEventInput & { readonly seq: number }): Uint8Array {
  if (!Number.isSafeInteger(event.seq) || event.seq < 1) throw new RangeError("audit seq must be a positive integer");
  return canonicalJsonBytes({
    id: event.id,
    seq: event.seq,
    time: formatAuditTime(event.timeMs),
    actor: event.actor,
    action: event.action,
    target: event.target,
    org_id: event.orgId ?? "",
    request_id: event.requestId,
    details: event.details,
  });
}

const HEX_64 = /^[0-9a-f]{64}$/;

/** prev_hash_bytes || canonical: what a link's sha256 covers, prev_hash_bytes being the 32 bytes the hex names. */
export function chainLinkBytes(prevHash: string, canonical: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!HEX_64.test(prevHash)) throw new TypeError("prev_hash must be 64 lower-case hex characters");
  const bytes = new Uint8Array(32 + canonical.length);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(prevHash.slice(2 * i, 2 * i + 2), 16);
  bytes.set(canonical, 32);
  return bytes;
}

/** hex(sha256(prev_hash_bytes || canonical)) with WebCrypto (browsers and Node alike): the verifier's hash. */
export async function chainHashWeb(prevHash: string, canonical: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", chainLinkBytes(prevHash, canonical)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
