/**
 * Offline verification of an audit export against the operator's trusted issuer keys: hashes, links, contiguity
 * from the anchor, checkpoint signatures and revocation, and a signed checkpoint at the export's end.
 */
import { GENESIS_HASH } from "./chain.js";
import { eventContentProblem } from "./chain-check.js";
import type { VerifiedCheckpoint } from "./checkpoint-jws.js";
import type { AuditExport } from "./export-file.js";

/** Checks a checkpoint JWS against the trusted keys (never the export's own JWKS); throws when invalid. */
export type CheckpointSignatureVerifier = (jws: string) => Promise<VerifiedCheckpoint>;

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

type Failure = { readonly ok: false; readonly seq: number; readonly problem: string };
const fail = (seq: number, problem: string): Failure => ({ ok: false, seq, problem });

/** The chain part: contiguous events from the anchor to header.endSeq; returns each seq's hash, or the failure. */
function checkEvents(doc: AuditExport): Map<number, string> | Failure {
  const { header } = doc;
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
      return fail(e.seq, i === 0 ? "prev_hash does not match the anchor" : `prev_hash does not link to event ${e.seq - 1}`);
    }
    const problem = eventContentProblem(e);
    if (problem !== undefined) return fail(e.seq, problem);
    hashBySeq.set(e.seq, e.hash);
    prevHash = e.hash;
  }
  const lastSeq = header.startSeq + doc.events.length - 1;
  if (lastSeq < header.endSeq) return fail(lastSeq + 1, `event ${lastSeq + 1} is missing (the export ends early)`);
  return hashBySeq;
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
  const hashBySeq = checkEvents(doc);
  if (!(hashBySeq instanceof Map)) return hashBySeq;

  const sorted = [...doc.checkpoints].sort((a, b) => a.seq - b.seq);
  for (const cp of sorted) {
    const chained = hashBySeq.get(cp.seq);
    if (chained === undefined) return fail(cp.seq, "checkpoint outside the exported range");
    let verified: VerifiedCheckpoint;
    try {
      verified = await verifyCheckpointSignature(cp.signature);
    } catch (err) {
      return fail(cp.seq, `checkpoint signature invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
    const { claims, key } = verified;
    if (key.revokedAtMs !== undefined && claims.iat * 1000 >= key.revokedAtMs) {
      return fail(cp.seq, `checkpoint signed by issuer key ${key.kid} at or after its revocation (${new Date(key.revokedAtMs).toISOString()})`);
    }
    if (claims.seq !== cp.seq || claims.hash !== cp.hash) return fail(cp.seq, "checkpoint fields differ from what its signature states");
    if (claims.hash !== chained) return fail(cp.seq, "signed checkpoint hash differs from the chain's hash at this seq (history rewritten)");
  }
  if (sorted.at(-1)?.seq !== header.endSeq) {
    return fail(header.endSeq, "no signed checkpoint states the export's last event (tail cut, re-chained or not yet checkpointed)");
  }
  return { ok: true, startSeq: header.startSeq, endSeq: header.endSeq, events: doc.events.length, checkpoints: sorted.length };
}
