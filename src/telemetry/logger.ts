/** The pino JSON logger factory: level from config, secrets (authorization, api keys, tokens) redacted. */
import { pino } from "pino";
import type { DestinationStream, Logger } from "pino";
import type { Config } from "../config/types.js";

export type { Logger } from "pino";

import { errorFields, SECRET_FIELD } from "./error-fields.js";

const CENSOR = "[redacted]";
const MAX_DEPTH = 6;

export interface LoggerOptions {
  readonly level: Config["logLevel"];
  /** Service name written as `service` on every line. */
  readonly name?: string;
  /** Where lines go; standard output when omitted (tests pass a collecting stream). */
  readonly destination?: DestinationStream;
}

/** Creates the process logger: one JSON object per line, ISO timestamps, secret-named fields censored. */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level,
    base: { service: options.name ?? "agent-identity" },
    timestamp: pino.stdTimeFunctions.isoTime,
    // An error is logged as its own fields, never as the objects a driver attaches to it.
    serializers: { err: errorFields },
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (object: Record<string, unknown>) => scrub(object, 0) as Record<string, unknown>,
    },
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}

/** Copies plain objects and arrays, replacing the value of every secret-named field. */
function scrub(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  if (value instanceof Error) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    if (typeof Headers !== "undefined" && value instanceof Headers) {
      return scrub(Object.fromEntries(value.entries()), depth);
    }
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) && v !== undefined ? CENSOR : scrub(v, depth + 1);
  }
  return out;
}
