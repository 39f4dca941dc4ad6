-- Initial schema (PostgreSQL). Times are epoch milliseconds; bodies are JSON text so the
-- stored bytes are exactly what was written. Key columns use the "C" collation so that
-- ordering and prefix ranges match the SQLite adapter byte for byte.

-- Current version of every resource, one row per tenant/type/id (FHIR R4 http.html#read).
CREATE TABLE resources (
  tenant TEXT COLLATE "C" NOT NULL,
  type TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated BIGINT NOT NULL,
  deleted SMALLINT NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  PRIMARY KEY (tenant, type, id)
);
CREATE INDEX resources_updated ON resources (tenant, type, last_updated, id);

-- Every version ever written (FHIR R4 http.html#vread, #history).
CREATE TABLE resource_history (
  tenant TEXT COLLATE "C" NOT NULL,
  type TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated BIGINT NOT NULL,
  deleted SMALLINT NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  PRIMARY KEY (tenant, type, id, version_id)
);
CREATE INDEX resource_history_updated ON resource_history (tenant, type, last_updated);

-- Search indexes of the current, live version (FHIR R4 search.html), filled in the write's transaction.
CREATE TABLE idx_token (
  tenant TEXT COLLATE "C" NOT NULL, type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  param TEXT COLLATE "C" NOT NULL, system TEXT COLLATE "C" NOT NULL, code TEXT COLLATE "C" NOT NULL
);
CREATE INDEX idx_token_search ON idx_token (tenant, type, param, code, system, id);
CREATE INDEX idx_token_owner ON idx_token (tenant, type, id, param);

CREATE TABLE idx_reference (
  tenant TEXT COLLATE "C" NOT NULL, type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  param TEXT COLLATE "C" NOT NULL, target TEXT COLLATE "C" NOT NULL,
  target_type TEXT COLLATE "C", target_id TEXT COLLATE "C"
);
CREATE INDEX idx_reference_search ON idx_reference (tenant, type, param, target, id);
CREATE INDEX idx_reference_by_id ON idx_reference (tenant, type, param, target_id, id);
CREATE INDEX idx_reference_owner ON idx_reference (tenant, type, id, param);

CREATE TABLE idx_string (
  tenant TEXT COLLATE "C" NOT NULL, type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  param TEXT COLLATE "C" NOT NULL, value_norm TEXT COLLATE "C" NOT NULL, value_exact TEXT COLLATE "C" NOT NULL
);
CREATE INDEX idx_string_search ON idx_string (tenant, type, param, value_norm, id);
CREATE INDEX idx_string_exact ON idx_string (tenant, type, param, value_exact, id);
CREATE INDEX idx_string_owner ON idx_string (tenant, type, id, param);

CREATE TABLE idx_date (
  tenant TEXT COLLATE "C" NOT NULL, type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  param TEXT COLLATE "C" NOT NULL, low BIGINT NOT NULL, high BIGINT NOT NULL
);
CREATE INDEX idx_date_low ON idx_date (tenant, type, param, low, high, id);
CREATE INDEX idx_date_high ON idx_date (tenant, type, param, high, id);
CREATE INDEX idx_date_owner ON idx_date (tenant, type, id, param);

CREATE TABLE idx_number (
  tenant TEXT COLLATE "C" NOT NULL, type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  param TEXT COLLATE "C" NOT NULL, low DOUBLE PRECISION NOT NULL, high DOUBLE PRECISION NOT NULL
);
CREATE INDEX idx_number_search ON idx_number (tenant, type, param, low, high, id);
CREATE INDEX idx_number_owner ON idx_number (tenant, type, id, param);

CREATE TABLE idx_uri (
  tenant TEXT COLLATE "C" NOT NULL, type TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL,
  param TEXT COLLATE "C" NOT NULL, value TEXT COLLATE "C" NOT NULL
);
CREATE INDEX idx_uri_search ON idx_uri (tenant, type, param, value, id);
CREATE INDEX idx_uri_owner ON idx_uri (tenant, type, id, param);

-- Transactional outbox: at-least-once delivery, ordered per ordering key.
CREATE TABLE outbox (
  seq BIGSERIAL PRIMARY KEY,
  id TEXT COLLATE "C" NOT NULL UNIQUE,
  destination TEXT NOT NULL,
  ordering_key TEXT COLLATE "C" NOT NULL,
  reason TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  worker TEXT,
  lease_until BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, seq);
CREATE INDEX outbox_key ON outbox (ordering_key, seq);

CREATE TABLE dead_letters (
  id TEXT COLLATE "C" PRIMARY KEY,
  outbox_id TEXT NOT NULL,
  destination TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  reason TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  requeued_at BIGINT,
  requeued_as TEXT
);
CREATE INDEX dead_letters_created ON dead_letters (created_at, id);

CREATE TABLE cursors (
  name TEXT COLLATE "C" PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE leases (
  name TEXT COLLATE "C" PRIMARY KEY,
  holder TEXT NOT NULL,
  token BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);

-- Append-only, hash-chained audit trail; UPDATE and DELETE are refused by a trigger.
CREATE TABLE audit_events (
  seq BIGINT PRIMARY KEY,
  recorded TEXT NOT NULL,
  tenant TEXT NOT NULL,
  event TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE TABLE partners (
  id TEXT COLLATE "C" PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  organization TEXT NOT NULL,
  mapping TEXT NOT NULL,
  webhook_url TEXT,
  settings TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE credentials (
  id TEXT COLLATE "C" PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  lookup TEXT COLLATE "C" NOT NULL,
  scopes TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT
);
CREATE INDEX credentials_lookup ON credentials (lookup);
CREATE INDEX credentials_partner ON credentials (partner_id);
