/** Trust model state: exponentially decayed sufficient statistics per reporter class, updated one event at a time. */

/** Who reported an event: an admin of the agent's own organisation, or a relying party about its decision. */
export type Reporter = "org" | "relying_party";

/** One telemetry report as the model sees it. */
export interface TrustEvent {
  readonly occurredAtMs: number;
  readonly reporter: Reporter;
  readonly success: boolean;
  readonly slaMet: boolean;
  readonly dispute: boolean;
  /** raw.hard_error === true: a crash, timeout or protocol violation (not merely an unsuccessful task). */
  readonly hardError: boolean;
  /** raw.uptime_reliability in 0..1, when reported. */
  readonly uptime: number | undefined;
}

/** Decayed sums for one reporter class; every event weighs 2^-(age / half-life) relative to the reference time. */
export interface EvidenceSums {
  /** Sum of event weights. */
  readonly n: number;
  readonly success: number;
  readonly noHardError: number;
  readonly noDispute: number;
  readonly slaMet: number;
  /** Sum of weights of events that reported uptime. */
  readonly uptimeN: number;
  /** Sum of weight * uptime. */
  readonly uptimeSum: number;
}

/** Storable model state: the sums of every event so far, decayed to refMs (the newest event time). */
export interface TrustState {
  readonly refMs: number;
  readonly org: EvidenceSums;
  readonly relyingParty: EvidenceSums;
}

/** Half-life of an event's weight: 30 days. */
export const HALF_LIFE_MS = 30 * 24 * 3600 * 1000;

export const EMPTY_SUMS: EvidenceSums = { n: 0, success: 0, noHardError: 0, noDispute: 0, slaMet: 0, uptimeN: 0, uptimeSum: 0 };

/** The state of an agent without events. */
export function emptyTrustState(refMs = 0): TrustState {
  return { refMs, org: EMPTY_SUMS, relyingParty: EMPTY_SUMS };
}

/** 2^-(ageMs / half-life): the weight of evidence ageMs old (1 for ages <= 0). */
export function decayFactor(ageMs: number): number {
  return ageMs <= 0 ? 1 : Math.pow(2, -ageMs / HALF_LIFE_MS);
}

export function scaleSums(s: EvidenceSums, f: number): EvidenceSums {
  return {
    n: s.n * f,
    success: s.success * f,
    noHardError: s.noHardError * f,
    noDispute: s.noDispute * f,
    slaMet: s.slaMet * f,
    uptimeN: s.uptimeN * f,
    uptimeSum: s.uptimeSum * f,
  };
}

function addEvent(s: EvidenceSums, e: TrustEvent, w: number): EvidenceSums {
  const reported = e.uptime !== undefined;
  return {
    n: s.n + w,
    success: s.success + (e.success ? w : 0),
    noHardError: s.noHardError + (e.hardError ? 0 : w),
    noDispute: s.noDispute + (e.dispute ? 0 : w),
    slaMet: s.slaMet + (e.slaMet ? w : 0),
    uptimeN: s.uptimeN + (reported ? w : 0),
    uptimeSum: s.uptimeSum + (reported ? w * (e.uptime ?? 0) : 0),
  };
}

/**
 * Adds one event. A newer event moves the reference time forward (older sums are decayed to it); an older
 * one is added with its decayed weight. Order of application does not change the result.
 */
export function applyEvent(state: TrustState, event: TrustEvent): TrustState {
  let { refMs, org, relyingParty } = state;
  const isEmpty = org.n === 0 && relyingParty.n === 0;
  if (isEmpty || event.occurredAtMs > refMs) {
    const f = isEmpty ? 0 : decayFactor(event.occurredAtMs - refMs);
    org = scaleSums(org, f);
    relyingParty = scaleSums(relyingParty, f);
    refMs = event.occurredAtMs;
  }
  const w = decayFactor(refMs - event.occurredAtMs);
  if (event.reporter === "org") org = addEvent(org, event, w);
  else relyingParty = addEvent(relyingParty, event, w);
  return { refMs, org, relyingParty };
}
