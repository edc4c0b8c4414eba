/** Development material: generated files, 0600 modes, chains and SANs, idempotence, --force, a real mTLS handshake. */
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateJwkThumbprint, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devMaterialPaths, prepareDevelopmentMaterial, type DevMaterial } from "../../src/config/dev-material.js";

const roots: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "aid-dev-material-"));
  roots.push(dir);
  return join(dir, "certs", "dev");
}
afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

function allFiles(m: DevMaterial): string[] {
  const clients = Object.values(m.clients).flatMap((c) => [c.certFile, c.keyFile]);
  return [m.caCertFile, m.caKeyFile, m.serverCertFile, m.serverKeyFile, ...clients, m.issuerJwkFile, m.adminTokenJwkFile, m.adminApiKeyFile];
}

const snapshot = (files: string[]) => Object.fromEntries(files.map((f) => [f, readFileSync(f, "utf8")]));

describe("prepareDevelopmentMaterial", () => {
  let material: DevMaterial;
  let log: string[];

  beforeAll(async () => {
    log = [];
    material = await prepareDevelopmentMaterial(tempDir(), (line) => log.push(line));
  });

  it("writes every file with mode 0600 in a 0700 directory", () => {
    expect(material).toEqual(devMaterialPaths(material.dir));
    expect(statSync(material.dir).mode & 0o777).toBe(0o700);
    for (const file of allFiles(material)) expect({ file, mode: statSync(file).mode & 0o777 }).toEqual({ file, mode: 0o600 });
  });

  it("issues certificates that chain to the CA, clients with exactly one SPIFFE URI SAN", () => {
    const ca = new X509Certificate(readFileSync(material.caCertFile));
    expect(ca.ca).toBe(true);
    const server = new X509Certificate(readFileSync(material.serverCertFile));
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.subjectAltName?.split(", ")).toEqual(["DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1"]);
    expect(server.checkHost("localhost")).toBe("localhost");
    expect(server.checkIP("::1")).toBe("::1");

    const expected = {
      admin: "spiffe://agent-identity.local/admin/cli",
      relyingParty: "spiffe://agent-identity.local/rp/example",
      agent: "spiffe://agent-identity.local/agent/example",
    };
    for (const [name, client] of Object.entries(material.clients)) {
      const cert = new X509Certificate(readFileSync(client.certFile));
      expect(client.identity).toBe(expected[name as keyof typeof expected]);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.subjectAltName).toBe(`URI:${client.identity}`);
      expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
      expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    }
  });

  it("writes two distinct P-256 private JWKs whose kid is the RFC 7638 thumbprint, and a long admin API key", async () => {
    const issuer = JSON.parse(readFileSync(material.issuerJwkFile, "utf8")) as JWK;
    const adminToken = JSON.parse(readFileSync(material.adminTokenJwkFile, "utf8")) as JWK;
    for (const jwk of [issuer, adminToken]) {
      expect(jwk).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
      expect(typeof jwk.d).toBe("string");
      expect(jwk.kid).toBe(await calculateJwkThumbprint({ kty: "EC", crv: "P-256", x: jwk.x!, y: jwk.y! }));
    }
    expect(issuer.kid).not.toBe(adminToken.kid);
    expect(readFileSync(material.adminApiKeyFile, "utf8").trim().length).toBeGreaterThanOrEqual(32);
  });

  it("logs paths, never secrets", () => {
    expect(log).toHaveLength(8); // the CA, 4 certificates (each with its key), 3 keys
    const secrets = [
      readFileSync(material.adminApiKeyFile, "utf8").trim(),
      (JSON.parse(readFileSync(material.issuerJwkFile, "utf8")) as JWK).d!,
      (JSON.parse(readFileSync(material.adminTokenJwkFile, "utf8")) as JWK).d!,
    ];
    for (const line of log) for (const secret of secrets) expect(line).not.toContain(secret);
    expect(log.join("\n")).toContain(material.adminApiKeyFile);
  });

  it("keeps everything on a second run", async () => {
    const before = snapshot(allFiles(material));
    const again: string[] = [];
    await prepareDevelopmentMaterial(material.dir, (line) => again.push(line));
    expect(again).toEqual([]);
    expect(snapshot(allFiles(material))).toEqual(before);
  });
});

