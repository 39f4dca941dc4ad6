-- The report projection: per resource, the few facts the referral report reads, kept in the
-- same transaction as every write of a Task, ServiceRequest, Procedure, CarePlan or Goal
-- (src/store/ops/referral-facts.ts; derived by src/workflow/report/projection.ts). Data
-- written before this migration is projected by `gateway report --rebuild-projection`.

-- Tables with rows of JSON text are rowid tables: WITHOUT ROWID suits small rows only.

-- One row per Task: its versions as compact JSON entries (status, reason, owner, outputs, time).
CREATE TABLE report_tasks (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  focus_id TEXT,
  live INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms INTEGER NOT NULL,
  entries TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX report_tasks_last ON report_tasks (tenant, last_ms);

-- Need categories and consent presence of each live ServiceRequest.
CREATE TABLE report_service_requests (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  categories TEXT NOT NULL,
  consent INTEGER NOT NULL,
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

-- Performed start of each live Procedure.
CREATE TABLE report_procedures (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  performed TEXT,
  PRIMARY KEY (tenant, id)
) WITHOUT ROWID;

-- Each live CarePlan: created (ms, NULL when unreadable), author, referral Tasks and Goals.
CREATE TABLE report_care_plans (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  created_ms INTEGER,
  fact TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX report_care_plans_created ON report_care_plans (tenant, created_ms);

-- Each Goal: who defined it (latest version), deleted ever, achievement status per version.
CREATE TABLE report_goals (
  tenant TEXT NOT NULL,
  id TEXT NOT NULL,
  deleted INTEGER NOT NULL,
  defined_by TEXT,
  history TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
