/**
 * audit:verify catches a one-byte change, a removed event, history rewritten under a checkpoint, and the forgeries
 * of issue 9: a JWKS swapped inside the file, every checkpoint removed, a checkpoint by a revoked key, a cut tail.
 */
import { fromJson, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ExportAuditResponseSchema } from "../../gen/agentidentity/v1/admin_pb.js";
import { auditVerify } from "../../src/cli/audit-verify.js";
import { GENESIS_HASH, sealEvents, type AuditCheckpointRecord, type AuditEventRecord } from "../../src/domain/audit/chain.js";
import { signCheckpoint, verifyCheckpointJws } from "../../src/domain/audit/checkpoint-jws.js";
import { formatTrustedKeys, parseTrustedKeys } from "../../src/domain/audit/trusted-keys.js";
import { formatExportFile, parseExportFile, type AuditExport } from "../../src/domain/audit/export-file.js";
import { verifyExport } from "../../src/domain/audit/verify-export.js";
import { auditInput, T0, tempFile, testSigner } from "./support.js";

const signer = testSigner();
/** The operator's trusted keys, kept outside any export. */
const trustedFile = tempFile("trusted.jwks.json", signer.jwks);
const trusted = parseTrustedKeys(signer.jwks);
const verifyCheckpoint = (jws: string): ReturnType<typeof verifyCheckpointJws> => verifyCheckpointJws(jws, trusted);

async function checkpoint(e: AuditEventRecord): Promise<AuditCheckpointRecord> {
  return { seq: e.seq, hash: e.hash, signature: await signCheckpoint(signer, e.seq, e.hash, T0 + 10_000), createdAtMs: T0 + 10_000 };
}

/** A chain of 10 events; the export covers 3..10 with checkpoints at 6 and 10. */
async function sampleExport(): Promise<{ doc: AuditExport; all: AuditEventRecord[] }> {
  const all = sealEvents(undefined, Array.from({ length: 10 }, (_, i) => auditInput(i)));
  const events = all.slice(2);
  const doc: AuditExport = {
    header: { startSeq: 3, endSeq: 10, anchorHash: all[1]!.hash, jwks: signer.jwks, exportTimeMs: T0 + 20_000 },
    events,
    checkpoints: [await checkpoint(all[5]!), await checkpoint(all[9]!)],
  };
  return { doc, all };
}

async function verifyFile(text: string, jwks: string = trustedFile): Promise<{ exitCode: number; output: string }> {
  return auditVerify(["--jwks", jwks, tempFile("export.jsonl", text)]);
}

function lines(text: string): string[] {
  return text.trimEnd().split("\n");
}

