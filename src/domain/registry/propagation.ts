/** After-commit propagation of an agent change to every verifier replica: the shared state version, then pub/sub. */
import { DomainError } from "../errors.js";
import type { AgentVersionSink } from "../verify/index.js";
import type { InvalidationBus } from "../verify/index.js";

/**
 * Tells verifiers that an agent changed. The shared version is written first: even when the pub/sub message
 * is lost, the gate sees the mismatch on the next Verify and reloads the agent from the database.
 * A failure means the change is committed but not yet visible everywhere: the caller gets UNAVAILABLE and
 * retries (revoke is idempotent and propagates again).
 */
export class AgentChangePropagator {
  constructor(
    private readonly gate: AgentVersionSink,
    private readonly bus: InvalidationBus,
  ) {}

  async agentChanged(agentId: string, version: number): Promise<void> {
    try {
      await this.gate.setAgentVersion(agentId, version);
      await this.bus.publish({ kind: "agent", agentId, version });
    } catch (cause) {
      throw new DomainError(
        "unavailable",
        "registry.propagation_failed",
        "change committed but not yet propagated to verifiers; retry the call",
        { cause },
      );
    }
  }
}
