/** RFC 8785 JSON Canonicalization Scheme (JCS) for the JSON values the audit log stores. */
import type { JsonObject, JsonValue } from "../json.js";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function serializeString(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new TypeError("canonical json: string contains a lone surrogate");
  // ECMAScript JSON.stringify string escaping is exactly the JCS rule (RFC 8785 section 3.2.2.2).
  return JSON.stringify(s);
}

function serializeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError("canonical json: numbers must be finite");
  // JCS numbers are the ECMAScript Number-to-String form, which JSON.stringify produces (and -0 becomes 0).
  return JSON.stringify(n);
}

function serializeArray(items: readonly JsonValue[]): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ",";
    out += serialize(items[i]!);
  }
  return out + "]";
}

function serializeObject(obj: JsonObject): string {
  // Default sort compares UTF-16 code units, the order RFC 8785 section 3.2.3 requires.
  const keys = Object.keys(obj).sort();
  let out = "{";
  let first = true;
  for (const key of keys) {
    const item = obj[key];
    if (item === undefined) continue;
    if (!first) out += ",";
    first = false;
    out += serializeString(key) + ":" + serialize(item);
  }
  return out + "}";
}

function serialize(value: JsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return serializeString(value);
    case "number":
      return serializeNumber(value);
    case "object":
      return Array.isArray(value) ? serializeArray(value as readonly JsonValue[]) : serializeObject(value as JsonObject);
    default:
      throw new TypeError(`canonical json: unsupported value of type ${typeof value}`);
  }
}

/** The RFC 8785 canonical text of `value`. Throws TypeError for values JSON cannot carry exactly. */
export function canonicalJson(value: JsonValue): string {
  return serialize(value);
}

const UTF8 = new TextEncoder();

/** The canonical text as UTF-8 bytes. */
export function canonicalJsonBytes(value: JsonValue): Uint8Array {
  return UTF8.encode(canonicalJson(value));
}
