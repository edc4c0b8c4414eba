/** The embedded replay store's durable ledger: consumed nonces and the epoch in SQL (PGlite or Postgres). */
import type { ReplayLedger } from "../memory/replay-gate.js";
import type { Queryable } from "./database.js";

/** How many consumptions between deletions of expired nonces. */
const SWEEP_EVERY = 1024;

/**
 * Nonces live in embedded_replay_nonces until they expire; the database decides single use (one INSERT ... ON
 * CONFLICT, which only takes over an expired row), so a restarted process, or a second one on the same
 * database, still answers replay. The epoch row is written once and kept.
 */
export class SqlReplayLedger implements ReplayLedger {
  private consumed = 0;

  constructor(private readonly db: Queryable) {}

  async initEpoch(epochMs: number): Promise<number> {
    await this.db.query("INSERT INTO embedded_replay_epoch (singleton, epoch_ms) VALUES (true, $1) ON CONFLICT (singleton) DO NOTHING", [
      Math.floor(epochMs),
    ]);
    const rows = await this.db.query<{ epoch_ms: string }>("SELECT epoch_ms FROM embedded_replay_epoch WHERE singleton");
    const stored = rows[0];
    if (stored === undefined) throw new Error("embedded_replay_epoch has no row after insert");
    return Number(stored.epoch_ms);
  }

  async consumeNonce(key: string, nowMs: number, expiresAtMs: number): Promise<boolean> {
    const rows = await this.db.query<{ nonce_key: string }>(
      `INSERT INTO embedded_replay_nonces (nonce_key, expires_at_ms) VALUES ($1, $2)
       ON CONFLICT (nonce_key) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms
       WHERE embedded_replay_nonces.expires_at_ms <= $3
       RETURNING nonce_key`,
      [key, Math.ceil(expiresAtMs), Math.floor(nowMs)],
    );
    if (++this.consumed % SWEEP_EVERY === 0) {
      await this.db.query("DELETE FROM embedded_replay_nonces WHERE expires_at_ms <= $1", [Math.floor(nowMs)]);
    }
    return rows.length === 1;
  }
}
