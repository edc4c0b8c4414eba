-- 0001_init: the identity core's tables. Expand/contract only: later migrations add, never break.

CREATE TABLE orgs (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  tier        text NOT NULL CHECK (tier IN ('unverified', 'verified', 'enterprise')),
  created_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX orgs_name_lower_key ON orgs (lower(name));
CREATE INDEX orgs_created_at_id_idx ON orgs (created_at, id);

CREATE TABLE agents (
  id             text PRIMARY KEY,
  org_id         text NOT NULL REFERENCES orgs (id),
  display_name   text NOT NULL,
  metadata       jsonb NOT NULL DEFAULT '{}'::jsonb,
  status         text NOT NULL CHECK (status IN ('active', 'revoked')),
  state_version  bigint NOT NULL,
  public_jwk     jsonb NOT NULL,
  key_thumbprint text NOT NULL,
  manifest       jsonb NOT NULL,
  manifest_hash  text NOT NULL,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_by     text,
  revoke_reason  text
);
CREATE INDEX agents_created_at_id_idx ON agents (created_at, id);
CREATE INDEX agents_org_created_at_id_idx ON agents (org_id, created_at, id);

-- Every key an agent ever had; the current one has retired_at NULL. A key is never reused by the same agent.
CREATE TABLE agent_keys (
  agent_id    text NOT NULL REFERENCES agents (id),
  thumbprint  text NOT NULL,
  public_jwk  jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  retired_at  timestamptz,
  PRIMARY KEY (agent_id, thumbprint)
);

-- Every capability manifest an agent ever had, by the state version that introduced it.
CREATE TABLE agent_manifests (
  agent_id       text NOT NULL REFERENCES agents (id),
  state_version  bigint NOT NULL,
  manifest       jsonb NOT NULL,
  manifest_hash  text NOT NULL,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (agent_id, state_version)
);

CREATE TABLE credentials (
  jti         text PRIMARY KEY,
  agent_id    text NOT NULL REFERENCES agents (id),
  kid         text NOT NULL,
  issued_at   timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX credentials_agent_id_idx ON credentials (agent_id, issued_at);

CREATE TABLE issuer_keys (
  kid         text PRIMARY KEY,
  alg         text NOT NULL CHECK (alg IN ('ES256', 'EdDSA')),
  public_jwk  jsonb NOT NULL,
  status      text NOT NULL CHECK (status IN ('active', 'retired', 'revoked')),
  created_at  timestamptz NOT NULL,
  retired_at  timestamptz,
  revoked_at  timestamptz
);

CREATE TABLE trust_events (
  id             text PRIMARY KEY,
  agent_id       text NOT NULL REFERENCES agents (id),
  reporter       text NOT NULL,
  reporter_kind  text NOT NULL,
  event_type     text NOT NULL,
  success        boolean NOT NULL,
  latency_ms     integer,
  sla_met        boolean,
  dispute        boolean NOT NULL DEFAULT false,
  raw            jsonb NOT NULL DEFAULT '{}'::jsonb,
  decision_id    text,
  occurred_at    timestamptz NOT NULL,
  recorded_at    timestamptz NOT NULL
);
CREATE INDEX trust_events_agent_occurred_idx ON trust_events (agent_id, occurred_at DESC, id DESC);
-- A relying party reports on one verification decision at most once.
CREATE UNIQUE INDEX trust_events_decision_reporter_key ON trust_events (decision_id, reporter)
  WHERE decision_id IS NOT NULL;

-- The trust model's per-agent state (opaque to storage), with an optimistic version.
CREATE TABLE trust_state (
  agent_id       text PRIMARY KEY REFERENCES agents (id),
  model_version  text NOT NULL,
  state          jsonb NOT NULL,
  version        bigint NOT NULL,
  updated_at     timestamptz NOT NULL
);

-- The hash chain: one global order, seq without gaps, appended under pg_advisory_xact_lock.
CREATE TABLE audit_events (
  seq         bigint PRIMARY KEY,
  id          text NOT NULL UNIQUE,
  time        timestamptz NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL,
  target      text NOT NULL,
  org_id      text,
  request_id  text NOT NULL,
  details     jsonb NOT NULL,
  canonical   bytea NOT NULL,
  prev_hash   text NOT NULL,
  hash        text NOT NULL
);
CREATE INDEX audit_events_org_seq_idx ON audit_events (org_id, seq);
CREATE INDEX audit_events_actor_seq_idx ON audit_events (actor, seq);
CREATE INDEX audit_events_action_seq_idx ON audit_events (action, seq);
CREATE INDEX audit_events_time_idx ON audit_events (time);

CREATE TABLE audit_checkpoints (
  seq         bigint PRIMARY KEY,
  hash        text NOT NULL,
  signature   text NOT NULL,
  created_at  timestamptz NOT NULL
);
