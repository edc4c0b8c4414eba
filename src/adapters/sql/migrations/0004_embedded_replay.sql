-- 0004_embedded_replay: the embedded replay store's durable part (used without REDIS_URL), so a restart of
-- the development process keeps consumed nonces and the replay epoch and opens no refusal window.
-- compatible-with: 0001

CREATE TABLE embedded_replay_nonces (
  nonce_key     text PRIMARY KEY,
  expires_at_ms bigint NOT NULL
);
CREATE INDEX embedded_replay_nonces_expires_idx ON embedded_replay_nonces (expires_at_ms);

CREATE TABLE embedded_replay_epoch (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  epoch_ms  bigint NOT NULL
);
