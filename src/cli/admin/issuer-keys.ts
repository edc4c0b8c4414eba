/**
 * `admin issuer-keys list|rotate|revoke`. The API has no issuer-key RPCs besides VerifierService.GetJwks: the
 * published keys come from GetJwks; every recorded key (revoked ones too) and revoking read and write the
 * service's Postgres like `npm run issuer:revoke`; rotating prepares a new key file, which the service makes
 * active when it starts with it (docs/issuer-rotation.md).
 */
import { writeFileSync } from "node:fs";
import { toJson } from "@bufbuild/protobuf";
import { GetJwksResponseSchema } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { SecretFileExistsError } from "../../adapters/signer/secret-file.js";
import { openIssuerKeyStore, revokeIssuerKey, type IssuerKeyStore } from "../issuer-revoke.js";
import { keygenIssuer } from "../keygen-issuer.js";
import type { CommandContext, CommandGroup } from "./command.js";
import { CliError, EXIT, localError, usageError } from "./failures.js";
import { absolutePath } from "./files.js";
import { fields, json, table } from "./output.js";
import { formatTrustedKeys, type IssuerKeyRecord } from "../../domain/credentials/index.js";

function at(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

async function withStore<T>(ctx: CommandContext, what: string, fn: (store: IssuerKeyStore) => Promise<T>): Promise<T> {
  let store: IssuerKeyStore | undefined;
  try {
    store = openIssuerKeyStore(ctx.env);
  } catch (e) {
    throw localError(e instanceof Error ? e.message : String(e));
  }
  if (store === undefined) {
    throw localError(
      `${what} needs DATABASE_URL (the service's Postgres; there is no RPC for it, and the embedded PGlite of ` +
        "`npm start` belongs to its one process)",
    );
  }
  try {
    return await fn(store);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`database: ${e instanceof Error ? e.message : String(e)}`, EXIT.unavailable);
  } finally {
    await store.close();
  }
}

async function listRecorded(ctx: CommandContext): Promise<void> {
  const keys: IssuerKeyRecord[] = await withStore(ctx, "listing every recorded key", (s) => s.repository.list());
  const trustedOut = ctx.args.string("trusted-jwks-out");
  if (trustedOut !== undefined) {
    // The operator's copy for `audit verify --jwks`: keep it outside the service's database.
    writeFileSync(absolutePath(ctx, trustedOut), formatTrustedKeys(keys), { mode: 0o644 });
  }
  if (ctx.mode === "json") return json(ctx.io, { keys: keys.map((k) => ({ ...k, publicJwk: JSON.stringify(k.publicJwk) })) });
  if (ctx.mode === "quiet") return keys.forEach((k) => ctx.io.out(k.kid));
  table(
    ctx.io,
    ["kid", "status", "alg", "created", "retired", "revoked"],
    keys.map((k) => [k.kid, k.status, k.alg, at(k.createdAtMs), at(k.retiredAtMs), at(k.revokedAtMs)]),
  );
}

export const issuerKeyCommands: CommandGroup = {
  summary: "the issuer keys that sign credentials",
  commands: {
    list: {
      usage: "[--recorded [--trusted-jwks-out FILE]]",
      summary:
        "the published keys (GetJwks: active, then retired); --recorded: every key in the database (DATABASE_URL), " +
        "--trusted-jwks-out: also write them with revoked_at as the trusted keys of `audit verify --jwks`",
      options: { recorded: { type: "boolean" }, "trusted-jwks-out": { type: "string" } },
      async run(ctx) {
        ctx.args.noPositionals();
        if (ctx.args.string("trusted-jwks-out") !== undefined && !ctx.args.flag("recorded")) {
          throw usageError("--trusted-jwks-out needs --recorded");
        }
        if (ctx.args.flag("recorded")) return listRecorded(ctx);
        const res = await ctx.session().verifier.getJwks({});
        if (ctx.mode === "json") return json(ctx.io, toJson(GetJwksResponseSchema, res));
        if (ctx.mode === "quiet") return res.keys.forEach((k) => ctx.io.out(k.kid));
        table(ctx.io, ["kid", "status", "alg"], res.keys.map((k) => [k.kid, k.status, k.alg]));
      },
    },
    rotate: {
      usage: "--out FILE [--force]",
      summary: "write a new issuer key file (0600) to roll out; the service makes it active when started with it",
      options: { out: { type: "string" }, force: { type: "boolean" } },
      async run(ctx) {
        ctx.args.noPositionals();
        const out = absolutePath(ctx, ctx.args.required("out"));
        let result: { path: string; kid: string };
        try {
          result = await keygenIssuer(["--out", out, ...(ctx.args.flag("force") ? ["--force"] : [])], {});
        } catch (e) {
          if (e instanceof SecretFileExistsError) throw localError(e.message);
          throw localError(`cannot write ${out}: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (ctx.mode === "json") return json(ctx.io, { file: result.path, kid: result.kid, active: false });
        if (ctx.mode === "quiet") return ctx.io.out(result.kid);
        fields(ctx.io, [
          ["wrote", `${result.path} (0600)`],
          ["kid", result.kid],
          ["status", "not active yet"],
        ]);
        ctx.io.out(`next: set ISSUER_PRIVATE_JWK_FILE=${result.path} on every replica and roll the deployment; the first`);
        ctx.io.out("replica that starts with it makes it active and retires the current key (docs/issuer-rotation.md).");
      },
    },
    revoke: {
      usage: "KID [--force]",
      summary: "emergency revoke in the database (DATABASE_URL), announced to replicas over Redis (REDIS_URL)",
      options: { force: { type: "boolean" } },
      async run(ctx) {
        const kid = ctx.args.positional("kid");
        const outcome = await withStore(ctx, "revoking an issuer key", async (store) =>
          revokeIssuerKey({ repository: store.repository, bus: await store.bus() }, kid, ctx.args.flag("force")),
        );
        if (!outcome.ok) throw new CliError(outcome.problem, outcome.reason === "unknown_kid" ? EXIT.notFound : EXIT.conflict);
        if (ctx.mode === "json") return json(ctx.io, outcome);
        if (ctx.mode === "quiet") return ctx.io.out(outcome.kid);
        ctx.io.out(`revoked issuer key ${outcome.kid} (was ${outcome.previousStatus}); it is no longer published or trusted`);
        ctx.io.out(
          outcome.published
            ? "announced on the invalidation bus: every replica reloads its key set and flushes its caches now"
            : "REDIS_URL is not set: no replica was told; restart every replica so they reload the key set",
        );
      },
    },
  },
};
