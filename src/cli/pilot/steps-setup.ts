/** Pilot steps 1-3: the admin token exchange, a fresh organisation, and an agent registered with a fresh key. */
import { decodeJwt, exportJWK, generateKeyPair } from "jose";
import { AgentIdentityClient } from "../../client/agent.js";
import { ADMIN_API_KEY_HEADER } from "./clients.js";
import { AMOUNT_MINOR, CURRENCY, OPERATION, SCOPE, check, type AdminClients, type PilotRun, type StepResult, type VerifyKit } from "./step-kit.js";

/** 1. Exchange the admin API key (header, never a field) for a short-lived admin JWT. */
export async function exchangeToken(run: PilotRun): Promise<StepResult<{ token: string; issuerUrl: string }>> {
  const res = await run.clients.exchange.exchangeToken({}, { headers: { [ADMIN_API_KEY_HEADER]: run.settings.adminApiKey } });
  check(res.accessToken !== "", "no access token returned");
  const claims = decodeJwt(res.accessToken);
  const iss = run.settings.issuerUrl ?? (typeof claims.iss === "string" ? claims.iss : "");
  check(iss !== "", "the admin JWT has no iss (set PILOT_ISSUER_URL)");
  return {
    outcome: { subject: res.subject, token_type: res.tokenType, expires_in_s: Number(claims.exp ?? 0) - Number(claims.iat ?? 0) },
    value: { token: res.accessToken, issuerUrl: iss },
  };
}

/** 2. A fresh organisation for this run. */
export async function createOrg(run: PilotRun, { admin }: AdminClients): Promise<StepResult<string>> {
  const { org } = await admin.createOrg({ name: `pilot smoke ${new Date().toISOString()}` });
  check(org !== undefined && org.id.startsWith("org_"), "CreateOrg returned no org id");
  run.orgId = org.id;
  return { outcome: { org_id: org.id }, value: org.id };
}

/** 3. Register an agent with a fresh key (the service only sees the public key and a possession proof). */
export async function registerAgent(
  run: PilotRun,
  { registry }: AdminClients,
  issuerUrl: string,
): Promise<StepResult<{ agentKey: AgentIdentityClient; credential: string }>> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const key = await AgentIdentityClient.fromJwk(await exportJWK(privateKey), { serviceAudience: issuerUrl });
  const res = await registry.registerAgent({
    orgId: run.orgId,
    displayName: "pilot smoke agent",
    publicJwk: JSON.stringify(key.publicJwk),
    capabilities: { scopes: [SCOPE], operations: [OPERATION], amountLimits: [{ currency: CURRENCY, maxAmountMinor: 10_000n }] },
    possessionProof: await key.makePossessionProof({ op: "agent.register", audience: issuerUrl, orgId: run.orgId }),
  });
  const agentId = res.agent?.id ?? "";
  const credential = res.credential?.token ?? "";
  check(agentId.startsWith("agt_"), "RegisterAgent returned no agent id");
  check(credential !== "", "RegisterAgent returned no credential");
  key.agentId = agentId;
  run.agentId = agentId;
  return { outcome: { agent_id: agentId, key_thumbprint: key.thumbprint }, value: { agentKey: key, credential } };
}

/** The agent's proofs for the pilot's scope and operation, and the relying party's Verify of them. */
export function verifyKit(run: PilotRun, agentKey: AgentIdentityClient): VerifyKit {
  return {
    proof: (credential) =>
      agentKey.makeProof({
        audience: run.rpAudience,
        scope: SCOPE,
        op: OPERATION,
        amountMinor: AMOUNT_MINOR,
        currency: CURRENCY,
        credentialOrSession: credential,
      }),
    verify: (credential, proofJws) =>
      run.clients.verifier.verify({
        presented: { case: "credential", value: credential },
        proof: proofJws,
        scope: SCOPE,
        operation: OPERATION,
        amountMinor: AMOUNT_MINOR,
        currency: CURRENCY,
      }),
  };
}
