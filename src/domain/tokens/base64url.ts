/** Strict base64url (RFC 4648 section 5, no padding) decoding for key and token material. */

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The bytes of `text` as a Buffer that may share Node's allocation pool (read it, never keep its .buffer), or
 * undefined when it is not canonical unpadded base64url. The token envelope reads parts through it without a copy.
 */
export function decodeBase64urlView(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64url");
  // Re-encoding rejects non-zero trailing bits, which would let two strings name one key.
  if (bytes.toString("base64url") !== text) return undefined;
  return bytes;
}

/** The bytes of `text` in their own ArrayBuffer, or undefined when it is not canonical unpadded base64url. */
export function decodeBase64urlStrict(text: string): Uint8Array | undefined {
  const bytes = decodeBase64urlView(text);
  return bytes === undefined ? undefined : new Uint8Array(bytes);
}

export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}
