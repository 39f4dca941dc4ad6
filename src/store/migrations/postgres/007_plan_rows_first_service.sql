-- Report projection, third step.
--
-- Each care plan keeps the row its report reads
-- (src/workflow/report/projection.ts carePlanReportRow: its organisation, its referral Tasks
-- with their current need categories, its Goals' definers and achievement steps), rebuilt in
-- the transaction of any write that changes it: the plan, one of its Goals, one of its Tasks
-- or their ServiceRequests. Links from each Goal and Task to the plans naming it find them.
-- A report then reads one row per plan instead of joining plans, Goals and Tasks. Rows of
-- plans written before this migration are built on the first report read.
ALTER TABLE report_care_plans ADD COLUMN report_row TEXT;
CREATE INDEX report_care_plans_unbuilt ON report_care_plans (tenant) WHERE report_row IS NULL;

CREATE TABLE report_care_plan_links (
  tenant TEXT COLLATE "C" NOT NULL,
  -- 'Goal' or 'Task'
  kind TEXT COLLATE "C" NOT NULL,
  target_id TEXT COLLATE "C" NOT NULL,
  plan_id TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (tenant, kind, target_id, plan_id)
);
CREATE INDEX report_care_plan_links_plan ON report_care_plan_links (tenant, plan_id);

-- The JSON elements the report read before (plans and Goals joined at read time) are gone.
ALTER TABLE report_care_plans DROP COLUMN element;
ALTER TABLE report_goals DROP COLUMN element;

-- Each Task summary also keeps what the Procedures its latest outputs name tell: how many of
-- them the store holds and the earliest performed start among them (the first service), kept
-- by the Task's writes and by the writes of those Procedures (found through links), so that
-- the report counts first service without a join. NULL until built for Tasks summarised
-- before this migration (built on the first report read, like the plans' rows).
ALTER TABLE report_tasks
  ADD COLUMN procedures_known INTEGER,
  ADD COLUMN service_ms BIGINT;
CREATE INDEX report_tasks_unlinked ON report_tasks (tenant) WHERE procedures IS NOT NULL AND procedures_known IS NULL;
CREATE TABLE report_task_procedures (
  tenant TEXT COLLATE "C" NOT NULL,
  procedure_id TEXT COLLATE "C" NOT NULL,
  task_id TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (tenant, procedure_id, task_id)
);
CREATE INDEX report_task_procedures_task ON report_task_procedures (tenant, task_id);
-- The count of Tasks wholly inside a period reads the new columns from the index.
DROP INDEX report_tasks_wholly;
CREATE INDEX report_tasks_wholly ON report_tasks (tenant, first_ms, last_ms) INCLUDE (counts, sent_ms, accepted_ms, completed_ms, outcomes, consent, procedures_known, service_ms);
