-- Initial schema (SQLite). Times are epoch milliseconds; bodies are JSON text.

-- Current version of every resource, one row per tenant/type/id (FHIR R4 http.html#read).
CREATE TABLE resources (
  tenant TEXT NOT NULL,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  PRIMARY KEY (tenant, type, id)
) WITHOUT ROWID;
CREATE INDEX resources_updated ON resources (tenant, type, last_updated, id);

-- Every version ever written (FHIR R4 http.html#vread, #history).
CREATE TABLE resource_history (
  tenant TEXT NOT NULL,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL,
  PRIMARY KEY (tenant, type, id, version_id)
) WITHOUT ROWID;
CREATE INDEX resource_history_updated ON resource_history (tenant, type, last_updated);

-- Search indexes of the current, live version (FHIR R4 search.html), filled in the write's transaction.
CREATE TABLE idx_token (
  tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  system TEXT NOT NULL, code TEXT NOT NULL
);
CREATE INDEX idx_token_search ON idx_token (tenant, type, param, code, system, id);
CREATE INDEX idx_token_owner ON idx_token (tenant, type, id, param);

CREATE TABLE idx_reference (
  tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  target TEXT NOT NULL, target_type TEXT, target_id TEXT
);
CREATE INDEX idx_reference_search ON idx_reference (tenant, type, param, target, id);
CREATE INDEX idx_reference_by_id ON idx_reference (tenant, type, param, target_id, id);
CREATE INDEX idx_reference_owner ON idx_reference (tenant, type, id, param);

CREATE TABLE idx_string (
  tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  value_norm TEXT NOT NULL, value_exact TEXT NOT NULL
);
CREATE INDEX idx_string_search ON idx_string (tenant, type, param, value_norm, id);
CREATE INDEX idx_string_exact ON idx_string (tenant, type, param, value_exact, id);
CREATE INDEX idx_string_owner ON idx_string (tenant, type, id, param);

CREATE TABLE idx_date (
  tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  low INTEGER NOT NULL, high INTEGER NOT NULL
);
CREATE INDEX idx_date_low ON idx_date (tenant, type, param, low, high, id);
CREATE INDEX idx_date_high ON idx_date (tenant, type, param, high, id);
CREATE INDEX idx_date_owner ON idx_date (tenant, type, id, param);

CREATE TABLE idx_number (
  tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  low REAL NOT NULL, high REAL NOT NULL
);
CREATE INDEX idx_number_search ON idx_number (tenant, type, param, low, high, id);
CREATE INDEX idx_number_owner ON idx_number (tenant, type, id, param);

CREATE TABLE idx_uri (
  tenant TEXT NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX idx_uri_search ON idx_uri (tenant, type, param, value, id);
CREATE INDEX idx_uri_owner ON idx_uri (tenant, type, id, param);

-- Transactional outbox: at-least-once delivery, ordered per ordering key.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  destination TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  reason TEXT NOT NULL,
  payload TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  worker TEXT,
  lease_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, seq);
CREATE INDEX outbox_key ON outbox (ordering_key, seq);

CREATE TABLE dead_letters (
  id TEXT PRIMARY KEY,
  outbox_id TEXT NOT NULL,
  destination TEXT NOT NULL,
  ordering_key TEXT NOT NULL,
  reason TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  error TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  requeued_at INTEGER,
  requeued_as TEXT
);
CREATE INDEX dead_letters_created ON dead_letters (created_at, id);

CREATE TABLE cursors (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  token INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

-- Append-only, hash-chained audit trail.
CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY,
  recorded TEXT NOT NULL,
  tenant TEXT NOT NULL,
  event TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;

CREATE TABLE partners (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  organization TEXT NOT NULL,
  mapping TEXT NOT NULL,
  webhook_url TEXT,
  settings TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE credentials (
  id TEXT PRIMARY KEY,
  partner_id TEXT NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  lookup TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT
);
CREATE INDEX credentials_lookup ON credentials (lookup);
CREATE INDEX credentials_partner ON credentials (partner_id);
