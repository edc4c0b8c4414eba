-- 0003_audit_append: append a batch to the audit hash chain in ONE statement, so a batch costs one round trip.
-- compatible-with: 1
-- (Expand only: the previous release keeps appending with its own statements under the same lock.)
--
-- The caller sends each event's fields and its RFC 8785 canonical bytes split around the seq value
-- (canonical = head || decimal(seq) || tail); under the chain lock this function reads the head, assigns seq,
-- computes hash = sha256(prev_hash_bytes || canonical) exactly as src/domain/audit/chain.ts does, and inserts.
-- The lock (pg_advisory_xact_lock 7301001002, the key of src/adapters/sql/audit-repository.ts) is held until the
-- statement's transaction commits: microseconds when called on its own, in autocommit.
-- VOLATILE: each query inside takes a fresh snapshot, so the head read after the lock sees the last commit.

CREATE FUNCTION audit_append(
  p_ids          text[],
  p_times        timestamptz[],
  p_actors       text[],
  p_actions      text[],
  p_targets      text[],
  p_org_ids      text[],
  p_request_ids  text[],
  p_details      jsonb[],
  p_heads        bytea[],
  p_tails        bytea[]
) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  n          integer := coalesce(array_length(p_ids, 1), 0);
  seq0       bigint;
  prev       text;
  canon      bytea;
  seqs       bigint[] := '{}';
  canonicals bytea[] := '{}';
  prevs      text[] := '{}';
  hashes     text[] := '{}';
BEGIN
  IF n = 0 THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(7301001002);
  SELECT seq, hash INTO seq0, prev FROM audit_events ORDER BY seq DESC LIMIT 1;
  IF NOT FOUND THEN
    seq0 := 0;
    prev := repeat('0', 64);
  END IF;
  FOR i IN 1 .. n LOOP
    canon := p_heads[i] || convert_to((seq0 + i)::text, 'UTF8') || p_tails[i];
    seqs := seqs || (seq0 + i);
    canonicals := canonicals || canon;
    prevs := prevs || prev;
    prev := encode(sha256(decode(prev, 'hex') || canon), 'hex');
    hashes := hashes || prev;
  END LOOP;
  INSERT INTO audit_events (seq, id, time, actor, action, target, org_id, request_id, details, canonical, prev_hash, hash)
  SELECT * FROM unnest(seqs, p_ids, p_times, p_actors, p_actions, p_targets, p_org_ids, p_request_ids, p_details, canonicals, prevs, hashes);
  RETURN seq0 + 1;
END
$$;
