/**
 * The request headers of an HTTP/2 stream as a `Headers` object with the contents Connect's node adapter gives
 * (every field but the pseudo-headers), filled from node's header object only when something needs more than a
 * plain lookup: `get` and `has` of a lowercase name answer from node's object directly (what the interceptors do on
 * every call), anything else copies the fields in first and then behaves as a plain `Headers`.
 */
import type { IncomingHttpHeaders } from "node:http2";
import { inspect } from "node:util";

/** Names `get`/`has` may look up in node's object as they are: lowercase, no pseudo-header, no odd characters. */
const PLAIN_NAME = /^[a-z0-9-]+$/;

/** True for the characters Headers trims off the ends of a value (HTTP tab or space, CR, LF). */
function httpWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** A value Headers would store unchanged: nothing to trim at either end. */
function storedAsIs(value: string): boolean {
  return value.length === 0 || (!httpWhitespace(value.charCodeAt(0)) && !httpWhitespace(value.charCodeAt(value.length - 1)));
}

/** Headers' own methods, called on a StreamRequestHeaders (a real Headers underneath) once its fields are in. */
const own: Headers = Headers.prototype;
/** Headers as a base class: node's types declare its methods as properties, which a subclass cannot override. */
const HeadersBase = Headers as unknown as new () => object;

type Iter<K extends "keys" | "values" | "entries"> = ReturnType<Headers[K]>;

class StreamRequestHeaders extends HeadersBase implements Headers {
  /** Node's header object until the fields are copied in. */
  #raw: IncomingHttpHeaders | undefined;

  constructor(raw: IncomingHttpHeaders) {
    super();
    this.#raw = raw;
  }

  /** The value node's object holds for `name` when a plain lookup answers as Headers would; else undefined. */
  #plain(name: string): string | null | undefined {
    const raw = this.#raw;
    if (raw === undefined || !PLAIN_NAME.test(name)) return undefined;
    if (!Object.hasOwn(raw, name)) return null;
    const value = raw[name];
    return typeof value === "string" && storedAsIs(value) ? value : undefined;
  }

  #fill(): void {
    const raw = this.#raw;
    if (raw === undefined) return;
    this.#raw = undefined;
    for (const key in raw) {
      if (key.charCodeAt(0) === 0x3a) continue;
      const value = raw[key];
      if (typeof value === "string") own.append.call(this, key, value);
      else if (value !== undefined) for (const v of value) own.append.call(this, key, v);
    }
  }

  get(name: string): string | null {
    const plain = this.#plain(name);
    if (plain !== undefined) return plain;
    this.#fill();
    return own.get.call(this, name);
  }

  has(name: string): boolean {
    const plain = this.#plain(name);
    if (plain !== undefined) return plain !== null;
    this.#fill();
    return own.has.call(this, name);
  }

  append(name: string, value: string): void {
    this.#fill();
    own.append.call(this, name, value);
  }

  set(name: string, value: string): void {
    this.#fill();
    own.set.call(this, name, value);
  }

  delete(name: string): void {
    this.#fill();
    own.delete.call(this, name);
  }

  getSetCookie(): string[] {
    this.#fill();
    return own.getSetCookie.call(this);
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    this.#fill();
    own.forEach.call(this, callback, thisArg);
  }

  keys(): Iter<"keys"> {
    this.#fill();
    return own.keys.call(this);
  }

  values(): Iter<"values"> {
    this.#fill();
    return own.values.call(this);
  }

  entries(): Iter<"entries"> {
    this.#fill();
    return own.entries.call(this);
  }

  [Symbol.iterator](): Iter<"entries"> {
    this.#fill();
    return own[Symbol.iterator].call(this);
  }

  /** Headers' own inspection, once the fields are in. */
  [inspect.custom](...args: unknown[]): unknown {
    this.#fill();
    const headersInspect: unknown = Reflect.get(Headers.prototype, inspect.custom);
    return typeof headersInspect === "function" ? (headersInspect as (...a: unknown[]) => unknown).apply(this, args) : this;
  }
}

/** The request headers of a stream, pseudo-headers left out, as Connect's node adapter presents them. */
export function streamRequestHeaders(raw: IncomingHttpHeaders): Headers {
  return new StreamRequestHeaders(raw);
}
