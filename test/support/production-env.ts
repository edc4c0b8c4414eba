/** A complete, valid production environment for loadConfig, its files from development material (config tests). */
import type { DevMaterial } from "../../src/config/dev-material.js";

/** The admin API key the production environment carries (strong enough for the key rules). */
export const STRONG_ADMIN_KEY = "s3cure-admin-key-0123456789abcdef";

/** Every required variable set, storage on Postgres and Redis; `overrides` replace or remove (undefined) entries. */
export function productionEnvironment<V extends string | undefined = string>(material: DevMaterial, overrides: Record<string, V> = {}): Record<string, string | V> {
  return {
    ADMIN_API_KEYS: STRONG_ADMIN_KEY,
    ISSUER_PRIVATE_JWK_FILE: material.issuerJwkFile,
    ADMIN_JWT_PRIVATE_JWK_FILE: material.adminTokenJwkFile,
    TLS_CERT_FILE: material.serverCertFile,
    TLS_KEY_FILE: material.serverKeyFile,
    TLS_CLIENT_CA_FILE: material.caCertFile,
    DATABASE_URL: "postgres://app@db:5432/aid",
    REDIS_URL: "redis://redis:6379",
    ...overrides,
  };
}
