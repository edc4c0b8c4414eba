/** REDIS_URL forms: one server (`redis://`, `rediss://`) or a cluster given by seed nodes (`redis+cluster://h1:p1,h2:p2`). */

export interface RedisSeedNode {
  readonly host: string;
  readonly port: number;
}

export type RedisEndpoint =
  | { readonly kind: "single"; readonly url: string }
  | {
      readonly kind: "cluster";
      /** Any reachable subset of the cluster's nodes; the client learns the rest from CLUSTER SLOTS. */
      readonly seeds: readonly RedisSeedNode[];
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly tls: boolean;
    };

const CLUSTER_SCHEMES: Readonly<Record<string, boolean>> = { "redis+cluster:": false, "rediss+cluster:": true };

/** The documented forms, for error messages. */
export const REDIS_URL_FORMS = "redis://host:port, rediss://host:port or redis+cluster://host1:port1,host2:port2,...";

/** True when the value names a cluster scheme (its seed list is parsed by parseRedisEndpoint). */
export function isClusterUrl(value: string): boolean {
  const scheme = /^[a-z+]+:/i.exec(value)?.[0]?.toLowerCase();
  return scheme !== undefined && scheme in CLUSTER_SCHEMES;
}

function parseSeed(text: string): RedisSeedNode {
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(text);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port < 1 || port > 65535) throw new Error(`seed node "${text}" is not host:port`);
  return { host: (match[1] ?? "").replace(/^\[|\]$/g, ""), port };
}

/**
 * Parses REDIS_URL. Cluster form: `redis+cluster://[user:password@]host1:port1,host2:port2[,...]`
 * (`rediss+cluster://` for TLS); no database number (a cluster has only database 0).
 * @throws Error saying what is wrong (never echoing the password).
 */
export function parseRedisEndpoint(value: string): RedisEndpoint {
  if (!isClusterUrl(value)) return { kind: "single", url: value };
  const scheme = (/^[a-z+]+:/i.exec(value)?.[0] ?? "").toLowerCase();
  const rest = value.slice(scheme.length);
  if (!rest.startsWith("//")) throw new Error(`must be ${scheme}//host1:port1,host2:port2`);
  const body = rest.slice(2);
  const at = body.lastIndexOf("@");
  const credentials = at < 0 ? undefined : body.slice(0, at);
  const hosts = (at < 0 ? body : body.slice(at + 1)).replace(/\/$/, "");
  if (hosts.includes("/") || hosts.includes("?")) throw new Error("a cluster URL takes no database number or options");
  const seeds = hosts.split(",").map((s) => parseSeed(s.trim()));
  let username: string | undefined;
  let password: string | undefined;
  if (credentials !== undefined) {
    const colon = credentials.indexOf(":");
    const user = colon < 0 ? credentials : credentials.slice(0, colon);
    username = user === "" ? undefined : decodeURIComponent(user);
    password = colon < 0 ? undefined : decodeURIComponent(credentials.slice(colon + 1));
  }
  return { kind: "cluster", seeds, username, password, tls: CLUSTER_SCHEMES[scheme] === true };
}
