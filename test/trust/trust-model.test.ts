/** trust-v2: the documented example, uptime ordering, decay of a silent agent, bounded self-reports, report parsing. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  applyEvent,
  emptyTrustState,
  scoreAt,
  trustEventFromReport,
  type TrustEvent,
  type TrustState,
} from "../../src/domain/trust/index.js";
import type { OrgTier } from "../../src/domain/orgs/index.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 31);
const AGE = { agentCreatedAtMs: NOW - 100 * DAY, orgTier: "verified" as OrgTier };

function event(overrides: Partial<TrustEvent> = {}): TrustEvent {
  return { occurredAtMs: NOW, reporter: "relying_party", success: true, slaMet: true, dispute: false, hardError: false, uptime: undefined, ...overrides };
}

function stateOf(events: readonly TrustEvent[]): TrustState {
  return events.reduce(applyEvent, emptyTrustState());
}

function factor(state: TrustState, name: string, now = NOW): number {
  return scoreAt(state, now, AGE).factors.find((f) => f.name === name)!.value;
}

describe("trust-v2", () => {
  it("matches the worked example in docs/trust-model.md", () => {
    const doc = readFileSync(new URL("../../docs/trust-model.md", import.meta.url), "utf8");
    const block = /```json trust-example\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    const ex = JSON.parse(block!) as {
      nowIso: string; agentAgeDays: number; orgTier: OrgTier;
      events: { daysAgo: number; reporter: "org" | "relying_party"; success: boolean; slaMet: boolean; dispute: boolean; hardError: boolean; uptime?: number }[];
      expected: { score: number; riskTier: string; factors: Record<string, number> };
    };
    const now = Date.parse(ex.nowIso);
    const state = stateOf(ex.events.map((e) => ({ ...e, occurredAtMs: now - e.daysAgo * DAY, uptime: e.uptime })));
    const score = scoreAt(state, now, { agentCreatedAtMs: now - ex.agentAgeDays * DAY, orgTier: ex.orgTier });
    expect(score.score).toBe(ex.expected.score);
    expect(score.riskTier).toBe(ex.expected.riskTier);
    expect(score.modelVersion).toBe("trust-v2");
    for (const f of score.factors) expect(f.value).toBeCloseTo(ex.expected.factors[f.name]!, 6);
    expect(score.factors.map((f) => f.weight).reduce((a, b) => a + b, 0)).toBe(100);
  });

  it("orders uptime 0.997 > 0.2 > 0, and a reported 0 scores below never reported", () => {
    const score = (uptime: number | undefined) => scoreAt(stateOf([event({ uptime }), event({ uptime })]), NOW, AGE).score;
    expect(score(0.997)).toBeGreaterThan(score(0.2));
    expect(score(0.2)).toBeGreaterThan(score(0));
    expect(score(0)).toBeLessThan(score(undefined));
    expect(factor(stateOf([]), "uptime")).toBe(0.5);
  });

  it("decays: a silent agent drifts toward the prior", () => {
    const good = stateOf(Array.from({ length: 20 }, () => event()));
    const bad = stateOf(Array.from({ length: 20 }, () => event({ success: false })));
    const at = (s: TrustState, days: number) => factor(s, "success_rate", NOW + days * DAY);
    expect(at(good, 0)).toBeGreaterThan(at(good, 90));
    expect(at(good, 90)).toBeGreaterThan(at(good, 365));
    expect(at(good, 365)).toBeGreaterThan(0.5);
    expect(at(bad, 0)).toBeLessThan(at(bad, 90));
    expect(at(bad, 365)).toBeLessThan(0.5);
    // Half-life: after 30 days the evidence weighs half: (20*0.5 + 1) / (20*0.5 + 2).
    expect(at(good, 30)).toBeCloseTo(11 / 12, 9);
  });

  it("does not double count a clean failure: only success_rate drops", () => {
    const s = stateOf([event({ success: false })]);
    expect(factor(s, "success_rate")).toBeCloseTo(1 / 3, 9);
    expect(factor(s, "non_failure")).toBeCloseTo(2 / 3, 9);
    const hard = stateOf([event({ success: false, hardError: true })]);
    expect(factor(hard, "non_failure")).toBeCloseTo(1 / 3, 9);
  });

  it("bounds the organisation's own reports", () => {
    const selfOnly = stateOf(Array.from({ length: 100 }, () => event({ reporter: "org" })));
    // 100 self-reports count as 2 events: (2 + 1) / (2 + 2).
    expect(factor(selfOnly, "success_rate")).toBeCloseTo(0.75, 9);
    const independent = stateOf(Array.from({ length: 100 }, () => event()));
    expect(factor(independent, "success_rate")).toBeGreaterThan(0.98);
  });

  it("applying events in any order gives the same score", () => {
    const events = [event({ occurredAtMs: NOW - 10 * DAY }), event({ success: false, occurredAtMs: NOW }), event({ uptime: 0.5, occurredAtMs: NOW - 40 * DAY })];
    const a = scoreAt(stateOf(events), NOW, AGE).score;
    const b = scoreAt(stateOf([...events].reverse()), NOW, AGE).score;
    expect(a).toBe(b);
  });

  it("risk tiers and org tier values", () => {
    const s = stateOf([]);
    expect(scoreAt(s, NOW, { agentCreatedAtMs: NOW, orgTier: "unverified" }).riskTier).toBe("high");
    const strong = stateOf(Array.from({ length: 50 }, () => event({ uptime: 1 })));
    expect(scoreAt(strong, NOW, { agentCreatedAtMs: NOW - 400 * DAY, orgTier: "enterprise" })).toMatchObject({ riskTier: "low" });
  });

  it("reads raw.uptime_reliability and raw.hard_error, refusing out-of-range values", () => {
    const base = { occurredAtMs: NOW, reporter: "org" as const, success: true, slaMet: true, dispute: false };
    expect(trustEventFromReport({ ...base, raw: { uptime_reliability: 0 } }).uptime).toBe(0);
    expect(trustEventFromReport({ ...base, raw: undefined }).uptime).toBeUndefined();
    expect(trustEventFromReport({ ...base, raw: { hard_error: true } }).hardError).toBe(true);
    expect(() => trustEventFromReport({ ...base, raw: { uptime_reliability: 1.5 } })).toThrow(/uptime_reliability/);
    expect(() => trustEventFromReport({ ...base, raw: { hard_error: "yes" } })).toThrow(/hard_error/);
  });
});
