-- Report projection, second step: per Task a summary of how the referral counts in any
-- period holding all its versions (src/workflow/report/projection.ts summaryText), so that a
-- report reads a short row for those referrals instead of their entries; and the need
-- categories and consent of the Task's current focus ServiceRequest on the Task row, kept by
-- the ServiceRequest's writes, so that the report reads no join. Summaries of Tasks written
-- before this migration stay NULL (the report reads their entries) until
-- `gateway report --rebuild-projection`.
ALTER TABLE report_tasks ADD COLUMN summary TEXT;
ALTER TABLE report_tasks ADD COLUMN categories TEXT;
ALTER TABLE report_tasks ADD COLUMN consent INTEGER;
UPDATE report_tasks SET
  categories = (SELECT s.categories FROM report_service_requests s WHERE s.tenant = report_tasks.tenant AND s.id = report_tasks.focus_id),
  consent = (SELECT s.consent FROM report_service_requests s WHERE s.tenant = report_tasks.tenant AND s.id = report_tasks.focus_id);
-- A ServiceRequest write finds the Tasks focused on it.
CREATE INDEX report_tasks_focus ON report_tasks (tenant, focus_id);
-- Tasks wholly inside a period (first version at or after its start, last before its end),
-- read from the index alone: it carries what the report reads of them.
CREATE INDEX report_tasks_wholly ON report_tasks (tenant, first_ms, last_ms, summary, categories, consent);
-- Tasks with a version in a period and one outside it, found in the index by both bounds.
DROP INDEX report_tasks_last;
CREATE INDEX report_tasks_span ON report_tasks (tenant, last_ms, first_ms);
-- Tasks without a summary yet (written before this migration, or versions out of time order).
CREATE INDEX report_tasks_unsummarised ON report_tasks (tenant, first_ms) WHERE summary IS NULL;
-- Goal and CarePlan rows carry the JSON element the report reads, built at write time.
ALTER TABLE report_goals ADD COLUMN element TEXT;
UPDATE report_goals SET element = json_array(id, deleted, defined_by, json(history));
ALTER TABLE report_care_plans ADD COLUMN element TEXT;
UPDATE report_care_plans SET element = json_array(id, json(fact));
