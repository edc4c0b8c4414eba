// The generated development material over a real socket: an mTLS handshake with the server and admin certificates.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { connect, createServer, type TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevMaterial } from "../../src/config/dev-material.js";
import { testMaterial } from "../support/service-under-test.js";

describe("development material over TLS", () => {
  let material: DevMaterial;
  beforeAll(async () => {
    material = await testMaterial();
  });
  afterAll(() => {
    if (material !== undefined) rmSync(join(material.dir, ".."), { recursive: true, force: true });
  });

  it("completes a real mTLS handshake: the server certificate for localhost, the admin client certificate", async () => {
    const server = createServer({
      cert: readFileSync(material.serverCertFile),
      key: readFileSync(material.serverKeyFile),
      ca: readFileSync(material.caCertFile),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
    });
    const accepted = once(server, "secureConnection") as Promise<[TLSSocket]>;
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    const client = connect({
      host: "127.0.0.1",
      port,
      servername: "localhost",
      ca: readFileSync(material.caCertFile),
      cert: readFileSync(material.clients.admin.certFile),
      key: readFileSync(material.clients.admin.keyFile),
    });
    try {
      await once(client, "secureConnect");
      expect(client.authorized).toBe(true);
      const [socket] = await accepted;
      expect(socket.authorized).toBe(true);
      const peer = socket.getPeerCertificate();
      expect(peer.subjectaltname).toBe("URI:spiffe://agent-identity.local/admin/cli");
      const thumbprint = createHash("sha256").update(peer.raw).digest("base64url");
      expect(thumbprint).toHaveLength(43);
    } finally {
      client.destroy();
      server.close();
    }
  });
});
