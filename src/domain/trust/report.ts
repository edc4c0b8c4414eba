/** Turns a ReportTelemetry request into a TrustEvent: reads raw.uptime_reliability and raw.hard_error. */
import { invalidField } from "../errors.js";
import type { Reporter, TrustEvent } from "./state.js";

export interface TelemetryReport {
  readonly occurredAtMs: number;
  readonly reporter: Reporter;
  readonly success: boolean;
  readonly slaMet: boolean;
  readonly dispute: boolean;
  /** The request's `raw` struct as plain JSON. */
  readonly raw: Readonly<Record<string, unknown>> | undefined;
}

/** Builds the event; a raw.uptime_reliability outside 0..1 or a non-boolean raw.hard_error is invalid_argument. */
export function trustEventFromReport(report: TelemetryReport): TrustEvent {
  const uptimeValue = report.raw?.["uptime_reliability"];
  let uptime: number | undefined;
  if (uptimeValue !== undefined && uptimeValue !== null) {
    if (typeof uptimeValue !== "number" || !Number.isFinite(uptimeValue) || uptimeValue < 0 || uptimeValue > 1) {
      throw invalidField("telemetry.invalid_uptime", "raw.uptime_reliability", "must be a number in 0..1");
    }
    uptime = uptimeValue;
  }
  const hardValue = report.raw?.["hard_error"];
  if (hardValue !== undefined && hardValue !== null && typeof hardValue !== "boolean") {
    throw invalidField("telemetry.invalid_hard_error", "raw.hard_error", "must be a boolean");
  }
  return {
    occurredAtMs: report.occurredAtMs,
    reporter: report.reporter,
    success: report.success,
    slaMet: report.slaMet,
    dispute: report.dispute,
    hardError: hardValue === true,
    uptime,
  };
}
