/** Record builders for the storage contract suites. */
import { newId } from "../../src/domain/ids.js";
import type { Agent, CapabilityManifest } from "../../src/domain/agents/index.js";
import type { Org } from "../../src/domain/orgs/index.js";
import type { AgentPublicJwk } from "../../src/domain/keys/index.js";

export const BASE_MS = Date.UTC(2026, 0, 1);

export function org(overrides: Partial<Org> = {}): Org {
  return { id: newId("org"), name: `org ${newId("org")}`, tier: "verified", createdAtMs: BASE_MS, ...overrides };
}

export function jwk(): AgentPublicJwk {
  return { kty: "OKP", crv: "Ed25519", x: newId("key").slice(4) };
}

export const MANIFEST: CapabilityManifest = {
  scopes: ["payments:write"],
  operations: ["transfer"],
  amountLimits: [{ currency: "EUR", maxAmountMinor: 9_007_199_254_740_993n }],
};

export function agent(orgId: string, overrides: Partial<Agent> = {}): Agent {
  return {
    id: newId("agt"),
    orgId,
    displayName: "billing bot",
    metadata: { team: "billing" },
    publicJwk: jwk(),
    keyThumbprint: newId("key"),
    status: "active",
    capabilities: MANIFEST,
    manifestHash: "hash-1",
    stateVersion: 1,
    createdAtMs: BASE_MS,
    updatedAtMs: BASE_MS,
    revokedAtMs: undefined,
    revokeReason: undefined,
    revokedBy: undefined,
    ...overrides,
  };
}

/** Follows next-page tokens to the end. */
export async function collect<T>(fetch: (token: string | undefined) => Promise<{ items: readonly T[]; nextPageToken: string | undefined }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(token);
    out.push(...page.items);
    token = page.nextPageToken;
    pages++;
    if (pages > 1000) throw new Error("pagination does not end");
  } while (token !== undefined);
  return out;
}
