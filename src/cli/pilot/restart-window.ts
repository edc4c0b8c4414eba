/** Reads the service's replay restart window from the sidecar's /readyz, to name it when a fresh proof is refused as stale. */

/** The window as /readyz notices report it (see src/server/replay-window-notice.ts). */
export interface RestartWindow {
  readonly restartedAt: string;
  readonly untilMs: number;
  readonly until: string;
}

export type RestartWindowLookup =
  | { readonly kind: "window"; readonly window: RestartWindow }
  | { readonly kind: "none" }
  | { readonly kind: "unknown"; readonly error: string };

/** Fetches `<sidecarUrl>/readyz` once (short timeout) and returns the replay_restart_window notice if present. */
export async function lookupRestartWindow(sidecarUrl: string, timeoutMs = 3_000): Promise<RestartWindowLookup> {
  let body: unknown;
  try {
    const res = await fetch(`${sidecarUrl}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    body = await res.json();
  } catch (e) {
    return { kind: "unknown", error: `cannot read ${sidecarUrl}/readyz (${e instanceof Error ? e.message : String(e)})` };
  }
  const notice = (body as { notices?: Record<string, Record<string, unknown>> } | null)?.notices?.replay_restart_window;
  const until = notice?.refuses_proofs_dated_until;
  if (typeof until !== "string" || Number.isNaN(Date.parse(until))) return { kind: "none" };
  const restartedAt = typeof notice?.restarted_at === "string" ? notice.restarted_at : "";
  return { kind: "window", window: { restartedAt, untilMs: Date.parse(until), until } };
}

/** One line naming why a fresh proof was refused as stale_proof. */
export function staleProofExplanation(lookup: RestartWindowLookup): string {
  switch (lookup.kind) {
    case "window":
      return (
        `the replay store restarted empty at ${lookup.window.restartedAt}: proofs dated up to ${lookup.window.until} are refused ` +
        "(the restart window, PROOF_FUTURE_SKEW_SECONDS); fresh proofs made after it verify"
      );
    case "none":
      return "no replay restart window is open: check the clocks of this host and the service (PROOF_MAX_AGE_SECONDS, PROOF_FUTURE_SKEW_SECONDS)";
    case "unknown":
      return `${lookup.error}; if the replay store just restarted empty, retry after PROOF_FUTURE_SKEW_SECONDS, else check the clocks`;
  }
}