describe("regeneration", () => {
  it("re-issues only a missing certificate, under the existing CA", async () => {
    const material = await prepareDevelopmentMaterial(tempDir(), () => undefined);
    const ca = readFileSync(material.caCertFile, "utf8");
    const admin = readFileSync(material.clients.admin.certFile, "utf8");
    unlinkSync(material.clients.agent.keyFile);
    const log: string[] = [];
    await prepareDevelopmentMaterial(material.dir, (line) => log.push(line));
    expect(log).toEqual([expect.stringContaining(material.clients.agent.certFile)]);
    expect(readFileSync(material.caCertFile, "utf8")).toBe(ca);
    expect(readFileSync(material.clients.admin.certFile, "utf8")).toBe(admin);
    const agent = new X509Certificate(readFileSync(material.clients.agent.certFile));
    expect(agent.verify(new X509Certificate(ca).publicKey)).toBe(true);
    expect(agent.checkPrivateKey(await import("node:crypto").then((c) => c.createPrivateKey(readFileSync(material.clients.agent.keyFile))))).toBe(true);
  });

  it("--force re-issues the CA and every certificate but keeps the keys and the admin API key", async () => {
    const material = await prepareDevelopmentMaterial(tempDir(), () => undefined);
    const keys = snapshot([material.issuerJwkFile, material.adminTokenJwkFile, material.adminApiKeyFile]);
    const certs = snapshot([material.caCertFile, material.serverCertFile, ...Object.values(material.clients).map((c) => c.certFile)]);
    await prepareDevelopmentMaterial(material.dir, () => undefined, { force: true });
    expect(snapshot(Object.keys(keys))).toEqual(keys);
    const after = snapshot(Object.keys(certs));
    for (const file of Object.keys(certs)) expect(after[file]).not.toBe(certs[file]);
    const ca = new X509Certificate(after[material.caCertFile]!);
    expect(new X509Certificate(after[material.serverCertFile]!).verify(ca.publicKey)).toBe(true);
  });

  it("re-issues client certificates for another trust domain, and near-expiry certificates", async () => {
    const material = await prepareDevelopmentMaterial(tempDir(), () => undefined);
    const moved = await prepareDevelopmentMaterial(material.dir, () => undefined, { trustDomain: "example.org" });
    expect(moved.clients.admin.identity).toBe("spiffe://example.org/admin/cli");
    expect(new X509Certificate(readFileSync(moved.clients.admin.certFile)).subjectAltName).toBe("URI:spiffe://example.org/admin/cli");

    const server = readFileSync(moved.serverCertFile, "utf8");
    const log: string[] = [];
    await prepareDevelopmentMaterial(material.dir, (line) => log.push(line), {
      trustDomain: "example.org",
      nowMs: Date.parse(new X509Certificate(server).validTo) - 86_400_000,
    });
    expect(log.some((line) => line.includes(moved.serverCertFile))).toBe(true);
    expect(readFileSync(moved.serverCertFile, "utf8")).not.toBe(server);
  });
});

describe("writeSecretFileAtomic", () => {
  it("replaces a file with mode 0600 and leaves no temporary file behind", async () => {
    const { writeSecretFileAtomic } = await import("../../src/config/files.js");
    const { mkdirSync, readdirSync, writeFileSync } = await import("node:fs");
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "secret");
    writeFileSync(file, "old", { mode: 0o644 });
    writeSecretFileAtomic(file, "new");
    expect(readFileSync(file, "utf8")).toBe("new");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["secret"]);
    expect(() => writeSecretFileAtomic(join(dir, "missing-dir", "x"), "data")).toThrow();
    expect(readdirSync(dir)).toEqual(["secret"]);
  });
});
