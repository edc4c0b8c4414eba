// A stream's request headers answer every Headers operation as a Headers filled from node's object the way Connect's node adapter fills it.
import type { IncomingHttpHeaders } from "node:http2";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { streamRequestHeaders } from "../../src/server/request-headers.js";

/** What Connect's node adapter gives: every field but the pseudo-headers, arrays as repeated fields. */
function reference(raw: IncomingHttpHeaders): Headers {
  const h = new Headers();
  for (const [key, value] of Object.entries(raw)) {
    if (key.startsWith(":") || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) h.append(key, v);
  }
  return h;
}

/** node:http2's header objects have no prototype. */
function nodeHeaders(fields: Record<string, string | string[]>): IncomingHttpHeaders {
  return Object.assign(Object.create(null) as IncomingHttpHeaders, fields);
}

const RAW = nodeHeaders({
  ":method": "POST",
  ":path": "/agentidentity.v1.VerifierService/Verify",
  ":authority": "localhost",
  "content-type": "application/grpc",
  te: "trailers",
  "grpc-timeout": "5S",
  "x-request-id": "req-1",
  authorization: "Bearer t",
  "x-padded": " spaced\t",
  "x-empty": "",
  "set-cookie": ["a=1", "b=2"],
  "x-joined": "one, two",
});

const NAMES = [
  "content-type",
  "Content-Type",
  "te",
  "grpc-timeout",
  "x-request-id",
  "authorization",
  "x-padded",
  "x-empty",
  "set-cookie",
  "x-joined",
  "missing",
  "constructor",
  "__proto__",
  "toString",
];

function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    return { threw: e instanceof Error ? e.constructor.name : String(e) };
  }
}

describe("streamRequestHeaders", () => {
  it.each(NAMES)("get and has %s as Headers does", (name) => {
    const mine = streamRequestHeaders(RAW);
    const theirs = reference(RAW);
    expect(mine.get(name)).toBe(theirs.get(name));
    expect(mine.has(name)).toBe(theirs.has(name));
  });

  it.each([":path", ":method", "bad name", ""])("refuses %j as Headers does", (name) => {
    expect(outcome(() => streamRequestHeaders(RAW).get(name))).toEqual(outcome(() => reference(RAW).get(name)));
    expect(outcome(() => streamRequestHeaders(RAW).has(name))).toEqual(outcome(() => reference(RAW).has(name)));
  });

  it("iterates, copies and inspects as Headers does", () => {
    const theirs = reference(RAW);
    expect([...streamRequestHeaders(RAW)]).toEqual([...theirs]);
    expect([...streamRequestHeaders(RAW).keys()]).toEqual([...theirs.keys()]);
    expect([...streamRequestHeaders(RAW).values()]).toEqual([...theirs.values()]);
    expect([...streamRequestHeaders(RAW).entries()]).toEqual([...theirs.entries()]);
    expect(streamRequestHeaders(RAW).getSetCookie()).toEqual(theirs.getSetCookie());
    const seen: string[] = [];
    streamRequestHeaders(RAW).forEach((v, k) => seen.push(`${k}=${v}`));
    expect(seen).toEqual([...theirs].map(([k, v]) => `${k}=${v}`));
    expect([...new Headers(streamRequestHeaders(RAW))]).toEqual([...theirs]);
    expect(inspect(streamRequestHeaders(RAW))).toBe(inspect(theirs));
    expect(streamRequestHeaders(RAW)).toBeInstanceOf(Headers);
  });

  it("takes changes after a lookup, and answers lookups from the changed fields", () => {
    const mine = streamRequestHeaders(RAW);
    const theirs = reference(RAW);
    expect(mine.get("authorization")).toBe("Bearer t");
    for (const h of [mine, theirs]) {
      h.set("authorization", "Bearer other");
      h.append("x-request-id", "req-2");
      h.delete("te");
    }
    expect([...mine]).toEqual([...theirs]);
    expect(mine.get("authorization")).toBe("Bearer other");
    expect(mine.get("x-request-id")).toBe("req-1, req-2");
    expect(mine.has("te")).toBe(false);
    // node's object is left as it was.
    expect(RAW.te).toBe("trailers");
  });
});
