-- Extended statistics for the index tables. A search value (a reference target, a token code,
-- a string) nearly always implies its parameter and resource type, but the planner multiplies
-- the selectivities of tenant, type, param and value as if they were independent and so takes
-- `owner = Organization/x` to match a handful of rows instead of hundreds; with that error it
-- hash-joins a whole parameter's index instead of probing per candidate. Functional-dependency
-- statistics (filled by ANALYZE) correct the estimate.
-- https://www.postgresql.org/docs/current/planner-stats.html#PLANNER-STATS-EXTENDED
CREATE STATISTICS idx_token_dependencies (dependencies) ON tenant, type, param, code FROM idx_token;
CREATE STATISTICS idx_reference_dependencies (dependencies) ON tenant, type, param, target FROM idx_reference;
CREATE STATISTICS idx_string_dependencies (dependencies) ON tenant, type, param, value_norm FROM idx_string;
CREATE STATISTICS idx_uri_dependencies (dependencies) ON tenant, type, param, value FROM idx_uri;
