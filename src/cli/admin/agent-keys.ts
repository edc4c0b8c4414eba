/**
 * `admin agents register|rotate-key`: the agent's public key and its possession proof, either from files the agent
 * made (--public-jwk + --proof) or made here with the client SDK from the agent's private key (--agent-key); the
 * private key never leaves this process.
 */
import { toJson } from "@bufbuild/protobuf";
import type { JWK } from "jose";
import { RegisterAgentResponseSchema, RotateAgentKeyResponseSchema } from "../../../gen/agentidentity/v1/registry_pb.js";
import { AgentIdentityClient } from "../../client/agent.js";
import {
  CAPABILITY_OPTIONS,
  CAPABILITY_USAGE,
  capabilitiesFrom,
  checkCredentialOut,
  CREDENTIAL_OPTIONS,
  handleCredential,
  showAgent,
} from "./agent-view.js";
import type { CommandContext, CommandSpec } from "./command.js";
import { CliError, localError, usageError } from "./failures.js";
import { readTextFile } from "./files.js";
import { json } from "./output.js";

const KEY_OPTIONS = {
  "public-jwk": { type: "string" },
  proof: { type: "string" },
  "agent-key": { type: "string" },
} as const;

const KEY_USAGE = "(--public-jwk FILE --proof FILE | --agent-key PRIVATE_JWK_FILE)";

type PossessionOp = "agent.register" | "agent.rotate_key";

interface KeyAndProof {
  readonly publicJwk: string;
  readonly proof: string;
}

function readJwk(ctx: CommandContext, path: string, what: string): JWK {
  const text = readTextFile(ctx, path, what);
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not a JSON object");
    return value as JWK;
  } catch (e) {
    throw localError(`${path} is not a JWK (JSON object): ${e instanceof Error ? e.message : String(e)}`);
  }
}

function readProof(ctx: CommandContext, path: string): string {
  const proof = readTextFile(ctx, path, "possession proof").trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(proof)) throw localError(`${path} does not hold a compact JWS possession proof`);
  return proof;
}

/** The public key and proof from files, or from the agent's private key (proof made now for `op`). */
async function keyAndProof(ctx: CommandContext, op: PossessionOp, orgId: () => Promise<string>, agentId?: string): Promise<KeyAndProof> {
  const privateFile = ctx.args.string("agent-key");
  const publicFile = ctx.args.string("public-jwk");
  const proofFile = ctx.args.string("proof");
  if (privateFile !== undefined) {
    if (publicFile !== undefined || proofFile !== undefined) throw usageError("give --agent-key, or --public-jwk with --proof, not both");
    let agent: AgentIdentityClient;
    try {
      agent = await AgentIdentityClient.fromJwk(readJwk(ctx, privateFile, "agent key"));
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw localError(`${privateFile}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const audience = await ctx.session().issuerUrl();
    const proof = await agent.makePossessionProof({ op, audience, orgId: await orgId(), agentId });
    return { publicJwk: JSON.stringify(agent.publicJwk), proof };
  }
  if (publicFile === undefined || proofFile === undefined) throw usageError(`the new key is needed: ${KEY_USAGE}`);
  const jwk = readJwk(ctx, publicFile, "public JWK");
  if ("d" in jwk) throw localError(`${publicFile} holds a PRIVATE key ("d"); give the public JWK (or use --agent-key to keep it here)`);
  return { publicJwk: JSON.stringify(jwk), proof: readProof(ctx, proofFile) };
}

function metadata(ctx: CommandContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of ctx.args.list("meta")) {
    const at = item.indexOf("=");
    if (at < 1) throw usageError(`--meta ${JSON.stringify(item)} must be KEY=VALUE`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

export const registerAgent: CommandSpec = {
  usage: `--org ORG_ID --name NAME ${KEY_USAGE} ${CAPABILITY_USAGE} [--meta K=V...] [--credential-out FILE [--force]]`,
  summary: "register an agent with its public key and possession proof; returns its first credential",
  options: { org: { type: "string" }, name: { type: "string" }, meta: { type: "string", multiple: true }, ...KEY_OPTIONS, ...CAPABILITY_OPTIONS, ...CREDENTIAL_OPTIONS },
  async run(ctx) {
    ctx.args.noPositionals();
    const orgId = ctx.args.required("org");
    const displayName = ctx.args.required("name");
    const capabilities = capabilitiesFrom(ctx, ctx.args);
    if (capabilities === undefined) throw usageError(`the capabilities are needed: ${CAPABILITY_USAGE}`);
    const meta = metadata(ctx);
    checkCredentialOut(ctx);
    const { publicJwk, proof } = await keyAndProof(ctx, "agent.register", async () => orgId);
    const res = await ctx.session().registry.registerAgent({ orgId, displayName, metadata: meta, publicJwk, capabilities, possessionProof: proof });
    if (ctx.mode === "json") json(ctx.io, toJson(RegisterAgentResponseSchema, res));
    else showAgent(ctx, res.agent);
    await handleCredential(ctx, res.credential);
  },
};

export const rotateAgentKey: CommandSpec = {
  usage: `AGENT_ID ${KEY_USAGE} [--credential-out FILE [--force]]`,
  summary: "replace the agent's key (older credentials stop verifying at once); returns a new credential",
  options: { ...KEY_OPTIONS, ...CREDENTIAL_OPTIONS },
  async run(ctx) {
    const agentId = ctx.args.positional("agent id");
    checkCredentialOut(ctx);
    const registry = ctx.session().registry;
    const orgOf = async (): Promise<string> => (await registry.getAgent({ agentId })).agent?.orgId ?? "";
    const { publicJwk, proof } = await keyAndProof(ctx, "agent.rotate_key", orgOf, agentId);
    const res = await registry.rotateAgentKey({ agentId, publicJwk, possessionProof: proof });
    if (ctx.mode === "json") json(ctx.io, toJson(RotateAgentKeyResponseSchema, res));
    else showAgent(ctx, res.agent);
    await handleCredential(ctx, res.credential);
  },
};
