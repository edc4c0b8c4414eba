/** Keyset pagination: bounded page sizes and opaque base64url page tokens carrying the last row's key. */
import { MAX_TIME_MS } from "../../domain/bounds.js";
import { invalidField } from "../../domain/errors.js";
import type { PageRequest } from "../../domain/storage.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export function pageSize(request: PageRequest): number {
  const n = request.pageSize ?? 0;
  if (!Number.isInteger(n) || n <= 0) return DEFAULT_PAGE_SIZE;
  return Math.min(n, MAX_PAGE_SIZE);
}

/** Cursor after (createdAtMs, id). */
export interface TimeIdCursor {
  readonly t: number;
  readonly i: string;
}

export function encodeToken(cursor: object): string {
  return Buffer.from(JSON.stringify(cursor), "utf8").toString("base64url");
}

function badToken(): Error {
  return invalidField("pagination.invalid_token", "page_token", "not a page token of this list");
}

function decodeJson(token: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(token)) throw badToken();
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw badToken();
    return value as Record<string, unknown>;
  } catch {
    throw badToken();
  }
}

export function decodeTimeIdToken(token: string | undefined): TimeIdCursor | undefined {
  if (token === undefined || token === "") return undefined;
  const v = decodeJson(token);
  const { t, i } = v;
  if (typeof t !== "number" || !Number.isSafeInteger(t) || t < 0 || t > MAX_TIME_MS) throw badToken();
  if (typeof i !== "string" || !/^[a-z]{3}_[0-9a-z]{1,60}$/.test(i)) throw badToken();
  return { t, i };
}

/** Cursor below seq (newest-first lists). */
export function decodeSeqToken(token: string | undefined): number | undefined {
  if (token === undefined || token === "") return undefined;
  const v = decodeJson(token);
  if (typeof v.s !== "number" || !Number.isSafeInteger(v.s) || v.s < 1) throw badToken();
  return v.s;
}
