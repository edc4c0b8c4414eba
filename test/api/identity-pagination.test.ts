/** API tier: ListOrgs, ListAgents and ListAuditEvents across pages (stable order, no duplicates) and their filters. */
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../gen/agentidentity/v1/common_pb.js";
import { AgentStatus } from "../../gen/agentidentity/v1/common_pb.js";
import { AgentRegistryService } from "../../gen/agentidentity/v1/registry_pb.js";
import { openApiHarness, type ApiHarness } from "../support/api-harness.js";
import { registerAgent, type RegisteredAgent } from "../support/agents.js";
import { failureOf } from "../support/errors.js";

/** Calls `page` until the last page, returning every page's items. */
async function allPages<T>(page: (token: string) => Promise<{ items: T[]; next: string }>): Promise<T[][]> {
  const pages: T[][] = [];
  let token = "";
  do {
    const res = await page(token);
    pages.push(res.items);
    token = res.next;
    if (pages.length > 100) throw new Error("pagination does not end");
  } while (token !== "");
  return pages;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("pagination and filters through the API tier (router transport, embedded adapters)", () => {
  let t: ApiHarness;
  let admin: Awaited<ReturnType<ApiHarness["adminClients"]>>;
  const orgIds: string[] = [];
  let agentsA: RegisteredAgent[] = [];
  let agentsB: RegisteredAgent[] = [];
  let agentPhase: { startMs: number; endMs: number };

  beforeAll(async () => {
    t = await openApiHarness();
    admin = await t.adminClients();
    // Sequential creates: the listing order (oldest first) is the creation order.
    for (let i = 0; i < 5; i++) orgIds.push((await admin.admin.createOrg({ name: `Org ${i}` })).org!.id);
    await pause(20);
    const startMs = Date.now();
    await pause(5);
    for (let i = 0; i < 5; i++) agentsA.push(await registerAgent(t, { registry: admin.registry, orgId: orgIds[0]!, displayName: `agent A${i}` }));
    for (let i = 0; i < 2; i++) agentsB.push(await registerAgent(t, { registry: admin.registry, orgId: orgIds[1]!, displayName: `agent B${i}` }));
    await pause(5);
    agentPhase = { startMs, endMs: Date.now() };
    await pause(20);
    await admin.registry.revokeAgent({ agentId: agentsA[1]!.agentId, reason: "pagination test" });
    await admin.registry.revokeAgent({ agentId: agentsA[3]!.agentId, reason: "pagination test" });
    // One self renewal: an audit event whose actor is the agent, not the admin.
    await t.client(AgentRegistryService, "agent").issueCredential({ agentId: agentsA[0]!.agentId, proof: await agentsA[0]!.key.makeRenewalProof() });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("ListOrgs with page_size 2 over 5 orgs: 3 pages, creation order, no duplicates, stable on repeat", async () => {
    const list = () =>
      allPages(async (pageToken) => {
        const res = await admin.admin.listOrgs({ pageSize: 2, pageToken });
        return { items: res.orgs.map((o) => o.id), next: res.nextPageToken };
      });
    const pages = await list();
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(orgIds);
    expect(await list()).toEqual(pages);
    const garbage = await failureOf(admin.admin.listOrgs({ pageSize: 2, pageToken: "not-a-token" }));
    expect(garbage.code).toBe(Code.InvalidArgument);
    // An oversized page size is coerced to the bound (AIP-158), not refused.
    expect((await admin.admin.listOrgs({ pageSize: 100_000 })).orgs.map((o) => o.id)).toEqual(orgIds);
  });

  it("ListAgents with page_size 2: org filter, status filter, stable order, no duplicates", async () => {
    const list = (orgId: string, status: AgentStatus) =>
      allPages(async (pageToken) => {
        const res = await admin.registry.listAgents({ pageSize: 2, pageToken, orgId, status });
        return { items: res.agents.map((a) => ({ id: a.id, org: a.orgId, status: a.status })), next: res.nextPageToken };
      });
    const inA = await list(orgIds[0]!, AgentStatus.UNSPECIFIED);
    expect(inA.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(inA.flat().map((a) => a.id)).toEqual(agentsA.map((a) => a.agentId));
    expect(await list(orgIds[0]!, AgentStatus.UNSPECIFIED)).toEqual(inA);

    const revokedInA = (await list(orgIds[0]!, AgentStatus.REVOKED)).flat();
    expect(revokedInA.map((a) => a.id)).toEqual([agentsA[1]!.agentId, agentsA[3]!.agentId]);
    const activeInA = (await list(orgIds[0]!, AgentStatus.ACTIVE)).flat();
    expect(activeInA.map((a) => a.id)).toEqual([agentsA[0]!, agentsA[2]!, agentsA[4]!].map((a) => a.agentId));

    const everyone = (await list("", AgentStatus.UNSPECIFIED)).flat();
    expect(everyone.map((a) => a.id)).toEqual([...agentsA, ...agentsB].map((a) => a.agentId));
    expect(new Set(everyone.map((a) => a.id)).size).toBe(7);
    const inB = (await list(orgIds[1]!, AgentStatus.UNSPECIFIED)).flat();
    expect(inB.every((a) => a.org === orgIds[1])).toBe(true);
    expect(inB).toHaveLength(2);
    expect((await list(orgIds[2]!, AgentStatus.UNSPECIFIED)).flat()).toEqual([]);
  });

  it("ListAuditEvents pages newest first without duplicates; filters by org, actor, action and time range", async () => {
    const list = (filter: { orgId?: string; actor?: string; action?: string; startMs?: number; endMs?: number }) =>
      allPages(async (pageToken) => {
        const res = await admin.admin.listAuditEvents({
          pageSize: 3,
          pageToken,
          orgId: filter.orgId ?? "",
          actor: filter.actor ?? "",
          action: filter.action ?? "",
          ...(filter.startMs === undefined ? {} : { startTime: timestampFromMs(filter.startMs) }),
          ...(filter.endMs === undefined ? {} : { endTime: timestampFromMs(filter.endMs) }),
        });
        return { items: res.events, next: res.nextPageToken };
      }).then((pages) => pages.flat());

    const all = await list({});
    const seqs = all.map((e) => Number(e.seq));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    // 5 orgs + 7 agents with their first credential + 2 revocations + 1 renewal (+ admin token issuance).
    const count = (action: string, events: AuditEvent[] = all) => events.filter((e) => e.action === action).length;
    expect(count("org.created")).toBe(5);
    expect(count("agent.registered")).toBe(7);
    expect(count("agent.revoked")).toBe(2);
    expect(count("credential.issued")).toBe(8);

    const byOrg = await list({ orgId: orgIds[0]! });
    expect(byOrg.length).toBeGreaterThan(0);
    expect(byOrg.every((e) => e.orgId === orgIds[0])).toBe(true);
    expect(byOrg.map((e) => e.id)).toEqual(all.filter((e) => e.orgId === orgIds[0]).map((e) => e.id));

    const revocations = await list({ action: "agent.revoked" });
    expect(revocations.map((e) => e.target)).toEqual([agentsA[3]!.agentId, agentsA[1]!.agentId]);

    const byAgent = await list({ actor: `agent:${agentsA[0]!.agentId}` });
    expect(byAgent.map((e) => e.action)).toEqual(["credential.issued"]);
    const byAdmin = await list({ actor: t.material.clients.admin.identity });
    expect(byAdmin.map((e) => e.id)).toEqual(all.filter((e) => e.actor === t.material.clients.admin.identity).map((e) => e.id));
    expect(byAdmin.length).toBe(all.length - 1);

    const inPhase = await list({ startMs: agentPhase.startMs, endMs: agentPhase.endMs });
    expect(count("agent.registered", inPhase)).toBe(7);
    expect(count("credential.issued", inPhase)).toBe(7);
    expect(inPhase).toHaveLength(14);
    for (const e of inPhase) {
      const ms = timestampDate(e.time!).getTime();
      expect(ms).toBeGreaterThanOrEqual(agentPhase.startMs);
      expect(ms).toBeLessThan(agentPhase.endMs);
    }
    const combined = await list({ orgId: orgIds[1]!, action: "agent.registered", startMs: agentPhase.startMs, endMs: agentPhase.endMs });
    expect(combined.map((e) => e.target)).toEqual([agentsB[1]!.agentId, agentsB[0]!.agentId]);
    expect(await list({ action: "agent.revoked", endMs: agentPhase.endMs })).toEqual([]);
  });
});
