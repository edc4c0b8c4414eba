/** Envelope parsing of a compact JWS (three base64url parts, a JSON object header) before any crypto. */
import { decodeBase64urlStrict } from "./base64url.js";

/** Longest token accepted anywhere (credentials, proofs, possession proofs). */
export const MAX_COMPACT_JWS_BYTES = 8 * 1024;

export interface CompactJwsParts {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payloadBytes: Uint8Array;
  readonly signature: Uint8Array;
}

/** The parsed parts, or a lower-case description of why `token` is not a compact JWS. */
export function parseCompactJws(token: string): CompactJwsParts | string {
  if (token.length === 0) return "empty";
  if (token.length > MAX_COMPACT_JWS_BYTES) return `longer than ${MAX_COMPACT_JWS_BYTES} bytes`;
  const parts = token.split(".");
  if (parts.length !== 3) return "not a compact JWS (expected three dot-separated parts)";
  const [h, p, s] = parts as [string, string, string];
  const headerBytes = decodeBase64urlStrict(h);
  const payloadBytes = decodeBase64urlStrict(p);
  const signature = decodeBase64urlStrict(s);
  if (headerBytes === undefined || payloadBytes === undefined || signature === undefined) {
    return "not a compact JWS (a part is not base64url)";
  }
  const header = parseJsonObject(headerBytes);
  if (header === undefined) return "not a compact JWS (header is not a JSON object)";
  return { header, payloadBytes, signature };
}

/** A JSON object from UTF-8 bytes, or undefined. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    return value as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
