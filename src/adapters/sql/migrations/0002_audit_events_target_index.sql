-- Audit events by target (an agent's registration, credentials, revocation, telemetry, decisions), newest first:
-- ListAuditEvents' target filter and the console's agent page. An expand step: the previous binary runs on it.
-- compatible-with: 0001
CREATE INDEX audit_events_target_seq_idx ON audit_events (target, seq);
