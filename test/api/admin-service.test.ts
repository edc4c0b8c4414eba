// AdminService through the router transport with the real interceptor chain: every RPC's success and refusals.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/agentidentity/v1/admin_pb.js";
import { OrgTier } from "../../gen/agentidentity/v1/common_pb.js";
import { certThumbprint } from "../../src/server/peer-identity.js";
import { openApiHarness, type ApiHarness } from "../support/api-harness.js";
import { expectRefused } from "../support/refusals.js";
import { bearer } from "../support/service-under-test.js";

let h: ApiHarness;
beforeAll(async () => {
  h = await openApiHarness();
});
afterAll(async () => {
  await h?.close();
});

const unique = (name: string): string => `${name} ${Math.random().toString(36).slice(2, 10)}`;

describe("ExchangeToken", () => {
  it("gives an admin peer with the API key a bound bearer token", async () => {
    const res = await h.clientAs(AdminService, "admin").exchangeToken({ ttlSeconds: 120 }, { headers: { "x-admin-api-key": h.adminApiKey } });
    expect(res.tokenType).toBe("Bearer");
    expect(res.subject).toBe(h.peerOf("admin").identity);
    expect(res.accessToken.split(".")).toHaveLength(3);
  });

  it("refuses a wrong or missing key, a bad lifetime, a relying party, an org-scoped browser token and a refused certificate", async () => {
    // Another admin peer, so its failed exchanges do not count against the dev admin's failure limiter.
    const other = { ...h.peerOf("admin"), identity: `${h.peerOf("admin").identity}-other`, certThumbprint: certThumbprint(new Uint8Array([1, 2, 3])) };
    const asOther = h.clientAs(AdminService, { listener: "mtls", peer: other });
    await expectRefused(asOther.exchangeToken({}, { headers: { "x-admin-api-key": "wrong-key-wrong-key" } }), Code.Unauthenticated, "admin.key_invalid");
    await expectRefused(asOther.exchangeToken({}), Code.Unauthenticated, "admin.key_missing");
    await expectRefused(
      asOther.exchangeToken({ ttlSeconds: 5 }, { headers: { "x-admin-api-key": h.adminApiKey } }),
      Code.InvalidArgument,
      "admin.ttl_invalid",
      "ttl_seconds",
    );
    const key = { headers: { "x-admin-api-key": h.adminApiKey } };
    await expectRefused(h.clientAs(AdminService, "relyingParty").exchangeToken({}, key), Code.PermissionDenied, "auth.role_required");
    await expectRefused(
      h.clientAs(AdminService, { listener: "browser" }).exchangeToken({ orgId: "org_00000000000000000000000000" }, key),
      Code.InvalidArgument,
      "admin.org_id_invalid",
      "org_id",
    );
    const reason = "client certificate not verified: CERT_HAS_EXPIRED";
    const message = await expectRefused(
      h.clientAs(AdminService, { listener: "mtls", refusal: reason }).exchangeToken({}, key),
      Code.Unauthenticated,
      "auth.certificate_refused",
    );
    expect(message).toBe("client certificate refused");
    expect(h.logs.some((l) => l.errorCode === "auth.certificate_refused" && l.detail === reason && l.level === "info")).toBe(true);
  });
});

describe("CreateOrg, GetOrg, ListOrgs", () => {
  it("creates, reads and pages organisations", async () => {
    const { admin } = await h.adminClients();
    const names = [unique("Acme"), unique("Globex")];
    const created = [];
    for (const name of names) created.push((await admin.createOrg({ name, tier: OrgTier.VERIFIED })).org!);
    expect(created[0]!.id).toMatch(/^org_/);
    expect((await admin.getOrg({ orgId: created[1]!.id })).org!.name).toBe(names[1]);
    const first = await admin.listOrgs({ pageSize: 1 });
    expect(first.orgs).toHaveLength(1);
    expect(first.nextPageToken).not.toBe("");
    const second = await admin.listOrgs({ pageSize: 1, pageToken: first.nextPageToken });
    expect(second.orgs[0]!.id).not.toBe(first.orgs[0]!.id);
  });

  it("refuses a missing admin token, a bad tier, a taken name, an unknown or malformed id and a bad page token", async () => {
    const { admin } = await h.adminClients();
    const noToken = h.clientAs(AdminService, "admin");
    await expectRefused(noToken.createOrg({ name: unique("No token") }), Code.Unauthenticated, "admin.token_missing");
    await expectRefused(h.clientAs(AdminService, "admin", [bearer("not-a-jwt")]).getOrg({ orgId: "org_x" }), Code.Unauthenticated, "admin.token_invalid");
    await expectRefused(admin.createOrg({ name: unique("Tier"), tier: 99 as OrgTier }), Code.InvalidArgument, "org.invalid_tier", "tier");
    const name = unique("Taken");
    await admin.createOrg({ name });
    await expectRefused(admin.createOrg({ name }), Code.AlreadyExists, "org.name_taken");
    await expectRefused(admin.getOrg({ orgId: "org_00000000000000000000000000" }), Code.NotFound, "org.not_found");
    await expectRefused(admin.getOrg({ orgId: "not an id" }), Code.InvalidArgument, "org.invalid_id", "org_id");
    await expectRefused(admin.listOrgs({ pageToken: "garbage" }), Code.InvalidArgument, "pagination.invalid_token", "page_token");
    await expectRefused(h.clientAs(AdminService, "relyingParty").listOrgs({}), Code.PermissionDenied, "auth.role_required");
  });
});

describe("ListAuditEvents and ExportAudit", () => {
  it("lists an org's events and exports a chain range with its header", async () => {
    const { admin } = await h.adminClients();
    const { org } = await admin.createOrg({ name: unique("Audited") });
    const events = await admin.listAuditEvents({ orgId: org!.id });
    expect(events.events.map((e) => e.action)).toContain("org.created");
    const items = [];
    for await (const item of admin.exportAudit({ startSeq: 1n, endSeq: 2n })) items.push(item.item);
    expect(items[0]!.case).toBe("header");
    // The range starts where asked and runs contiguously to a signed checkpoint (an export ends on one).
    const seqs = items.flatMap((i) => (i.case === "event" ? [i.value.seq] : []));
    expect(seqs.slice(0, 2)).toEqual([1n, 2n]);
    expect(seqs.every((seq, i) => seq === BigInt(i + 1))).toBe(true);
    expect(items.some((i) => i.case === "checkpoint")).toBe(true);
  });

  it("refuses a bad range, a bad page token and callers without an admin token", async () => {
    const { admin } = await h.adminClients();
    const drain = async (): Promise<void> => {
      for await (const _ of admin.exportAudit({ startSeq: 5n, endSeq: 2n })) void _;
    };
    await expectRefused(drain(), Code.InvalidArgument, "audit.export_range");
    await expectRefused(admin.listAuditEvents({ pageToken: "garbage" }), Code.InvalidArgument, "pagination.invalid_token", "page_token");
    await expectRefused(h.clientAs(AdminService, "admin").listAuditEvents({}), Code.Unauthenticated, "admin.token_missing");
    await expectRefused(h.clientAs(AdminService, "agent").listAuditEvents({}), Code.PermissionDenied, "auth.role_required");
  });
});
