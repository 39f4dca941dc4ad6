-- Per-resource index lookups (a search filter checked with EXISTS for each candidate row)
-- seek on (tenant, type, id, param) and then read the values: make those indexes covering,
-- so the planner never prefers scanning a value index instead.
DROP INDEX idx_token_owner;
CREATE INDEX idx_token_owner ON idx_token (tenant, type, id, param, code, system);
DROP INDEX idx_reference_owner;
CREATE INDEX idx_reference_owner ON idx_reference (tenant, type, id, param, target, target_id);
DROP INDEX idx_string_owner;
CREATE INDEX idx_string_owner ON idx_string (tenant, type, id, param, value_norm, value_exact);
DROP INDEX idx_date_owner;
CREATE INDEX idx_date_owner ON idx_date (tenant, type, id, param, low, high);
DROP INDEX idx_number_owner;
CREATE INDEX idx_number_owner ON idx_number (tenant, type, id, param, low, high);
DROP INDEX idx_uri_owner;
CREATE INDEX idx_uri_owner ON idx_uri (tenant, type, id, param, value);
