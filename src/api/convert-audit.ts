/** Audit records -> protobuf. */
import { create, type JsonObject as PbJsonObject } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  AuditCheckpointSchema,
  AuditEventSchema,
  type AuditCheckpoint as PbCheckpoint,
  type AuditEvent as PbAuditEvent,
} from "../../gen/agentidentity/v1/common_pb.js";
import type { AuditCheckpointRecord, AuditEventRecord } from "../domain/audit/index.js";

export function auditEventToPb(e: AuditEventRecord): PbAuditEvent {
  return create(AuditEventSchema, {
    id: e.id,
    seq: BigInt(e.seq),
    time: timestampFromMs(e.timeMs),
    actor: e.actor,
    action: e.action,
    target: e.target,
    orgId: e.orgId ?? "",
    requestId: e.requestId,
    details: e.details as PbJsonObject,
    prevHash: e.prevHash,
    hash: e.hash,
    canonical: e.canonical,
  });
}

export function checkpointToPb(c: AuditCheckpointRecord): PbCheckpoint {
  return create(AuditCheckpointSchema, {
    seq: BigInt(c.seq),
    hash: c.hash,
    signature: c.signature,
    createTime: timestampFromMs(c.createdAtMs),
  });
}
