/** `admin audit list|export|verify`: the audit log, its JSON Lines export and the offline check of an export. */
import { create, toJson } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ListAuditEventsResponseSchema } from "../../../gen/agentidentity/v1/admin_pb.js";
import { checkExportFile, describeExportCheck } from "../audit-verify.js";
import { absolutePath } from "./files.js";
import type { Args } from "./args.js";
import { exportAuditToFile } from "./audit-export.js";
import type { CommandGroup } from "./command.js";
import { EXIT, localError, usageError } from "./failures.js";
import { json, table, time } from "./output.js";
import { fetchPages, nextPageHint, PAGING_OPTIONS } from "./paging.js";

/** An export may take a while: its stream gets at least ten minutes. */
const EXPORT_MIN_TIMEOUT_MS = 600_000;

function timeFlag(args: Args, name: string): ReturnType<typeof timestampFromMs> | undefined {
  const text = args.string(name);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw usageError(`--${name} must be a date-time such as 2026-01-31T12:00:00Z`);
  return timestampFromMs(ms);
}

function seqFlag(args: Args, name: string): bigint {
  const text = args.string(name);
  if (text === undefined) return 0n;
  if (!/^\d{1,15}$/.test(text) || BigInt(text) < 1n) throw usageError(`--${name} must be a seq number >= 1`);
  return BigInt(text);
}

function detailsText(details: unknown): string {
  if (details === undefined || details === null) return "";
  const text = JSON.stringify(details);
  return text === "{}" ? "" : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export const auditCommands: CommandGroup = {
  summary: "the tamper-evident audit log",
  commands: {
    list: {
      usage: "[--org ORG_ID] [--actor ID] [--action ACTION] [--since TIME] [--until TIME] [--page-size N] [--page-token T] [--all]",
      summary: "list audit events, newest first (filters combine with AND; --until is exclusive)",
      options: { org: { type: "string" }, actor: { type: "string" }, action: { type: "string" }, since: { type: "string" }, until: { type: "string" }, ...PAGING_OPTIONS },
      async run(ctx) {
        const a = ctx.args;
        a.noPositionals();
        const filters = {
          orgId: a.string("org") ?? "",
          actor: a.string("actor") ?? "",
          action: a.string("action") ?? "",
          startTime: timeFlag(a, "since"),
          endTime: timeFlag(a, "until"),
        };
        const admin = ctx.session().admin;
        const page = await fetchPages(a, async (pageSize, pageToken) => {
          const res = await admin.listAuditEvents({ ...filters, pageSize, pageToken });
          return { items: res.events, nextPageToken: res.nextPageToken };
        });
        if (ctx.mode === "json") {
          const res = create(ListAuditEventsResponseSchema, { events: [...page.items], nextPageToken: page.nextPageToken });
          return json(ctx.io, toJson(ListAuditEventsResponseSchema, res));
        }
        if (ctx.mode === "quiet") return page.items.forEach((e) => ctx.io.out(e.id));
        table(
          ctx.io,
          ["seq", "time", "action", "actor", "target", "details"],
          page.items.map((e) => [e.seq, time(e.time), e.action, e.actor, e.target, detailsText(e.details)]),
        );
        nextPageHint(ctx.io, ctx.mode, page.nextPageToken);
      },
    },
    export: {
      usage: "--out FILE [--from SEQ] [--to SEQ] [--force]",
      summary: "export a seq range (default: all) with its anchor and signed checkpoints to a JSON Lines file",
      options: { out: { type: "string" }, from: { type: "string" }, to: { type: "string" }, force: { type: "boolean" } },
      async run(ctx) {
        const a = ctx.args;
        a.noPositionals();
        const file = absolutePath(ctx, a.required("out"));
        const startSeq = seqFlag(a, "from");
        const endSeq = seqFlag(a, "to");
        if (endSeq !== 0n && endSeq < startSeq) throw usageError("--to must not be below --from");
        const session = ctx.session();
        const summary = await exportAuditToFile(session.admin, ctx.io, {
          file,
          startSeq,
          endSeq,
          force: a.flag("force"),
          timeoutMs: Math.max(session.settings.timeoutMs, EXPORT_MIN_TIMEOUT_MS),
          progress: ctx.mode !== "quiet",
        });
        if (ctx.mode === "json") return json(ctx.io, summary);
        ctx.io.out(ctx.mode === "quiet" ? summary.file : `wrote ${summary.file}: seq ${summary.startSeq}..${summary.endSeq}; check it with: npm run admin -- audit verify ${a.required("out")} --jwks <your issuer JWKS file or URL>`);
      },
    },
    verify: {
      usage: "FILE --jwks FILE|URL",
      summary: "check an export offline against your trusted issuer keys (hashes, links, anchor, signed end, revocations); names the first broken link",
      options: { jwks: { type: "string" } },
      async run(ctx) {
        const file = ctx.args.positional("export file");
        const jwks = ctx.args.required("jwks");
        const source = /^https?:\/\//i.test(jwks) ? jwks : absolutePath(ctx, jwks);
        const check = await checkExportFile(absolutePath(ctx, file), source);
        if (check.kind === "unreadable") throw localError(check.problem);
        if (ctx.mode === "json") json(ctx.io, { file, ...check });
        else if (check.kind === "ok") ctx.io.out(describeExportCheck(check));
        if (check.kind === "ok") return EXIT.ok;
        ctx.io.err(describeExportCheck(check));
        return EXIT.auditBroken;
      },
    },
  },
};
