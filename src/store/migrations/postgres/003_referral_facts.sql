-- The report projection: per resource, the few facts the referral report reads, kept in the
-- same transaction as every write of a Task, ServiceRequest, Procedure, CarePlan or Goal
-- (src/store/ops/referral-facts.ts; derived by src/workflow/report/projection.ts). Data
-- written before this migration is projected by `gateway report --rebuild-projection`.

-- One row per Task: its versions as compact JSON entries (status, reason, owner, outputs, time).
CREATE TABLE report_tasks (
  tenant TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  focus_id TEXT,
  live SMALLINT NOT NULL,
  first_ms BIGINT NOT NULL,
  last_ms BIGINT NOT NULL,
  entries TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX report_tasks_last ON report_tasks (tenant, last_ms);

-- Need categories and consent presence of each live ServiceRequest.
CREATE TABLE report_service_requests (
  tenant TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  categories TEXT NOT NULL,
  consent SMALLINT NOT NULL,
  PRIMARY KEY (tenant, id)
);

-- Performed start of each live Procedure.
CREATE TABLE report_procedures (
  tenant TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  performed TEXT,
  PRIMARY KEY (tenant, id)
);

-- Each live CarePlan: created (ms, NULL when unreadable), author, referral Tasks and Goals.
CREATE TABLE report_care_plans (
  tenant TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  created_ms BIGINT,
  fact TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX report_care_plans_created ON report_care_plans (tenant, created_ms);

-- Each Goal: who defined it (latest version), deleted ever, achievement status per version.
CREATE TABLE report_goals (
  tenant TEXT COLLATE "C" NOT NULL,
  id TEXT COLLATE "C" NOT NULL,
  deleted SMALLINT NOT NULL,
  defined_by TEXT,
  history TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
