/** `admin trust score|report`: an agent's trust score with its factors, and telemetry about an interaction. */
import { toJson, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { RiskTier, type TrustScore } from "../../../gen/agentidentity/v1/common_pb.js";
import { GetTrustScoreResponseSchema, ReportTelemetryResponseSchema } from "../../../gen/agentidentity/v1/registry_pb.js";
import type { Args } from "./args.js";
import type { CommandContext, CommandGroup } from "./command.js";
import { usageError } from "./failures.js";
import { fields, json, table, time } from "./output.js";

function riskName(tier: RiskTier): string {
  return (RiskTier[tier] ?? "UNSPECIFIED").toLowerCase();
}

function showScore(ctx: CommandContext, agentId: string, score: TrustScore | undefined): void {
  if (score === undefined) return;
  if (ctx.mode === "quiet") return ctx.io.out(String(score.score));
  fields(ctx.io, [
    ["agent", agentId],
    ["score", score.score.toFixed(2)],
    ["risk tier", riskName(score.riskTier)],
    ["model", score.modelVersion],
    ["computed", time(score.computeTime)],
  ]);
  ctx.io.out("");
  table(
    ctx.io,
    ["factor", "weight", "value", "points"],
    score.factors.map((f) => [f.name, f.weight.toFixed(0), f.value.toFixed(4), f.contribution.toFixed(2)]),
  );
}

/** Exactly one of two boolean flags; returns whether the first was given. */
function either(args: Args, yes: string, no: string): boolean {
  if (args.flag(yes) === args.flag(no)) throw usageError(`give exactly one of --${yes} and --${no}`);
  return args.flag(yes);
}

function number(text: string, what: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n)) throw usageError(`${what} must be a number`);
  return n;
}

/** raw measurements: --uptime X is raw.uptime_reliability; --raw K=NUMBER adds others. */
function rawMeasurements(args: Args): JsonObject | undefined {
  const raw: JsonObject = {};
  for (const item of args.list("raw")) {
    const at = item.indexOf("=");
    if (at < 1) throw usageError(`--raw ${JSON.stringify(item)} must be KEY=NUMBER`);
    raw[item.slice(0, at)] = number(item.slice(at + 1), `--raw ${item.slice(0, at)}`);
  }
  const uptime = args.string("uptime");
  if (uptime !== undefined) raw.uptime_reliability = number(uptime, "--uptime");
  return Object.keys(raw).length === 0 ? undefined : raw;
}

function occurTime(args: Args): ReturnType<typeof timestampFromMs> | undefined {
  const text = args.string("occurred-at");
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw usageError("--occurred-at must be a date-time such as 2026-01-31T12:00:00Z");
  return timestampFromMs(ms);
}

export const trustCommands: CommandGroup = {
  summary: "trust scores and telemetry",
  commands: {
    score: {
      usage: "AGENT_ID",
      summary: "the agent's current trust score with each factor's weight, value and points",
      async run(ctx) {
        const agentId = ctx.args.positional("agent id");
        const res = await ctx.session().registry.getTrustScore({ agentId });
        if (ctx.mode === "json") return json(ctx.io, toJson(GetTrustScoreResponseSchema, res));
        showScore(ctx, res.agentId, res.trustScore);
      },
    },
    report: {
      usage:
        "AGENT_ID --event-type TYPE (--success|--failure) (--sla-met|--sla-missed) [--dispute] [--latency-ms N] " +
        "[--uptime 0..1] [--raw K=NUMBER...] [--decision-id ID] [--occurred-at TIME]",
      summary: "record telemetry about one interaction; prints the new score",
      options: {
        "event-type": { type: "string" },
        success: { type: "boolean" },
        failure: { type: "boolean" },
        "sla-met": { type: "boolean" },
        "sla-missed": { type: "boolean" },
        dispute: { type: "boolean" },
        "latency-ms": { type: "string" },
        uptime: { type: "string" },
        raw: { type: "string", multiple: true },
        "decision-id": { type: "string" },
        "occurred-at": { type: "string" },
      },
      async run(ctx) {
        const a = ctx.args;
        const agentId = a.positional("agent id");
        const request = {
          agentId,
          eventType: a.required("event-type"),
          success: either(a, "success", "failure"),
          slaMet: either(a, "sla-met", "sla-missed"),
          dispute: a.flag("dispute"),
          latencyMs: a.integer("latency-ms", 0, 4_294_967_295) ?? 0,
          raw: rawMeasurements(a),
          decisionId: a.string("decision-id") ?? "",
          occurTime: occurTime(a),
        };
        const res = await ctx.session().registry.reportTelemetry(request);
        if (ctx.mode === "json") return json(ctx.io, toJson(ReportTelemetryResponseSchema, res));
        if (ctx.mode === "quiet") return ctx.io.out(res.eventId);
        ctx.io.out(`recorded ${res.eventId}`);
        showScore(ctx, agentId, res.trustScore);
      },
    },
  },
};
