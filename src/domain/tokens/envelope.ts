/** Envelope parsing of a compact JWS (three base64url parts, JSON object header and payload) before any crypto. */
import { decodeBase64urlView } from "./base64url.js";

/** Longest token accepted anywhere (credentials, proofs, sessions, possession proofs): 8 KiB of ASCII. */
export const MAX_TOKEN_BYTES = 8 * 1024;

export interface CompactJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** The ASCII bytes the signature covers: base64url(header) "." base64url(payload). */
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

/** The parsed token, or a lower-case description of why `token` is not a compact JWS of JSON objects. */
export function parseCompactJws(token: string): CompactJws | string {
  if (token.length === 0) return "required";
  if (token.length > MAX_TOKEN_BYTES) return `at most ${MAX_TOKEN_BYTES} bytes`;
  const parts = token.split(".");
  if (parts.length !== 3) return "not a compact JWS (expected three dot-separated parts)";
  const [h, p, s] = parts as [string, string, string];
  const headerBytes = decodeBase64urlView(h);
  const payloadBytes = decodeBase64urlView(p);
  const signature = decodeBase64urlView(s);
  if (headerBytes === undefined || payloadBytes === undefined || signature === undefined) {
    return "not a compact JWS (a part is not base64url)";
  }
  const header = parseJsonObject(headerBytes);
  if (header === undefined) return "not a compact JWS (header is not a JSON object)";
  const payload = parseJsonObject(payloadBytes);
  if (payload === undefined) return "payload is not a JSON object";
  // The signing input is the token up to its second dot (the parts are base64url: ASCII).
  return { header, payload, signingInput: Buffer.from(token.slice(0, h.length + 1 + p.length), "latin1"), signature };
}

/** One strict decoder for every token: decode() without { stream } keeps no state between calls. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A JSON object from UTF-8 bytes, or undefined. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(UTF8.decode(bytes));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    return value as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
