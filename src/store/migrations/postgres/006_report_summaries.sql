-- Report projection, second step: per Task a summary of how the referral counts in any
-- period holding all its versions (src/workflow/report/projection.ts summaryText), so that a
-- report reads a short row for those referrals instead of their entries; and the need
-- categories and consent of the Task's current focus ServiceRequest on the Task row, kept by
-- the ServiceRequest's writes, so that the report reads no join. Summaries of Tasks written
-- before this migration stay NULL (the report reads their entries) until
-- `gateway report --rebuild-projection`.
ALTER TABLE report_tasks ADD COLUMN summary TEXT;
ALTER TABLE report_tasks ADD COLUMN categories TEXT;
ALTER TABLE report_tasks ADD COLUMN consent SMALLINT;
UPDATE report_tasks t SET categories = s.categories, consent = s.consent
  FROM report_service_requests s WHERE s.tenant = t.tenant AND s.id = t.focus_id;
-- A ServiceRequest write finds the Tasks focused on it.
CREATE INDEX report_tasks_focus ON report_tasks (tenant, focus_id);
-- Tasks wholly inside a period: first version at or after its start, last before its end.
-- (The summary stays out of the index: a B-tree entry has a size limit a long one could pass.)
CREATE INDEX report_tasks_wholly ON report_tasks (tenant, first_ms, last_ms);
-- Tasks with a version in a period and one outside it, found in the index by both bounds.
DROP INDEX report_tasks_last;
CREATE INDEX report_tasks_span ON report_tasks (tenant, last_ms, first_ms);
-- Tasks without a summary yet (written before this migration, or versions out of time order).
CREATE INDEX report_tasks_unsummarised ON report_tasks (tenant, first_ms) WHERE summary IS NULL;
-- Goal and CarePlan rows carry the JSON element the report reads, built at write time.
ALTER TABLE report_goals ADD COLUMN element TEXT;
UPDATE report_goals SET element = json_build_array(id, deleted, defined_by, history::json)::text;
ALTER TABLE report_care_plans ADD COLUMN element TEXT;
UPDATE report_care_plans SET element = json_build_array(id, fact::json)::text;
