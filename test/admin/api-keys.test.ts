/** Admin API key hashing and the all-hashes comparison; the failure window on its own. */
import { describe, expect, it } from "vitest";
import { apiKeyMatches } from "../../src/domain/admin/api-keys.js";
import { FailureLimiter } from "../../src/domain/admin/failure-limiter.js";
import { ManualClock } from "../../src/domain/clock.js";
import { hashAdminApiKey } from "../../src/domain/admin/index.js";

describe("apiKeyMatches", () => {
  it("matches any configured hash and nothing else", () => {
    const hashes = [hashAdminApiKey("first-key-0123456789"), hashAdminApiKey("second-key-0123456789")];
    expect(apiKeyMatches("first-key-0123456789", hashes)).toBe(true);
    expect(apiKeyMatches("second-key-0123456789", hashes)).toBe(true);
    expect(apiKeyMatches("first-key-012345678", hashes)).toBe(false);
    expect(apiKeyMatches("", hashes)).toBe(false);
    expect(apiKeyMatches("first-key-0123456789", [])).toBe(false);
  });

  it("hashes with SHA-256", () => {
    expect(Buffer.from(hashAdminApiKey("abc")).toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

describe("FailureLimiter", () => {
  it("slides: each failure ages out on its own", () => {
    const clock = new ManualClock(0);
    const limiter = new FailureLimiter(clock, { maxFailures: 2, windowMs: 1000 });
    limiter.recordFailure("a");
    clock.advance(400);
    limiter.recordFailure("a");
    expect(limiter.retryAfterMs("a")).toBe(600);
    expect(limiter.retryAfterMs("b")).toBeUndefined();
    clock.advance(600);
    expect(limiter.retryAfterMs("a")).toBeUndefined();
    limiter.recordFailure("a");
    expect(limiter.retryAfterMs("a")).toBe(400);
  });

  it("forgets the least recently failing keys beyond its bound", () => {
    const clock = new ManualClock(0);
    const limiter = new FailureLimiter(clock, { maxFailures: 1, windowMs: 1000, maxKeys: 2 });
    limiter.recordFailure("a");
    limiter.recordFailure("b");
    limiter.recordFailure("c");
    expect(limiter.retryAfterMs("a")).toBeUndefined();
    expect(limiter.retryAfterMs("b")).toBe(1000);
    expect(limiter.retryAfterMs("c")).toBe(1000);
  });
});
