// Random protobuf messages for any request type, built from its descriptor: hostile scalars, unknown enums,
// huge timestamps, nested messages, and hostile JWTs in token fields.
import { create, toBinary, toJsonString, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { Prng } from "./prng.js";
import { hostileToken } from "./tokens.js";

const TOKEN_FIELD = /credential|proof|token|jwt|session|possession/i;

const STRINGS = [
  "", "a", "payments:write", "payment.create", "EUR", "eur", "bad scope", "x".repeat(5000), "\u0000", "a\u0000b",
  "\ud800", "💥", "org_00000000000000000000000000", "agt_00000000000000000000000000", "evt_0000000000000000000000000z",
  "prp_00000000000000000000000000", "9999-12-31T23:59:59Z", "verify.decision", "spiffe://agent-identity.local/rp/example",
  "eyJ0IjoxfQ", "AAAA", "-1", "NaN", "%00", "' OR 1=1 --",
];

/** Valid tokens to mutate, and real values (org, agent, decision ids) that let requests reach deeper code. */
export interface Pools {
  readonly tokens: readonly string[];
  readonly strings: readonly string[];
}

const INTS = [0, 1, -1, 2, 50, 500, 501, 2147483647, -2147483648, 4294967295];
const BIGINTS = [0n, 1n, -1n, 9007199254740993n, 9223372036854775807n, -9223372036854775808n, 253402300800n, 18446744073709551615n];

function scalarValue(prng: Prng, field: DescField, scalar: number, pool: Pools): unknown {
  switch (scalar) {
    case 9: // string
      if (TOKEN_FIELD.test(field.name) && prng.chance(0.7)) return hostileToken(prng, pool.tokens);
      return pool.strings.length > 0 && prng.chance(0.4) ? prng.pick(pool.strings) : prng.pick(STRINGS);
    case 8: // bool
      return prng.chance(0.5);
    case 12: // bytes
      return prng.bytes(prng.int(64));
    case 1: // double
    case 2: // float
      return prng.pick([0, -1, 1.5, 1e308, Number.NaN, Number.POSITIVE_INFINITY]);
    case 3: case 4: case 6: case 16: case 18: { // 64-bit
      const v = prng.pick(BIGINTS);
      return scalar === 4 || scalar === 6 ? (v < 0n ? -v : v) % 18446744073709551616n : BigInt.asIntN(64, v);
    }
    default: { // 32-bit
      const v = prng.pick(INTS);
      return scalar === 13 || scalar === 7 ? v >>> 0 : v | 0;
    }
  }
}

function fieldValue(prng: Prng, field: DescField, depth: number, pool: Pools): unknown {
  switch (field.fieldKind) {
    case "scalar":
      return scalarValue(prng, field, field.scalar, pool);
    case "enum":
      return prng.chance(0.8) ? prng.pick(field.enum.values).number : prng.int(100);
    case "message":
      return depth < 2 ? randomInit(prng, field.message, depth + 1, pool) : undefined;
    case "list": {
      const n = prng.int(4);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) {
        if (field.listKind === "scalar") out.push(scalarValue(prng, field, field.scalar, pool));
        else if (field.listKind === "enum") out.push(prng.pick(field.enum.values).number);
        else if (depth < 2) out.push(randomInit(prng, field.message, depth + 1, pool));
      }
      return out;
    }
    case "map": {
      const out: Record<string, unknown> = {};
      for (let i = prng.int(3); i > 0; i--) {
        const key = prng.pick(["a", "", "k".repeat(300), "\u0000", String(i)]);
        if (field.mapKind === "scalar") out[key] = scalarValue(prng, field, field.scalar, pool);
        else if (field.mapKind === "enum") out[key] = prng.pick(field.enum.values).number;
        else if (depth < 2) out[key] = randomInit(prng, field.message, depth + 1, pool);
      }
      return out;
    }
  }
}

function randomInit(prng: Prng, desc: DescMessage, depth: number, pool: Pools): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  for (const oneof of desc.oneofs) {
    if (!prng.chance(0.85)) continue;
    const f = prng.pick(oneof.fields);
    init[oneof.localName] = { case: f.localName, value: fieldValue(prng, f, depth, pool) };
  }
  for (const f of desc.fields) {
    if (f.oneof === undefined && prng.chance(0.75)) init[f.localName] = fieldValue(prng, f, depth, pool);
  }
  return init;
}

/** A random request of `desc` as protobuf bytes and as Connect JSON (undefined when it cannot be encoded). */
export function randomRequest(prng: Prng, desc: DescMessage, pool: Pools): { binary: Uint8Array; json: string | undefined } {
  try {
    const message = create(desc, randomInit(prng, desc, 0, pool));
    let json: string | undefined;
    try {
      json = toJsonString(desc, message);
    } catch {
      json = undefined;
    }
    return { binary: toBinary(desc, message), json };
  } catch {
    return { binary: prng.bytes(prng.int(200)), json: undefined };
  }
}

/** Byte-level mutations of an encoded message: flips, cuts, insertions, duplicated tails. */
export function mutateBytes(prng: Prng, bytes: Uint8Array): Uint8Array {
  const out = [...bytes];
  for (let i = 1 + prng.int(4); i > 0; i--) {
    const at = out.length === 0 ? 0 : prng.int(out.length);
    switch (prng.int(4)) {
      case 0:
        if (out.length > 0) out[at] = prng.int(256);
        break;
      case 1:
        out.splice(at, 1 + prng.int(8));
        break;
      case 2:
        out.splice(at, 0, ...prng.bytes(1 + prng.int(8)));
        break;
      default:
        out.push(...out.slice(at));
    }
  }
  return Uint8Array.from(out);
}
