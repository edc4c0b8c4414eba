/** DER ECDSA signature (SEQUENCE { r INTEGER, s INTEGER }, as KMS returns) -> JOSE raw R||S of fixed width. */

/**
 * Converts a DER ECDSA-Sig-Value to the JWS form: R and S as unsigned big-endian integers, each left-padded
 * to `size` bytes (32 for P-256). Handles integers shorter than `size` (leading zero bytes dropped by DER)
 * and the 0x00 sign byte DER adds when the high bit is set (33 bytes).
 * @throws Error when the input is not a strict DER signature of that size.
 */
export function derToJoseSignature(der: Uint8Array, size = 32): Uint8Array {
  let offset = 0;
  const fail = (what: string): never => {
    throw new Error(`malformed der ecdsa signature: ${what}`);
  };
  const readLength = (): number => {
    if (offset >= der.length) fail("truncated length");
    const first = der[offset++]!;
    if (first < 0x80) return first;
    if (first !== 0x81) fail("unsupported length form");
    if (offset >= der.length) fail("truncated length");
    const length = der[offset++]!;
    if (length < 0x80) fail("non-minimal length");
    return length;
  };
  const readInteger = (): Uint8Array => {
    if (der[offset++] !== 0x02) fail("expected integer");
    const length = readLength();
    if (length === 0 || offset + length > der.length) fail("bad integer length");
    let bytes = der.subarray(offset, offset + length);
    offset += length;
    if ((bytes[0]! & 0x80) !== 0) fail("negative integer");
    if (bytes[0] === 0 && bytes.length > 1) {
      if ((bytes[1]! & 0x80) === 0) fail("non-minimal integer");
      bytes = bytes.subarray(1);
    }
    if (bytes.length > size) fail("integer too large");
    return bytes;
  };
  if (der[offset++] !== 0x30) fail("expected sequence");
  const sequenceLength = readLength();
  if (offset + sequenceLength !== der.length) fail("sequence length mismatch");
  const r = readInteger();
  const s = readInteger();
  if (offset !== der.length) fail("trailing bytes");
  const out = new Uint8Array(size * 2);
  out.set(r, size - r.length);
  out.set(s, size * 2 - s.length);
  return out;
}
