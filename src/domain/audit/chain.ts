/** The audit hash chain on the server: the synchronous link hash and sealing (definitions in chain-link.ts). */
import { createHash } from "node:crypto";
import { chainLinkBytes, canonicalEventBytes, GENESIS_HASH, type AuditEventInput, type AuditEventRecord, type ChainHead } from "./chain-link.js";

export {
  canonicalEventBytes,
  chainHashWeb,
  chainLinkBytes,
  formatAuditTime,
  GENESIS_HASH,
  type AuditCheckpointRecord,
  type AuditEventInput,
  type AuditEventRecord,
  type ChainHead,
} from "./chain-link.js";

/** hex(sha256(prev_hash_bytes || canonical)), prev_hash_bytes being the 32 bytes the hex names. */
export function chainHash(prevHash: string, canonical: Uint8Array): string {
  return createHash("sha256").update(chainLinkBytes(prevHash, canonical)).digest("hex");
}

/** Appends `inputs` after `head` (undefined = empty chain), in order. */
export function sealEvents(head: ChainHead | undefined, inputs: readonly AuditEventInput[]): AuditEventRecord[] {
  let seq = head?.seq ?? 0;
  let prevHash = head?.hash ?? GENESIS_HASH;
  const out: AuditEventRecord[] = [];
  for (const input of inputs) {
    seq += 1;
    const canonical = canonicalEventBytes({ ...input, seq });
    const hash = chainHash(prevHash, canonical);
    out.push({ ...input, seq, canonical, prevHash, hash });
    prevHash = hash;
  }
  return out;
}
