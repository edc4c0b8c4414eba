/** REDIS_URL forms: one server passes through; the cluster form yields seed nodes, credentials and TLS. */
import { describe, expect, it } from "vitest";
import { isClusterUrl, parseRedisEndpoint } from "../../src/config/redis-url.js";

describe("parseRedisEndpoint", () => {
  it("passes a single-server URL through unchanged", () => {
    expect(parseRedisEndpoint("redis://127.0.0.1:6379/2")).toEqual({ kind: "single", url: "redis://127.0.0.1:6379/2" });
    expect(isClusterUrl("rediss://cache.example:6380")).toBe(false);
  });

  it("reads seed nodes, credentials (percent-decoded) and TLS from the cluster form", () => {
    expect(parseRedisEndpoint("REDISS+CLUSTER://svc:p%40ss@redis-0.redis:6379,[::1]:7001/")).toEqual({
      kind: "cluster",
      seeds: [
        { host: "redis-0.redis", port: 6379 },
        { host: "::1", port: 7001 },
      ],
      username: "svc",
      password: "p@ss",
      tls: true,
    });
    expect(parseRedisEndpoint("redis+cluster://:only-password@h:1")).toMatchObject({ username: undefined, password: "only-password", tls: false });
    expect(parseRedisEndpoint("redis+cluster://h1:7000, h2:7001")).toMatchObject({ seeds: [{ host: "h1", port: 7000 }, { host: "h2", port: 7001 }] });
  });

  it("refuses seeds without a port, out-of-range ports, a database number and an empty list", () => {
    expect(() => parseRedisEndpoint("redis+cluster://h1")).toThrow(/"h1" is not host:port/);
    expect(() => parseRedisEndpoint("redis+cluster://h1:0")).toThrow(/not host:port/);
    expect(() => parseRedisEndpoint("redis+cluster://h1:6379/1")).toThrow(/no database number/);
    expect(() => parseRedisEndpoint("redis+cluster://h1:6379?tls=1")).toThrow(/no database number or options/);
    expect(() => parseRedisEndpoint("redis+cluster://")).toThrow(/not host:port/);
    expect(() => parseRedisEndpoint("redis+cluster://u:pw@")).toThrow(/not host:port/);
  });
});
