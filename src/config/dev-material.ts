/** prepareDevelopmentMaterial: generates whatever development material is missing under certs/dev as 0600 files. */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { caIsUsable, createDevCa, createLeaf, leafIsUsable, type LeafSpec, type PemPair } from "./dev-certificates.js";
import { createAdminApiKey, createP256PrivateJwk } from "./dev-keys.js";
import { writeSecretFileAtomic } from "./files.js";

/** A generated client certificate and the identity in its single SPIFFE URI SAN. */
export interface DevClientCertificate {
  readonly identity: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Paths of everything development mode generates (absolute when `dir` is). Secrets stay in the files. */
export interface DevMaterial {
  readonly dir: string;
  readonly caCertFile: string;
  readonly caKeyFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clients: {
    readonly admin: DevClientCertificate;
    readonly relyingParty: DevClientCertificate;
    readonly agent: DevClientCertificate;
  };
  /** Issuer signing key: P-256 private JWK, kid = RFC 7638 thumbprint. */
  readonly issuerJwkFile: string;
  /** Admin-token signing key: a separate P-256 private JWK. */
  readonly adminTokenJwkFile: string;
  /** The development admin API key (one line). */
  readonly adminApiKeyFile: string;
}

export interface PrepareOptions {
  /** Trust domain of the client certificates' SPIFFE IDs (default agent-identity.local). */
  readonly trustDomain?: string;
  /** Regenerate the CA and every certificate even when the existing ones are usable (keys are kept). */
  readonly force?: boolean;
  /** Current time for certificate validity (default Date.now()). */
  readonly nowMs?: number;
}

/** The paths development material lives at in `dir`, for `trustDomain`. */
export function devMaterialPaths(dir: string, trustDomain = "agent-identity.local"): DevMaterial {
  const client = (name: string, path: string): DevClientCertificate => ({
    identity: `spiffe://${trustDomain}/${path}`,
    certFile: join(dir, `${name}.crt`),
    keyFile: join(dir, `${name}.key`),
  });
  return {
    dir,
    caCertFile: join(dir, "ca.crt"),
    caKeyFile: join(dir, "ca.key"),
    serverCertFile: join(dir, "server.crt"),
    serverKeyFile: join(dir, "server.key"),
    clients: {
      admin: client("admin", "admin/cli"),
      relyingParty: client("rp-example", "rp/example"),
      agent: client("agent-example", "agent/example"),
    },
    issuerJwkFile: join(dir, "issuer.jwk.json"),
    adminTokenJwkFile: join(dir, "admin-token.jwk.json"),
    adminApiKeyFile: join(dir, "admin-api-key"),
  };
}

function readPair(certFile: string, keyFile: string): PemPair | undefined {
  if (!existsSync(certFile) || !existsSync(keyFile)) return undefined;
  return { certPem: readFileSync(certFile, "utf8"), keyPem: readFileSync(keyFile, "utf8") };
}

function writePair(pair: PemPair, certFile: string, keyFile: string): void {
  writeSecretFileAtomic(keyFile, pair.keyPem);
  writeSecretFileAtomic(certFile, pair.certPem);
}

/** Tightens an existing file to 0600 when it is more open. */
function keepPrivate(path: string, log: (message: string) => void): void {
  if ((statSync(path).mode & 0o077) !== 0) {
    chmodSync(path, 0o600);
    log(`development material: set mode 0600 on ${path}`);
  }
}

/**
 * Makes sure every piece of development material exists in `dir` (created with mode 0700): a CA, the server
 * certificate for localhost/127.0.0.1/::1, client certificates for the admin CLI, an example relying party and
 * an example agent, the issuer key, the admin-token key and an admin API key. Usable existing files are kept;
 * when the CA is (re)generated every certificate is re-issued under it. Logs paths only, never secrets.
 */
export async function prepareDevelopmentMaterial(
  dir: string,
  log: (message: string) => void,
  options: PrepareOptions = {},
): Promise<DevMaterial> {
  const nowMs = options.nowMs ?? Date.now();
  const paths = devMaterialPaths(dir, options.trustDomain);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  let ca = readPair(paths.caCertFile, paths.caKeyFile);
  let caRenewed = false;
  if (options.force === true || ca === undefined || !caIsUsable(ca, nowMs)) {
    ca = await createDevCa(nowMs);
    writePair(ca, paths.caCertFile, paths.caKeyFile);
    caRenewed = true;
    log(`development material: generated CA ${paths.caCertFile}`);
  }

  const leaves: { spec: LeafSpec; certFile: string; keyFile: string }[] = [
    {
      spec: { kind: "server", commonName: "localhost", dnsNames: ["localhost"], ips: ["127.0.0.1", "::1"] },
      certFile: paths.serverCertFile,
      keyFile: paths.serverKeyFile,
    },
    ...Object.values(paths.clients).map((c) => ({
      spec: { kind: "client" as const, commonName: c.identity.split("/").slice(3).join("-"), spiffeId: c.identity },
      certFile: c.certFile,
      keyFile: c.keyFile,
    })),
  ];
  for (const leaf of leaves) {
    const existing = readPair(leaf.certFile, leaf.keyFile);
    if (!caRenewed && existing !== undefined && leafIsUsable(existing, ca.certPem, leaf.spec, nowMs)) continue;
    writePair(await createLeaf(ca, leaf.spec, nowMs), leaf.certFile, leaf.keyFile);
    log(`development material: generated certificate ${leaf.certFile} (key ${leaf.keyFile})`);
  }

  for (const [file, what, make] of [
    [paths.issuerJwkFile, "issuer key", async () => `${JSON.stringify(await createP256PrivateJwk(), null, 2)}\n`],
    [paths.adminTokenJwkFile, "admin-token key", async () => `${JSON.stringify(await createP256PrivateJwk(), null, 2)}\n`],
    [paths.adminApiKeyFile, "admin API key", async () => `${createAdminApiKey()}\n`],
  ] as const) {
    if (existsSync(file)) continue;
    writeSecretFileAtomic(file, await make());
    log(`development material: generated ${what} ${file}`);
  }

  for (const file of [paths.caCertFile, paths.caKeyFile, ...leaves.flatMap((l) => [l.certFile, l.keyFile]), paths.issuerJwkFile, paths.adminTokenJwkFile, paths.adminApiKeyFile]) {
    keepPrivate(file, log);
  }
  return paths;
}
