/** The browser listener: TLS without client certificates, the CORS allow-list, only browser-marked methods. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { VerifierService } from "../../../gen/agentidentity/v1/verifier_pb.js";
import { createTestPki } from "../../support/tls.js";
import type { TestPki } from "../../support/tls.js";
import { startHarness } from "./harness.js";
import type { Harness } from "./harness.js";

let pki: TestPki;
let h: Harness;
beforeAll(async () => {
  pki = await createTestPki();
  h = await startHarness(pki);
});
afterAll(async () => {
  await h.server.shutdown(1_000);
});

function base(): string {
  return `https://localhost:${String(h.server.browserPort)}`;
}

async function preflight(origin: string): Promise<{ status: number; allowOrigin: string | null }> {
  const { request } = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = request(
      `${base()}/agentidentity.v1.VerifierService/GetJwks`,
      { method: "OPTIONS", ca: pki.ca.cert, agent: false, headers: { origin, "access-control-request-method": "POST" } },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, allowOrigin: (res.headers["access-control-allow-origin"] as string | undefined) ?? null });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("browser listener", () => {
  it("answers a preflight from an allowed origin and refuses another", async () => {
    expect(await preflight("https://console.test")).toEqual({ status: 204, allowOrigin: "https://console.test" });
    expect(await preflight("https://evil.test")).toEqual({ status: 403, allowOrigin: null });
  });

  it("serves browser-marked methods without a client certificate and refuses the others", async () => {
    const transport = createConnectTransport({ baseUrl: base(), httpVersion: "1.1", nodeOptions: { ca: pki.ca.cert, agent: false } });
    const client = createClient(VerifierService, transport);
    expect((await client.getJwks({})).jwksJson).toBe('{"keys":[]}');
    const err = await client.verify({ scope: "ok" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.PermissionDenied);
  });
});
