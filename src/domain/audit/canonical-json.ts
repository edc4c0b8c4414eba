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

function serialize(value: JsonValue, out: string[]): void {
  if (value === null) {
    out.push("null");
  } else if (typeof value === "boolean") {
    out.push(value ? "true" : "false");
  } else if (typeof value === "string") {
    out.push(serializeString(value));
  } else if (typeof value === "number") {
    out.push(serializeNumber(value));
  } else if (Array.isArray(value)) {
    out.push("[");
    value.forEach((item: JsonValue, i: number) => {
      if (i > 0) out.push(",");
      serialize(item, out);
    });
    out.push("]");
  } else if (typeof value === "object") {
    const obj = value as JsonObject;
    // Default sort compares UTF-16 code units, the order RFC 8785 section 3.2.3 requires.
    const keys = Object.keys(obj).sort();
    out.push("{");
    let first = true;
    for (const key of keys) {
      const item = obj[key];
      if (item === undefined) continue;
      if (!first) out.push(",");
      first = false;
      out.push(serializeString(key), ":");
      serialize(item, out);
    }
    out.push("}");
  } else {
    throw new TypeError(`canonical json: unsupported value of type ${typeof value}`);
  }
}

/** The RFC 8785 canonical text of `value`. Throws TypeError for values JSON cannot carry exactly. */
export function canonicalJson(value: JsonValue): string {
  const out: string[] = [];
  serialize(value, out);
  return out.join("");
}

/** The canonical text as UTF-8 bytes. */
export function canonicalJsonBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
