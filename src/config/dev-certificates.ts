/** Development X.509 material: an ECDSA P-256 CA, a localhost server certificate and SPIFFE client certificates. */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from "node:crypto";

x509.cryptoProvider.set(webcrypto);

const EC_P256 = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
const CA_LIFETIME_DAYS = 3650;
const LEAF_LIFETIME_DAYS = 825;
/** A certificate expiring sooner than this is regenerated. */
const RENEW_BEFORE_MS = 7 * DAY_MS;

/** A certificate and its private key, both PEM. */
export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/** What a leaf certificate is for: the server (DNS/IP SANs) or a client (one SPIFFE URI SAN). */
export type LeafSpec =
  | { readonly kind: "server"; readonly commonName: string; readonly dnsNames: readonly string[]; readonly ips: readonly string[] }
  | { readonly kind: "client"; readonly commonName: string; readonly spiffeId: string };

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString("hex");
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_P256, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
}

/** A new self-signed CA (path length 0: it signs leaves only). */
export async function createDevCa(nowMs: number): Promise<PemPair> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: "CN=agent-identity development CA",
    notBefore: new Date(nowMs - 60_000),
    notAfter: new Date(nowMs + CA_LIFETIME_DAYS * DAY_MS),
    signingAlgorithm: EC_P256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

/** A leaf certificate for `spec`, signed by the CA. */
export async function createLeaf(ca: PemPair, spec: LeafSpec, nowMs: number): Promise<PemPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(ca.keyPem),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const keys = await generateKeys();
  const names: x509.JsonGeneralNames =
    spec.kind === "server"
      ? [...spec.dnsNames.map((value) => ({ type: "dns" as const, value })), ...spec.ips.map((value) => ({ type: "ip" as const, value }))]
      : [{ type: "url", value: spec.spiffeId }];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${spec.commonName}`,
    issuer: caCert.subject,
    notBefore: new Date(nowMs - 60_000),
    notAfter: new Date(nowMs + LEAF_LIFETIME_DAYS * DAY_MS),
    signingAlgorithm: EC_P256,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([spec.kind === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

/** True when the CA pair parses, matches, and is not close to expiry. */
export function caIsUsable(ca: PemPair, nowMs: number): boolean {
  try {
    const cert = new X509Certificate(ca.certPem);
    return cert.ca && cert.checkPrivateKey(createPrivateKey(ca.keyPem)) && Date.parse(cert.validTo) - nowMs > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

/** True when the leaf pair parses, matches, chains to the CA, carries the expected SAN and is not near expiry. */
export function leafIsUsable(leaf: PemPair, caCertPem: string, spec: LeafSpec, nowMs: number): boolean {
  try {
    const cert = new X509Certificate(leaf.certPem);
    const ca = new X509Certificate(caCertPem);
    const san = (cert.subjectAltName ?? "").split(", ");
    const expected =
      spec.kind === "client" ? [`URI:${spec.spiffeId}`] : [...spec.dnsNames.map((d) => `DNS:${d}`), "IP Address:127.0.0.1"];
    return (
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      cert.checkPrivateKey(createPrivateKey(leaf.keyPem)) &&
      expected.every((name) => san.includes(name)) &&
      (spec.kind === "server" || san.length === 1) &&
      Date.parse(cert.validTo) - nowMs > RENEW_BEFORE_MS
    );
  } catch {
    return false;
  }
}
