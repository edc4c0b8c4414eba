/** JSON values as the domain stores them (audit details, trust state, raw telemetry). */

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}
