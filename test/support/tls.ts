/** Test certificates: two CAs, a localhost server certificate and client certificates with chosen SANs. */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** A certificate and its private key, PEM. */
export interface KeyPairPem {
  readonly cert: string;
  readonly key: string;
}

export interface TestCa extends KeyPairPem {
  readonly certificate: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
}

export interface LeafOptions {
  readonly cn: string;
  readonly uris?: readonly string[];
  readonly dns?: readonly string[];
  readonly ips?: readonly string[];
  readonly usage: "server" | "client";
}

let serial = 1;
function nextSerial(): string {
  serial += 1;
  return serial.toString(16).padStart(4, "0");
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(pkcs8, "PRIVATE KEY");
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]));
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 60_000), notAfter: new Date(now + 24 * 3600_000) };
}

export async function createCa(name: string): Promise<TestCa> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `CN=${name}`,
    ...validity(),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys, cert: certificate.toString("pem"), key: await keyPem(keys.privateKey) };
}

export async function issueLeaf(ca: TestCa, options: LeafOptions): Promise<KeyPairPem> {
  const keys = await generateKeys();
  const names: x509.JsonGeneralName[] = [
    ...(options.uris ?? []).map((value) => ({ type: "url" as const, value })),
    ...(options.dns ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([options.usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.certificate, false),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: nextSerial(),
    subject: `CN=${options.cn}`,
    issuer: ca.certificate.subject,
    ...validity(),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions,
  });
  return { cert: certificate.toString("pem"), key: await keyPem(keys.privateKey) };
}

/** Everything the server tests need, also written as PEM files (for the buf CLI) under `dir`. */
export interface TestPki {
  readonly trustDomain: string;
  readonly ca: TestCa;
  readonly otherCa: TestCa;
  readonly server: KeyPairPem;
  readonly clients: {
    readonly admin: KeyPairPem;
    readonly relyingParty: KeyPairPem;
    readonly agent: KeyPairPem;
    readonly noUriSan: KeyPairPem;
    readonly twoUriSans: KeyPairPem;
    readonly foreignTrustDomain: KeyPairPem;
    /** Signed by the unrelated CA, with a valid-looking admin SPIFFE ID. */
    readonly otherCa: KeyPairPem;
  };
  readonly dir: string;
  /** Paths of `<name>.crt` / `<name>.key` files in `dir` ("ca", "server", and each client name). */
  file(name: string, kind: "crt" | "key"): string;
}

export async function createTestPki(trustDomain = "test.local"): Promise<TestPki> {
  const ca = await createCa("test client and server ca");
  const otherCa = await createCa("unrelated ca");
  const spiffe = (path: string): string => `spiffe://${trustDomain}${path}`;
  const client = (cn: string, uris: readonly string[], issuer = ca): Promise<KeyPairPem> => issueLeaf(issuer, { cn, uris, usage: "client" });
  const server = await issueLeaf(ca, { cn: "localhost", dns: ["localhost"], ips: ["127.0.0.1", "::1"], usage: "server" });
  const clients = {
    admin: await client("admin", [spiffe("/admin/alice")]),
    relyingParty: await client("rp", [spiffe("/rp/shop")]),
    agent: await client("agent", [spiffe("/agent/bot")]),
    noUriSan: await client("no-uri", []),
    twoUriSans: await client("two-uris", [spiffe("/admin/a"), spiffe("/rp/b")]),
    foreignTrustDomain: await client("foreign", ["spiffe://elsewhere.example/admin/alice"]),
    otherCa: await client("other-ca", [spiffe("/admin/mallory")], otherCa),
  };
  const dir = await mkdtemp(join(tmpdir(), "agent-identity-pki-"));
  const write = async (name: string, pair: KeyPairPem): Promise<void> => {
    await writeFile(join(dir, `${name}.crt`), pair.cert, { mode: 0o600 });
    await writeFile(join(dir, `${name}.key`), pair.key, { mode: 0o600 });
  };
  await write("ca", ca);
  await write("server", server);
  for (const [name, pair] of Object.entries(clients)) await write(name, pair);
  return { trustDomain, ca, otherCa, server, clients, dir, file: (name, kind) => join(dir, `${name}.${kind}`) };
}
