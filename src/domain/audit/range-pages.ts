/** Reading a seq range of the chain a page at a time, so memory holds one page whatever the range. */
import type { AuditReader } from "../storage.js";
import type { AuditEventRecord } from "./chain.js";

/** Events per database read of an export or a chain check. */
export const AUDIT_PAGE_SIZE = 500;

/** Events startSeq..endSeq ascending, read `pageSize` at a time; the next page is read only when asked for. */
export async function* rangeInPages(
  reader: Pick<AuditReader, "range">,
  startSeq: number,
  endSeq: number,
  pageSize: number = AUDIT_PAGE_SIZE,
): AsyncGenerator<AuditEventRecord> {
  for (let from = startSeq; from <= endSeq; from += pageSize) {
    const page = await reader.range(from, Math.min(endSeq, from + pageSize - 1));
    yield* page;
  }
}