describe("audit export verification", () => {
  it("accepts an intact export, from a file, and reports the range", async () => {
    const { doc } = await sampleExport();
    expect(await verifyExport(doc, verifyCheckpoint)).toEqual({ ok: true, startSeq: 3, endSeq: 10, events: 8, checkpoints: 2 });
    const out = await verifyFile(formatExportFile(doc));
    expect(out).toEqual({ exitCode: 0, output: "OK seq 3..10 (8 events, 2 signed checkpoints verified)" });
  });

  it("accepts a full chain anchored at genesis, and refuses another anchor for seq 1", async () => {
    const all = sealEvents(undefined, [auditInput(0), auditInput(1)]);
    const doc: AuditExport = {
      header: { startSeq: 1, endSeq: 2, anchorHash: GENESIS_HASH, jwks: signer.jwks, exportTimeMs: T0 },
      events: all,
      checkpoints: [await checkpoint(all[1]!)],
    };
    expect((await verifyExport(doc, verifyCheckpoint)).ok).toBe(true);
    const bad = { ...doc, header: { ...doc.header, anchorHash: "1".repeat(64) } };
    expect(await verifyExport(bad, verifyCheckpoint)).toMatchObject({ ok: false, seq: 1 });
  });

  it("round-trips through the generated protobuf JSON codec (the ExportAudit stream's own form)", async () => {
    const { doc } = await sampleExport();
    const viaProto = lines(formatExportFile(doc))
      .map((line) => JSON.stringify(toJson(ExportAuditResponseSchema, fromJson(ExportAuditResponseSchema, JSON.parse(line)))))
      .join("\n");
    expect(parseExportFile(viaProto)).toEqual(doc);
    // Pretty-printed messages one after another (grpcurl / buf curl output) parse the same.
    const pretty = lines(formatExportFile(doc))
      .map((l) => JSON.stringify(JSON.parse(l), null, 2))
      .join("\n");
    expect(parseExportFile(pretty)).toEqual(doc);
  });

  it("catches a one-byte change anywhere in an event and names its seq", async () => {
    const { doc } = await sampleExport();
    const original = lines(formatExportFile(doc));
    // Line 0 is the header; line 5 holds seq 7.
    const target = original[5]!;
    for (const [from, to] of [
      ["ops", "opz"], // actor
      ["req-6", "req-7"], // request id
      ["caf\u00e9", "cafe"], // details
    ] as const) {
      const tampered = [...original];
      tampered[5] = target.replace(from, to);
      expect(tampered[5]).not.toBe(target);
      const out = await verifyFile(tampered.join("\n"));
      expect(out.exitCode).toBe(1);
      expect(out.output).toBe("BROKEN at seq 7: canonical bytes do not match the event's fields");
    }
    // A changed hash character breaks the hash check of seq 7 itself.
    const h = doc.events[4]!.hash;
    const tampered = [...original];
    tampered[5] = target.replace(h, (h[0] === "a" ? "b" : "a") + h.slice(1));
    expect((await verifyFile(tampered.join("\n"))).output).toBe("BROKEN at seq 7: hash does not match sha256(prev_hash || canonical)");
  });

  it("catches a removed event, and a truncated export", async () => {
    const { doc } = await sampleExport();
    const original = lines(formatExportFile(doc));
    const removed = original.filter((_, i) => i !== 3); // seq 5
    expect(await verifyFile(removed.join("\n"))).toEqual({ exitCode: 1, output: "BROKEN at seq 5: event 5 is missing (found 6)" });
    const truncated = original.filter((_, i) => i !== 8); // seq 10, the last event (the header still says 10)
    const out = await verifyFile(truncated.join("\n"));
    expect(out.exitCode).toBe(1);
    expect(out.output).toBe("BROKEN at seq 10: event 10 is missing (the export ends early)");
  });

  it("catches checkpointed events rewritten with recomputed hashes", async () => {
    const { doc, all } = await sampleExport();
    // The writer changes event 4 and recomputes every canonical form and hash after it: the chain is
    // internally consistent again, but the signed checkpoint at 6 states the old hash.
    const rewrittenInputs = all.map((e, i) => (i === 3 ? { ...e, details: { ...e.details, index: 999 } } : e));
    const rewritten = sealEvents(undefined, rewrittenInputs);
    const forged: AuditExport = { ...doc, events: rewritten.slice(2) };
    const out = await verifyFile(formatExportFile(forged));
    expect(out).toEqual({
      exitCode: 1,
      output: "BROKEN at seq 6: signed checkpoint hash differs from the chain's hash at this seq (history rewritten)",
    });
    // Also updating the checkpoints' unsigned hash fields does not help: the signatures state the old hashes.
    const withHashes: AuditExport = {
      ...forged,
      checkpoints: forged.checkpoints.map((c) => ({ ...c, hash: rewritten[c.seq - 1]!.hash })),
    };
    expect((await verifyFile(formatExportFile(withHashes))).output).toBe(
      "BROKEN at seq 6: checkpoint fields differ from what its signature states",
    );
    // Nor does re-signing with a key of one's own: it is not in the issuer JWKS.
    const attacker = testSigner(signer.kid);
    const resigned: AuditExport = {
      ...forged,
      checkpoints: await Promise.all(
        forged.checkpoints.map(async (c) => {
          const e = rewritten[c.seq - 1]!;
          return { ...c, hash: e.hash, signature: await signCheckpoint(attacker, e.seq, e.hash, T0) };
        }),
      ),
    };
    const res = await verifyFile(formatExportFile(resigned));
    expect(res.exitCode).toBe(1);
    expect(res.output).toMatch(/^BROKEN at seq 6: checkpoint signature invalid: /);
  });

  it("reports a malformed file and a usage error", async () => {
    expect(await verifyFile('{"event": {}}\n')).toMatchObject({ exitCode: 1 });
    expect((await verifyFile("{not json")).output).toMatch(/^BROKEN: malformed export: /);
    expect((await auditVerify([])).exitCode).toBe(2);
    // The trusted keys are not optional: without --jwks nothing is checked.
    expect((await auditVerify([tempFile("x.jsonl", "{}")])).exitCode).toBe(2);
    expect(await verifyFile("{}", tempFile("bad.json", '{"keys": []}'))).toMatchObject({ exitCode: 1, output: expect.stringMatching(/no usable signing key/) });
  });
});

