/** How the admin CLI shows agents and credentials, reads capability flags and writes credentials to 0600 files. */
import { existsSync } from "node:fs";
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import {
  AgentStatus,
  CapabilityManifestSchema,
  type Agent,
  type CapabilityManifest,
  type Credential,
} from "../../../gen/agentidentity/v1/common_pb.js";
import { SecretFileExistsError, writeSecretFile } from "../../adapters/signer/secret-file.js";
import type { Args, OptionSpecs } from "./args.js";
import type { CommandContext } from "./command.js";
import { localError, usageError } from "./failures.js";
import { absolutePath, readTextFile } from "./files.js";
import { fields, time } from "./output.js";

export const CAPABILITY_OPTIONS: OptionSpecs = {
  scope: { type: "string", multiple: true },
  op: { type: "string", multiple: true },
  limit: { type: "string", multiple: true },
  capabilities: { type: "string" },
};

export const CAPABILITY_USAGE = "(--scope S... --op OP... [--limit CUR:MAX_MINOR...] | --capabilities FILE)";

export const CREDENTIAL_OPTIONS: OptionSpecs = {
  "credential-out": { type: "string" },
  force: { type: "boolean" },
};

export function statusName(status: AgentStatus): string {
  return (AgentStatus[status] ?? "UNSPECIFIED").toLowerCase();
}

function amountLimit(text: string): { currency: string; maxAmountMinor: bigint } {
  const m = /^([A-Za-z]{3}):(\d{1,18})$/.exec(text);
  if (m === null) throw usageError(`--limit ${JSON.stringify(text)} must be CUR:MAX_MINOR, e.g. EUR:10000 (minor units)`);
  return { currency: m[1]!.toUpperCase(), maxAmountMinor: BigInt(m[2]!) };
}

/** The manifest from --capabilities FILE (protobuf JSON) or from --scope/--op/--limit; undefined when none given. */
export function capabilitiesFrom(ctx: CommandContext, args: Args): CapabilityManifest | undefined {
  const file = args.string("capabilities");
  const flagged = args.list("scope").length + args.list("op").length + args.list("limit").length > 0;
  if (file !== undefined && flagged) throw usageError("give --capabilities FILE or --scope/--op/--limit, not both");
  if (file !== undefined) {
    const text = readTextFile(ctx, file, "capabilities file");
    try {
      return fromJson(CapabilityManifestSchema, JSON.parse(text) as JsonValue);
    } catch (e) {
      throw localError(`${file} is not a CapabilityManifest in protobuf JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!flagged) return undefined;
  return create(CapabilityManifestSchema, {
    scopes: args.list("scope"),
    operations: args.list("op"),
    amountLimits: args.list("limit").map(amountLimit),
  });
}

function limits(c: CapabilityManifest | undefined): string {
  return (c?.amountLimits ?? []).map((l) => `${l.currency}:${l.maxAmountMinor}`).join(", ");
}

export function showAgent(ctx: CommandContext, agent: Agent | undefined): void {
  if (agent === undefined) return;
  if (ctx.mode === "quiet") return ctx.io.out(agent.id);
  const meta = Object.entries(agent.metadata).map(([k, v]) => `${k}=${v}`).join(", ");
  fields(ctx.io, [
    ["id", agent.id],
    ["org", agent.orgId],
    ["name", agent.displayName],
    ["status", statusName(agent.status)],
    ["key thumbprint", agent.keyThumbprint],
    ["scopes", agent.capabilities?.scopes.join(", ")],
    ["operations", agent.capabilities?.operations.join(", ")],
    ["amount limits", limits(agent.capabilities)],
    ["metadata", meta],
    ["state version", agent.stateVersion],
    ["created", time(agent.createTime)],
    ["updated", time(agent.updateTime)],
    ...(agent.status === AgentStatus.REVOKED
      ? ([
          ["revoked", time(agent.revokeTime)],
          ["revoke reason", agent.revokeReason],
          ["revoked by", agent.revokedBy],
        ] as const)
      : []),
  ]);
}

/** Refuses an existing --credential-out file before anything is sent (so no credential is issued in vain). */
export function checkCredentialOut(ctx: CommandContext): void {
  const out = ctx.args.string("credential-out");
  if (out !== undefined && !ctx.args.flag("force") && existsSync(absolutePath(ctx, out))) {
    throw localError(`${out} already exists; pass --force to overwrite it`);
  }
}

/** Writes the credential token to --credential-out (0600) and shows its id, key and expiry (never the token). */
export async function handleCredential(ctx: CommandContext, credential: Credential | undefined): Promise<void> {
  if (credential === undefined) return;
  const out = ctx.args.string("credential-out");
  if (out !== undefined) {
    try {
      await writeSecretFile(absolutePath(ctx, out), `${credential.token}\n`, { force: ctx.args.flag("force") });
    } catch (e) {
      if (e instanceof SecretFileExistsError) throw localError(e.message);
      throw localError(`cannot write ${out}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (ctx.mode !== "table") return;
  ctx.io.out("");
  fields(ctx.io, [
    ["credential", credential.credentialId],
    ["issuer key", credential.kid],
    ["expires", time(credential.expireTime)],
    ["token", out === undefined ? "not shown (use --credential-out FILE or --json)" : `written to ${out} (0600)`],
  ]);
}
