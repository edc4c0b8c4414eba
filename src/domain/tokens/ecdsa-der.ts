/** ES256 signatures as JWS carries them (raw R || S, RFC 7518 section 3.4) re-encoded as the DER that node:crypto takes. */

/** Bytes of R and of S in a raw P-256 signature. */
const HALF = 32;

/** Where a 32-byte big-endian integer starts once its leading zero bytes are dropped (one byte kept for zero). */
function firstSignificant(raw: Uint8Array, from: number): number {
  let i = from;
  while (i < from + HALF - 1 && raw[i] === 0) i++;
  return i;
}

/** Writes one DER INTEGER (tag 0x02) holding raw[start, end) with a 0x00 pad when its top bit is set; returns the next offset. */
function writeInteger(out: Buffer, at: number, raw: Uint8Array, start: number, end: number): number {
  const pad = (raw[start]! & 0x80) !== 0 ? 1 : 0;
  out[at] = 0x02;
  out[at + 1] = end - start + pad;
  if (pad === 1) out[at + 2] = 0;
  out.set(raw.subarray(start, end), at + 2 + pad);
  return at + 2 + pad + end - start;
}

/**
 * The DER ECDSA-Sig-Value (SEQUENCE of INTEGER r, INTEGER s; X9.62) of a 64-byte raw signature: the minimal encoding,
 * so a given R || S has exactly one DER form. Handing node:crypto a DER signature with the bare KeyObject skips its
 * options-object path (`{ key, dsaEncoding: "ieee-p1363" }`), which costs about a third of a P-256 verify.
 * @throws RangeError when `raw` is not 64 bytes.
 */
export function p256SignatureToDer(raw: Uint8Array): Buffer {
  if (raw.length !== 2 * HALF) throw new RangeError("a raw P-256 signature is 64 bytes");
  const r = firstSignificant(raw, 0);
  const s = firstSignificant(raw, HALF);
  const rLength = HALF - r + ((raw[r]! & 0x80) !== 0 ? 1 : 0);
  const sLength = 2 * HALF - s + ((raw[s]! & 0x80) !== 0 ? 1 : 0);
  // At most 2 + 33 + 2 + 33 = 70 content bytes: the SEQUENCE length fits the short form.
  const out = Buffer.allocUnsafe(2 + 2 + rLength + 2 + sLength);
  out[0] = 0x30;
  out[1] = 2 + rLength + 2 + sLength;
  const next = writeInteger(out, 2, raw, r, HALF);
  writeInteger(out, next, raw, s, 2 * HALF);
  return out;
}