describe("audit export forgeries (issue 9)", () => {
  /** The attacker's own chain: event 7 changed, everything after re-sealed, checkpoints re-signed with their key. */
  async function forgedWithOwnKey(): Promise<AuditExport> {
    const { doc, all } = await sampleExport();
    const rewritten = sealEvents(undefined, all.map((e, i) => (i === 6 ? { ...e, actor: "spiffe://t/intruder" } : e)));
    const attacker = testSigner(signer.kid);
    const resign = async (e: AuditEventRecord): Promise<AuditCheckpointRecord> => ({
      seq: e.seq,
      hash: e.hash,
      signature: await signCheckpoint(attacker, e.seq, e.hash, T0 + 10_000),
      createdAtMs: T0 + 10_000,
    });
    return {
      header: { ...doc.header, jwks: attacker.jwks },
      events: rewritten.slice(2),
      checkpoints: [await resign(rewritten[5]!), await resign(rewritten[9]!)],
    };
  }

  it("a JWKS swapped inside the file is ignored: the checkpoints must verify against the operator's keys", async () => {
    const forged = await forgedWithOwnKey();
    // Consistent in itself: trusting the file's own JWKS (what audit:verify did) accepts it.
    const selfTrusted = parseTrustedKeys(forged.header.jwks);
    expect((await verifyExport(forged, (jws) => verifyCheckpointJws(jws, selfTrusted))).ok).toBe(true);
    const out = await verifyFile(formatExportFile(forged));
    expect(out.exitCode).toBe(1);
    expect(out.output).toMatch(/^BROKEN at seq 6: checkpoint signature invalid: checkpoint signature/);
  });

  it("an export with every checkpoint removed is refused", async () => {
    const { doc } = await sampleExport();
    const out = await verifyFile(formatExportFile({ ...doc, checkpoints: [] }));
    expect(out).toEqual({
      exitCode: 1,
      output: "BROKEN at seq 10: no signed checkpoint states the export's last event (tail cut, re-chained or not yet checkpointed)",
    });
  });

  it("a checkpoint made by a key at or after its revocation is refused; one made before is accepted", async () => {
    const { doc } = await sampleExport(); // checkpoints made at T0 + 10 s
    const withRevocation = (revokedAt: unknown): string =>
      tempFile("revoked.jwks.json", JSON.stringify({ keys: (JSON.parse(signer.jwks) as { keys: object[] }).keys.map((k) => ({ ...k, revoked_at: revokedAt })) }));
    const file = formatExportFile(doc);
    const revokedBefore = await verifyFile(file, withRevocation(Math.floor((T0 + 5_000) / 1000)));
    expect(revokedBefore.exitCode).toBe(1);
    expect(revokedBefore.output).toMatch(/^BROKEN at seq 6: checkpoint signed by issuer key test-issuer-key at or after its revocation/);
    expect(await verifyFile(file, withRevocation(new Date(T0 + 60_000).toISOString()))).toMatchObject({ exitCode: 0 });
    // A key the operator no longer lists at all is not trusted.
    const other = tempFile("other.jwks.json", testSigner("other-key").jwks);
    expect((await verifyFile(file, other)).output).toMatch(/^BROKEN at seq 6: checkpoint signature invalid: checkpoint unknown_key/);
  });

  it("the trusted-keys file written from recorded keys (admin issuer-keys list --recorded --trusted-jwks-out) carries revoked_at", async () => {
    const { doc } = await sampleExport(); // checkpoints made at T0 + 10 s
    const record = { kid: signer.kid, alg: "ES256" as const, publicJwk: signer.publicJwk, status: "revoked" as const, createdAtMs: T0 };
    const revokedEarly = formatTrustedKeys([{ ...record, revokedAtMs: T0 + 5_000 }]);
    expect(parseTrustedKeys(revokedEarly).get(signer.kid)?.revokedAtMs).toBe(Math.floor((T0 + 5_000) / 1000) * 1000);
    expect((await verifyFile(formatExportFile(doc), tempFile("k.json", revokedEarly))).output).toMatch(/after its revocation|at or after its revocation/);
    const revokedLater = formatTrustedKeys([{ ...record, revokedAtMs: T0 + 60_000 }]);
    expect((await verifyFile(formatExportFile(doc), tempFile("k.json", revokedLater))).exitCode).toBe(0);
  });

  it("a truncated tail with the header's end edited is refused", async () => {
    const { doc } = await sampleExport();
    // Events 9 and 10 and the checkpoint at 10 removed, the header's end set to 8: every hash still links.
    const cut: AuditExport = {
      header: { ...doc.header, endSeq: 8 },
      events: doc.events.filter((e) => e.seq <= 8),
      checkpoints: doc.checkpoints.filter((c) => c.seq <= 8),
    };
    expect(await verifyFile(formatExportFile(cut))).toEqual({
      exitCode: 1,
      output: "BROKEN at seq 8: no signed checkpoint states the export's last event (tail cut, re-chained or not yet checkpointed)",
    });
  });

  it("reads the trusted keys from a URL", async () => {
    const { createServer } = await import("node:http");
    const server = createServer((_, res) => res.end(signer.jwks)).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const { port } = server.address() as { port: number };
      const { doc } = await sampleExport();
      expect(await verifyFile(formatExportFile(doc), `http://127.0.0.1:${port}/.well-known/jwks.json`)).toMatchObject({ exitCode: 0 });
    } finally {
      server.close();
    }
  });
});
