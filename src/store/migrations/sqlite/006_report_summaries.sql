-- Report projection, second step. Per Task, how the referral counts in any period holding all
-- its versions (src/workflow/report/projection.ts summaryColumns), so that a report counts
-- those referrals in SQL instead of reading their entries; the need categories and consent of
-- the Task's current focus ServiceRequest, kept by the ServiceRequest's writes, so that the
-- report reads no join; each Procedure's performed start in epoch ms (filled for older rows
-- on the first report read). Summaries of Tasks written before this migration stay NULL (the
-- report reads their entries) until `gateway report --rebuild-projection`.
ALTER TABLE report_tasks ADD COLUMN counts INTEGER;
ALTER TABLE report_tasks ADD COLUMN sent_ms INTEGER;
ALTER TABLE report_tasks ADD COLUMN accepted_ms INTEGER;
ALTER TABLE report_tasks ADD COLUMN completed_ms INTEGER;
ALTER TABLE report_tasks ADD COLUMN status TEXT;
ALTER TABLE report_tasks ADD COLUMN reason TEXT;
ALTER TABLE report_tasks ADD COLUMN owner TEXT;
ALTER TABLE report_tasks ADD COLUMN outcomes INTEGER;
ALTER TABLE report_tasks ADD COLUMN procedures TEXT;
ALTER TABLE report_tasks ADD COLUMN categories TEXT;
ALTER TABLE report_tasks ADD COLUMN consent INTEGER;
UPDATE report_tasks SET
  categories = (SELECT s.categories FROM report_service_requests s WHERE s.tenant = report_tasks.tenant AND s.id = report_tasks.focus_id),
  consent = (SELECT s.consent FROM report_service_requests s WHERE s.tenant = report_tasks.tenant AND s.id = report_tasks.focus_id);
-- A ServiceRequest write finds the Tasks focused on it.
CREATE INDEX report_tasks_focus ON report_tasks (tenant, focus_id);
-- Tasks wholly inside a period (first version at or after its start, last before its end),
-- counted from the index alone: it carries every column the count reads.
CREATE INDEX report_tasks_wholly ON report_tasks (tenant, first_ms, last_ms, counts, sent_ms, accepted_ms, completed_ms,
  status, reason, owner, outcomes, procedures, categories, consent);
-- Tasks with a version in a period and one outside it, found in the index by both bounds.
DROP INDEX report_tasks_last;
CREATE INDEX report_tasks_span ON report_tasks (tenant, last_ms, first_ms);
-- Tasks without a summary yet (written before this migration, or versions out of time order).
CREATE INDEX report_tasks_unsummarised ON report_tasks (tenant, first_ms) WHERE counts IS NULL;

ALTER TABLE report_procedures ADD COLUMN performed_ms INTEGER;
-- Older rows waiting for their time in ms (src/store/ops/referral-facts.ts fillProcedureTimes).
CREATE INDEX report_procedures_unfilled ON report_procedures (tenant) WHERE performed IS NOT NULL AND performed_ms IS NULL;

-- Goal and CarePlan rows carry the JSON element the report reads, built at write time.
ALTER TABLE report_goals ADD COLUMN element TEXT;
UPDATE report_goals SET element = json_array(id, deleted, defined_by, json(history));
ALTER TABLE report_care_plans ADD COLUMN element TEXT;
UPDATE report_care_plans SET element = json_array(id, json(fact));
