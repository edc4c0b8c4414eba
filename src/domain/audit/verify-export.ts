/**
 * Offline verification of an audit export against the operator's trusted issuer keys: hashes, links, contiguity
 * from the anchor, checkpoint signatures and revocation, and a signed checkpoint at the export's end. No Node
 * APIs: `npm run audit:verify` and the browser console run this same code.
 */
import { canonicalEventBytes, chainHashWeb, GENESIS_HASH } from "./chain-link.js";
import type { SignedCheckpoint } from "./checkpoint-jws.js";
import type { AuditExport } from "./export-file.js";

/** A checkpoint whose signature verified against a trusted key, and that key's revocation time, if any. */
export interface CheckpointStatement {
  readonly claims: SignedCheckpoint;
  readonly kid: string;
  /** When the trusted key list says the key was revoked (ms); checkpoints made at or after it are refused. */
  readonly revokedAtMs?: number;
}

/** Checks a checkpoint JWS against the trusted keys (never the export's own JWKS); throws when invalid. */
export type CheckpointSignatureVerifier = (jws: string) => Promise<CheckpointStatement>;

export type VerifyExportResult =
  | {
      readonly ok: true;
      readonly startSeq: number;
      readonly endSeq: number;
      readonly events: number;
      readonly checkpoints: number;
    }
  | {
      readonly ok: false;
      /** The seq of the first broken link (0 for a broken header). */
      readonly seq: number;
      readonly problem: string;
    };

const HEX_64 = /^[0-9a-f]{64}$/;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Verifies an export and returns the first broken link: events must run contiguously from header.startSeq to
 * header.endSeq, the first linking to the anchor (64 zeros for seq 1); each event's canonical bytes must be the
 * RFC 8785 form of its fields and its hash hex(sha256(prev_hash_bytes || canonical)). Every checkpoint must carry
 * a valid signature by a trusted key, made before that key's revocation, stating exactly the (seq, hash) found in
 * the chain; and one of them must state the last event (header.endSeq), so a cut or re-chained tail is caught.
 */
export async function verifyExport(doc: AuditExport, verifyCheckpointSignature: CheckpointSignatureVerifier): Promise<VerifyExportResult> {
  const { header } = doc;
  const fail = (seq: number, problem: string): VerifyExportResult => ({ ok: false, seq, problem });
  if (header.startSeq < 1 || header.endSeq < header.startSeq) return fail(0, "header: invalid seq range");
  if (!HEX_64.test(header.anchorHash)) return fail(header.startSeq, "header: anchor hash is not 64 hex characters");
  if (header.startSeq === 1 && header.anchorHash !== GENESIS_HASH) return fail(1, "header: the anchor of seq 1 must be 64 zeros");

  const hashBySeq = new Map<number, string>();
  let prevHash = header.anchorHash;
  for (let i = 0; i < doc.events.length; i++) {
    const e = doc.events[i]!;
    const expected = header.startSeq + i;
    if (e.seq !== expected) {
      return fail(expected, e.seq > expected ? `event ${expected} is missing (found ${e.seq})` : `event ${e.seq} is out of order`);
    }
    if (e.seq > header.endSeq) return fail(e.seq, "event beyond the header's end seq");
    if (e.prevHash !== prevHash) {
      return fail(e.seq, expected === header.startSeq ? "prev_hash does not match the anchor" : `prev_hash does not link to event ${e.seq - 1}`);
    }
    let canonical: Uint8Array;
    try {
      canonical = canonicalEventBytes(e);
    } catch (err) {
      return fail(e.seq, `fields cannot be canonicalised: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!sameBytes(canonical, e.canonical)) return fail(e.seq, "canonical bytes do not match the event's fields");
    if ((await chainHashWeb(e.prevHash, e.canonical)) !== e.hash) return fail(e.seq, "hash does not match sha256(prev_hash || canonical)");
    hashBySeq.set(e.seq, e.hash);
    prevHash = e.hash;
  }
  const lastSeq = header.startSeq + doc.events.length - 1;
  if (lastSeq < header.endSeq) return fail(lastSeq + 1, `event ${lastSeq + 1} is missing (the export ends early)`);

  const sorted = [...doc.checkpoints].sort((a, b) => a.seq - b.seq);
  for (const cp of sorted) {
    const chained = hashBySeq.get(cp.seq);
    if (chained === undefined) return fail(cp.seq, "checkpoint outside the exported range");
    let verified: CheckpointStatement;
    try {
      verified = await verifyCheckpointSignature(cp.signature);
    } catch (err) {
      return fail(cp.seq, `checkpoint signature invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
    const statement = verified.claims;
    if (verified.revokedAtMs !== undefined && statement.iat * 1000 >= verified.revokedAtMs) {
      const at = new Date(verified.revokedAtMs).toISOString();
      return fail(cp.seq, `checkpoint signed by issuer key ${verified.kid} at or after its revocation (${at})`);
    }
    if (statement.seq !== cp.seq || statement.hash !== cp.hash) return fail(cp.seq, "checkpoint fields differ from what its signature states");
    if (statement.hash !== chained) return fail(cp.seq, "signed checkpoint hash differs from the chain's hash at this seq (history rewritten)");
  }
  if (sorted.at(-1)?.seq !== header.endSeq) {
    return fail(header.endSeq, "no signed checkpoint states the export's last event (tail cut, re-chained or not yet checkpointed)");
  }
  return { ok: true, startSeq: header.startSeq, endSeq: header.endSeq, events: doc.events.length, checkpoints: sorted.length };
}
