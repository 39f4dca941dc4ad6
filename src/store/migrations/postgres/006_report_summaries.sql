-- Report projection, second step. Per Task, how the referral counts in any period holding all
-- its versions (src/workflow/report/projection.ts summaryColumns), so that a report counts
-- those referrals in SQL instead of reading their entries; the need categories and consent of
-- the Task's current focus ServiceRequest, kept by the ServiceRequest's writes, so that the
-- report reads no join; each Procedure's performed start in epoch ms (filled for older rows
-- on the first report read). Summaries of Tasks written before this migration stay NULL (the
-- report reads their entries) until `gateway report --rebuild-projection`.
ALTER TABLE report_tasks
  ADD COLUMN counts SMALLINT,
  ADD COLUMN sent_ms BIGINT,
  ADD COLUMN accepted_ms BIGINT,
  ADD COLUMN completed_ms BIGINT,
  ADD COLUMN status TEXT COLLATE "C",
  ADD COLUMN reason TEXT COLLATE "C",
  ADD COLUMN owner TEXT COLLATE "C",
  ADD COLUMN outcomes INTEGER,
  ADD COLUMN procedures TEXT,
  ADD COLUMN categories TEXT COLLATE "C",
  ADD COLUMN consent SMALLINT;
UPDATE report_tasks t SET categories = s.categories, consent = s.consent
  FROM report_service_requests s WHERE s.tenant = t.tenant AND s.id = t.focus_id;
-- A ServiceRequest write finds the Tasks focused on it.
CREATE INDEX report_tasks_focus ON report_tasks (tenant, focus_id);
-- (The report groups by the text columns: byte order, no locale, is all it needs.)
-- Tasks wholly inside a period: first version at or after its start, last before its end.
-- (Text columns stay out of the index: a B-tree entry has a size limit a long one could pass.)
CREATE INDEX report_tasks_wholly ON report_tasks (tenant, first_ms, last_ms) INCLUDE (counts, sent_ms, accepted_ms, completed_ms, outcomes, consent);
-- Tasks with a version in a period and one outside it, found in the index by both bounds.
DROP INDEX report_tasks_last;
CREATE INDEX report_tasks_span ON report_tasks (tenant, last_ms, first_ms);
-- Tasks without a summary yet (written before this migration, or versions out of time order).
CREATE INDEX report_tasks_unsummarised ON report_tasks (tenant, first_ms) WHERE counts IS NULL;

ALTER TABLE report_procedures ADD COLUMN performed_ms BIGINT;
-- Older rows waiting for their time in ms (src/store/ops/referral-facts.ts fillProcedureTimes).
CREATE INDEX report_procedures_unfilled ON report_procedures (tenant) WHERE performed IS NOT NULL AND performed_ms IS NULL;

-- Goal and CarePlan rows carry the JSON element the report reads, built at write time.
ALTER TABLE report_goals ADD COLUMN element TEXT;
UPDATE report_goals SET element = json_build_array(id, deleted, defined_by, history::json)::text;
ALTER TABLE report_care_plans ADD COLUMN element TEXT;
UPDATE report_care_plans SET element = json_build_array(id, fact::json)::text;
