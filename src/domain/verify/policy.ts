/** Capability policy: the requested scope, operation and amount against the agent's granted capabilities. */
import type { CapabilityManifest } from "../agents/index.js";
import type { RefusalCode } from "./reasons.js";

export interface PolicyRequest {
  readonly scope: string;
  readonly operation: string;
  readonly amountMinor: bigint;
  /** "" only when amountMinor is 0. */
  readonly currency: string;
}

/**
 * Refusal reason or undefined. `grantedScopes` is the manifest's scopes, or for a session the session's
 * scopes intersected with the manifest's. A request naming a currency needs a limit for that currency,
 * even for amount 0 (a currency without a limit is refused: amount_limit_exceeded); a request without a
 * currency carries amount 0 and needs no limit.
 */
export function checkPolicy(
  manifest: CapabilityManifest,
  grantedScopes: readonly string[],
  request: PolicyRequest,
): RefusalCode | undefined {
  if (!grantedScopes.includes(request.scope)) return "scope_not_granted";
  if (!manifest.operations.includes(request.operation)) return "operation_not_granted";
  if (request.currency === "") return request.amountMinor === 0n ? undefined : "amount_limit_exceeded";
  const limit = manifest.amountLimits.find((l) => l.currency === request.currency);
  if (limit === undefined) return "amount_limit_exceeded";
  return request.amountMinor <= limit.maxAmountMinor ? undefined : "amount_limit_exceeded";
}
