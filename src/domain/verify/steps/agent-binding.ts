/** Step 4: the agent's state (cached), bound to the presented token's key and manifest (AgentStateBinding). */
import { unavailable } from "../../errors.js";
import type { AgentState } from "../../model.js";
import type { AgentStates } from "../ports.js";
import type { RefusalCode } from "../reasons.js";
import type { Subject } from "./subject.js";

/** A decision attempt against one state: done, or "stale" when the shared version moved (reload, decide again). */
export type Attempt<T> = { readonly kind: "stale" } | { readonly kind: "done"; readonly value: T };

export const STALE: Attempt<never> = { kind: "stale" };

export function done<T>(value: T): Attempt<T> {
  return { kind: "done", value };
}

export class AgentStateBinding {
  constructor(private readonly states: AgentStates) {}

  /** revoked / key_mismatch (cnf.jkt != current key) / credential_mismatch (org or cap hash != current). */
  refusal(state: AgentState, subject: Subject): RefusalCode | undefined {
    if (state.status === "revoked") return "revoked";
    if (subject.orgId !== state.orgId) return "credential_mismatch";
    if (subject.jkt !== state.keyThumbprint) return "key_mismatch";
    if (subject.capHash !== state.manifestHash) return "credential_mismatch";
    return undefined;
  }

  /** The scopes in force: the manifest's, or for a session the session's that the manifest still grants. */
  grantedScopes(state: AgentState, subject: Subject): readonly string[] {
    const manifest = state.capabilities.scopes;
    return subject.sessionScopes === undefined ? manifest : subject.sessionScopes.filter((s) => manifest.includes(s));
  }

  /**
   * Runs `attempt` against the subject's agent state; `unknown()` when there is no such agent. Reloads once
   * first when the token is bound to a key or manifest the cache does not know (the cache may be behind), and
   * reloads and decides again once when the attempt reports stale; a second stale fails closed (unavailable).
   */
  async decide<T>(subject: Subject, unknown: () => T, attempt: (state: AgentState) => Promise<Attempt<T>>): Promise<T> {
    let state = await this.states.get(subject.agentId);
    if (state !== undefined && state.status === "active") {
      const refusal = this.refusal(state, subject);
      if (refusal === "key_mismatch" || refusal === "credential_mismatch") state = await this.states.reload(subject.agentId);
    }
    for (let round = 0; ; round++) {
      if (state === undefined) return unknown();
      const result = await attempt(state);
      if (result.kind === "done") return result.value;
      if (round >= 1) throw unavailable("verify.state_unsettled", "agent state");
      state = await this.states.reload(subject.agentId);
    }
  }
}
