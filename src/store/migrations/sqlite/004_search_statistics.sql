-- PostgreSQL's 004 adds extended planner statistics to the index tables. SQLite has no
-- equivalent: its planner reads sqlite_stat1, which `PRAGMA optimize` keeps up to date when the
-- store opens and closes. Nothing to change; the version is kept in step with PostgreSQL.
SELECT 1;
