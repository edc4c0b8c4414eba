/**
 * The renewal module: credentials issued on demand, by an admin or by the agent itself with a single-use
 * renewal proof. Its own module because it sits on top of agents, credentials and the replay gate, which
 * agents (through credentials) must not depend on.
 */
import { CredentialRenewal, type RenewalDeps } from "./renewal.js";

export type { CredentialRenewal } from "./renewal.js";

export function createRenewal(deps: RenewalDeps): { readonly renewal: CredentialRenewal } {
  return { renewal: new CredentialRenewal(deps) };
}
