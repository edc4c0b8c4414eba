/** The replay restart window notice: logged once with its end as a time only when a window exists; shown in readiness while it lasts. */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/domain/clock.js";
import { HealthRegistry } from "../../src/server/health-registry.js";
import { createReplayWindowNotice, REPLAY_WINDOW_NOTICE } from "../../src/server/replay-window-notice.js";
import { createLogger } from "../../src/telemetry/logger.js";

function setup() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const health = new HealthRegistry();
  const logger = createLogger({ level: "info", destination });
  const notice = createReplayWindowNotice({ health, logger, clock, window: { maxAgeSeconds: 60, futureSkewSeconds: 5 } });
  return { lines, clock, health, notice };
}

describe("replay window notice", () => {
  it("says nothing for an epoch the store kept (its window long past)", () => {
    const { lines, clock, health, notice } = setup();
    notice.observe(clock.nowMs() - 3_600_000);
    notice.observe(clock.nowMs() - 3_600_000);
    expect(lines).toEqual([]);
    expect(health.readiness().notices).toEqual({});
  });

  it("logs a new epoch's window once, with its end as a time, and shows it until it ends", () => {
    const { lines, clock, health, notice } = setup();
    notice.observe(clock.nowMs() - 3_600_000);
    const epoch = clock.nowMs();
    notice.observe(epoch);
    notice.observe(epoch);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", replayWindowUntil: "2026-01-01T12:00:05.000Z" });
    expect(String(lines[0]!.msg)).toContain("proofs dated up to 2026-01-01T12:00:05.000Z are refused");
    expect(health.readiness().notices[REPLAY_WINDOW_NOTICE]).toMatchObject({
      restarted_at: "2026-01-01T12:00:00.000Z",
      refuses_proofs_dated_until: "2026-01-01T12:00:05.000Z",
    });
    clock.advance(5_001);
    expect(health.readiness().notices).toEqual({});
  });
});
