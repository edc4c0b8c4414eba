/** Signer health probe: a throw-away signature on a timer, result cached for health and /readyz (never per probe). */
import type { Clock } from "../clock.js";
import { isDomainError } from "../errors.js";
import type { Signer } from "../keys/index.js";

interface SignerStatus {
  readonly ok: boolean;
  /** Public, secret-free description of the last failure. */
  readonly error?: string;
  /** When the last probe finished (undefined before the first). */
  readonly checkedAtMs?: number;
}

interface SignerProbe {
  /** The cached result of the last probe ("not checked yet" before the first one finishes). */
  status(): SignerStatus;
  /** Runs one probe now (also what the timer does); concurrent calls share one signature. */
  checkNow(): Promise<SignerStatus>;
  /** Stops the timer. */
  stop(): void;
}

const PROBE_INPUT = new TextEncoder().encode("agent-identity signer probe");

/** Starts probing at once and then every `intervalMs`; the timer does not keep the process alive. */
export function createSignerProbe(
  signer: Signer,
  clock: Clock,
  intervalMs = 30_000,
  /** Told every probe result (app.ts feeds it to health and /readyz). */
  onResult?: (status: SignerStatus) => void,
): SignerProbe {
  let current: SignerStatus = { ok: false, error: "signer not checked yet" };
  let running: Promise<SignerStatus> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const checkNow = (): Promise<SignerStatus> => {
    running ??= (async () => {
      try {
        const signature = await signer.sign(PROBE_INPUT);
        if (signature.length !== 64) throw new Error(`signer returned ${signature.length} signature bytes, want 64`);
        current = { ok: true, checkedAtMs: clock.nowMs() };
      } catch (e) {
        current = { ok: false, error: describe(e), checkedAtMs: clock.nowMs() };
      } finally {
        running = undefined;
      }
      onResult?.(current);
      return current;
    })();
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void checkNow().then(schedule);
    }, intervalMs);
    timer.unref();
  };
  void checkNow().then(schedule);

  return {
    status: () => current,
    checkNow,
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

function describe(e: unknown): string {
  if (isDomainError(e)) return e.cause instanceof Error ? `${e.message}: ${e.cause.name}` : e.message;
  return e instanceof Error ? `signer error: ${e.name}` : "signer error";
}
