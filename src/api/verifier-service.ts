/** VerifierService handlers: Verify, VerifyStream, VerifyHandshake, CreateSession, GetJwks. Decisions are data, not errors. */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  CreateSessionResponseSchema,
  GetJwksResponseSchema,
  IssuerKeySchema,
  SessionProposalSchema,
  VerifierService,
  VerifyHandshakeResponseSchema,
} from "../../gen/agentidentity/v1/verifier_pb.js";
import { refusal } from "../domain/errors.js";
import type { Handshakes, SessionProposals, Verifier } from "../domain/verify/index.js";
import { actorOf } from "./actor.js";
import { trustScoreToPb } from "./convert-trust.js";
import { buildJwks, type IssuerKeySet } from "../domain/credentials/index.js";
import { verifyInputOf, verifyResponseOf } from "./convert-verify.js";
import { verifyStream } from "./verify-stream.js";

export interface VerifierHandlerDeps {
  readonly verifier: Verifier;
  readonly handshakes: Handshakes;
  readonly sessions: SessionProposals;
  readonly keySet: IssuerKeySet;
}

/** The relying party is the mTLS peer: never a header the client chooses. */
function callerOf(ctx: HandlerContext): string {
  const peer = actorOf(ctx).peer;
  if (peer === undefined) throw refusal("auth.client_certificate_required");
  return peer.identity;
}

export function createVerifierService(deps: VerifierHandlerDeps): ServiceImpl<typeof VerifierService> {
  return {
    async verify(req, ctx) {
      return verifyResponseOf(await deps.verifier.verify(verifyInputOf(req, callerOf(ctx), actorOf(ctx).requestId)));
    },

    verifyStream(requests, ctx) {
      return verifyStream(deps.verifier, requests, callerOf(ctx), actorOf(ctx).requestId);
    },

    async verifyHandshake(req, ctx) {
      const d = await deps.handshakes.verifyHandshake({
        caller: callerOf(ctx),
        requestId: actorOf(ctx).requestId,
        credential: req.credential,
        handshake: req.handshake,
      });
      const p = d.proposal;
      return create(VerifyHandshakeResponseSchema, {
        valid: d.valid,
        reason: d.reason,
        reasonCode: d.reasonCode,
        agentId: d.agentId ?? "",
        orgId: d.orgId ?? "",
        proposal:
          p === undefined
            ? undefined
            : create(SessionProposalSchema, {
                proposalId: p.proposalId,
                acceptedScopes: [...p.acceptedScopes],
                declinedScopes: [...p.declinedScopes],
                sessionTtlSeconds: p.sessionTtlSeconds,
                expireTime: timestampFromMs(p.expiresAtMs),
              }),
        trustScore: d.trust === undefined ? undefined : trustScoreToPb(d.trust),
        decisionId: d.decisionId,
      });
    },

    async createSession(req, ctx) {
      const s = await deps.sessions.createSession({ caller: callerOf(ctx), proposalId: req.proposalId, scopes: req.scopes });
      return create(CreateSessionResponseSchema, {
        sessionToken: s.sessionToken,
        sessionId: s.sessionId,
        scopes: [...s.scopes],
        expireTime: timestampFromMs(s.expiresAtMs),
      });
    },

    async getJwks() {
      const published = deps.keySet.published();
      const doc = buildJwks(published);
      return create(GetJwksResponseSchema, {
        keys: published.map((k) =>
          create(IssuerKeySchema, { kid: k.kid, alg: k.alg, status: k.status, publicJwk: JSON.stringify(doc.keys.find((j) => j.kid === k.kid)) }),
        ),
        jwksJson: JSON.stringify(doc),
      });
    },
  };
}
