// The report projection in the store: per Task, ServiceRequest, Procedure, CarePlan and Goal
// the facts the referral report reads (tables of migrations 003, 006 and 007), written in the
// same transaction as each version of those resources, read back for a period with a few
// indexed queries, and rebuilt from the history for data written before the projection existed.
// A Task row holds its version entries, the summary of how it counts in a period holding all
// of them (with its first service, task-procedures.ts), and the need data of its current focus
// (kept by the ServiceRequest's writes): a report counts the Tasks wholly inside its period in
// SQL from their summaries, grouped, and reads the entries of the rest. Care plans keep one
// report row each (care-plan-rows.ts).
// What a row holds is decided by the pure functions of src/workflow/report/projection.ts.
import type { CarePlan, Goal, Procedure, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { buildMissingPlanRows, projectCarePlan, refreshPlansNaming } from './care-plan-rows.ts';
import { linkTaskProcedures, linkUnlinkedTasks, recountTasksNaming } from './task-procedures.ts';
import { instantMs } from '../../workflow/report/instant.ts';
import type { CarePlanSummary, ProcedureFact, ReferralFact, ReferralSummary, SummaryGroup } from '../../workflow/report/report-types.ts';
import {
  type CarePlanReportRow,
  type GoalProjection,
  type ServiceRequestProjection,
  type TaskEntry,
  type TaskProjection,
  carePlanSummaryFromRow,
  nextGoalProjection,
  nextTaskProjection,
  procedureFromRow,
  procedureProjection,
  referralFromRow,
  serviceRequestProjection,
  summaryColumns,
} from '../../workflow/report/projection.ts';
import type { SqlValue } from '../sql/executor.ts';
import { iso, type OpsContext, placeholders } from './context.ts';

/** Resource types the projection follows. */
export const PROJECTED_TYPES: ReadonlySet<string> = new Set(['Task', 'ServiceRequest', 'Procedure', 'CarePlan', 'Goal']);

/** One written version, as the resource ops hand it over. */
export interface WrittenVersion {
  resource: Resource & { id: string };
  versionId: number;
  /** Epoch ms the store stamped. */
  lastUpdated: number;
  deleted: boolean;
}

/** What the report reads from the projection for a tenant and period. */
export interface ReportProjectionInput {
  referrals: ReferralFact[];
  /** Referrals of the cohort whose versions all lie in the period, counted in groups. */
  summaryGroups: SummaryGroup[];
  procedures: ProcedureFact[];
  /** Care plans created in the period, summarised for it from their rows. */
  carePlanSummaries: CarePlanSummary[];
}

const IN_CHUNK = 500;
/** Tasks and care plans one completeReportProjection call links (PostgreSQL holds a lock per Procedure, Goal and Task linked until commit). */
const ROWS_PER_BATCH = 100;
/** Above this many ids, one scan of the tenant's rows instead of IN lists. */
const SCAN_ABOVE = 5000;

interface TaskRowSql {
  id: string;
  focus_id: string | null;
  live: number | string;
  first_ms: number | string;
  last_ms: number | string;
  entries: string;
}

async function inChunks<R>(ids: readonly string[], fn: (chunk: string[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < ids.length; i += IN_CHUNK) out.push(...(await fn(ids.slice(i, i + IN_CHUNK))));
  return out;
}

async function projectTask(ctx: OpsContext, tenant: string, v: WrittenVersion): Promise<void> {
  const rows = await ctx.exec.all<TaskRowSql & { categories: string | null; consent: number | string | null; procedures: string | null }>(
    'SELECT id, focus_id, live, first_ms, last_ms, entries, categories, consent, procedures FROM report_tasks WHERE tenant = ? AND id = ?',
    [tenant, v.resource.id],
  );
  const row = rows[0];
  const previous: TaskProjection | undefined = row
    ? { focusId: row.focus_id ?? undefined, live: Number(row.live) === 1, firstMs: Number(row.first_ms), lastMs: Number(row.last_ms), entries: JSON.parse(row.entries) as TaskEntry[] }
    : undefined;
  const next = nextTaskProjection(previous, v.resource as Task, v.versionId, iso(v.lastUpdated), v.deleted);
  // The need data of the current focus: kept from the row while the focus stays, else read.
  let need: { categories: string | null; consent: number | null } = { categories: null, consent: null };
  if (row && (row.focus_id ?? undefined) === next.focusId) need = { categories: row.categories, consent: row.consent === null ? null : Number(row.consent) };
  else if (next.focusId !== undefined) {
    const found = await ctx.exec.all<{ categories: string; consent: number | string }>('SELECT categories, consent FROM report_service_requests WHERE tenant = ? AND id = ?', [tenant, next.focusId]);
    if (found[0]) need = { categories: found[0].categories, consent: Number(found[0].consent) };
  }
  const sc = summaryColumns(v.resource.id, next.entries);
  // Care plans naming this Task read its need categories while it is live.
  const needChanged = !row || Number(row.live) === 1 !== next.live || row.categories !== need.categories;
  await ctx.exec.run(
    `INSERT INTO report_tasks (tenant, id, focus_id, live, first_ms, last_ms, entries, categories, consent,
       counts, sent_ms, accepted_ms, completed_ms, status, reason, owner, outcomes, procedures, procedures_known, service_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
     ON CONFLICT (tenant, id) DO UPDATE SET focus_id = excluded.focus_id, live = excluded.live, first_ms = excluded.first_ms,
       last_ms = excluded.last_ms, entries = excluded.entries, categories = excluded.categories, consent = excluded.consent,
       counts = excluded.counts, sent_ms = excluded.sent_ms, accepted_ms = excluded.accepted_ms, completed_ms = excluded.completed_ms,
       status = excluded.status, reason = excluded.reason, owner = excluded.owner, outcomes = excluded.outcomes, procedures = excluded.procedures,
       procedures_known = excluded.procedures_known, service_ms = excluded.service_ms`,
    [
      tenant,
      v.resource.id,
      next.focusId ?? null,
      next.live ? 1 : 0,
      next.firstMs,
      next.lastMs,
      JSON.stringify(next.entries),
      need.categories,
      need.consent,
      sc?.counts ?? null,
      sc?.sentMs ?? null,
      sc?.acceptedMs ?? null,
      sc?.completedMs ?? null,
      sc?.status ?? null,
      sc?.reason ?? null,
      sc?.owner ?? null,
      sc?.outcomes ?? null,
      sc?.procedures ?? null,
      // Counted by linkTaskProcedures when the summary names Procedures.
      sc?.procedures ? null : 0,
    ],
  );
  if (sc?.procedures || row?.procedures) await linkTaskProcedures(ctx, tenant, v.resource.id, sc?.procedures ? (JSON.parse(sc.procedures) as string[]) : []);
  if (needChanged) await refreshPlansNaming(ctx, tenant, 'Task', [v.resource.id]);
}

async function projectGoal(ctx: OpsContext, tenant: string, v: WrittenVersion): Promise<void> {
  const rows = await ctx.exec.all<{ deleted: number | string; defined_by: string | null; history: string }>(
    'SELECT deleted, defined_by, history FROM report_goals WHERE tenant = ? AND id = ?',
    [tenant, v.resource.id],
  );
  const row = rows[0];
  const previous: GoalProjection | undefined = row
    ? { deleted: Number(row.deleted) === 1, history: JSON.parse(row.history) as GoalProjection['history'], ...(row.defined_by !== null ? { definedBy: row.defined_by } : {}) }
    : undefined;
  const next = nextGoalProjection(previous, v.resource as Goal, v.deleted);
  await ctx.exec.run(
    `INSERT INTO report_goals (tenant, id, deleted, defined_by, history) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (tenant, id) DO UPDATE SET deleted = excluded.deleted, defined_by = excluded.defined_by, history = excluded.history`,
    [tenant, v.resource.id, next.deleted ? 1 : 0, next.definedBy ?? null, JSON.stringify(next.history)],
  );
  await refreshPlansNaming(ctx, tenant, 'Goal', [v.resource.id]);
}

/** A performed start in epoch ms, NULL when missing or unreadable (the report treats both alike). */
function performedMs(performed: string | null | undefined): number | null {
  if (performed === null || performed === undefined) return null;
  const ms = instantMs(performed);
  return Number.isFinite(ms) ? ms : null;
}

/**
 * Procedure rows written before migration 006 have a performed text and no time in ms: fills
 * them (an unreadable one loses its text, which the report counted as missing already).
 */
async function fillProcedureTimes(ctx: OpsContext, tenant: string): Promise<number> {
  let filled = 0;
  for (;;) {
    const rows = await ctx.exec.all<{ id: string; performed: string }>(
      'SELECT id, performed FROM report_procedures WHERE tenant = ? AND performed IS NOT NULL AND performed_ms IS NULL LIMIT 1000',
      [tenant],
    );
    for (const row of rows) {
      const ms = performedMs(row.performed);
      await ctx.exec.run('UPDATE report_procedures SET performed = ?, performed_ms = ? WHERE tenant = ? AND id = ?', [ms === null ? null : row.performed, ms, tenant, row.id]);
    }
    filled += rows.length;
    if (rows.length < 1000) return filled;
  }
}

/** Care plans naming the Tasks focused on a ServiceRequest read its categories: rebuilt after it changed. */
async function refreshPlansOfFocus(ctx: OpsContext, tenant: string, serviceRequestId: string): Promise<void> {
  const tasks = await ctx.exec.all<{ id: string }>('SELECT id FROM report_tasks WHERE tenant = ? AND focus_id = ?', [tenant, serviceRequestId]);
  const ids = tasks.map((t) => t.id);
  await refreshPlansNaming(ctx, tenant, 'Task', ids);
}

/** Keeps the projection of one written version (called in the transaction of the write). */
export async function projectVersion(ctx: OpsContext, tenant: string, v: WrittenVersion): Promise<void> {
  const { resource } = v;
  switch (resource.resourceType) {
    case 'Task':
      return projectTask(ctx, tenant, v);
    case 'Goal':
      return projectGoal(ctx, tenant, v);
    case 'ServiceRequest': {
      if (v.deleted) {
        await ctx.exec.run('DELETE FROM report_service_requests WHERE tenant = ? AND id = ?', [tenant, resource.id]);
        await ctx.exec.run('UPDATE report_tasks SET categories = NULL, consent = NULL WHERE tenant = ? AND focus_id = ?', [tenant, resource.id]);
        return refreshPlansOfFocus(ctx, tenant, resource.id);
      }
      const p = serviceRequestProjection(resource as ServiceRequest);
      const categories = JSON.stringify(p.categories);
      await ctx.exec.run(
        `INSERT INTO report_service_requests (tenant, id, categories, consent) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant, id) DO UPDATE SET categories = excluded.categories, consent = excluded.consent`,
        [tenant, resource.id, categories, p.consent ? 1 : 0],
      );
      // The Tasks focused on it carry its need data (the report reads them without a join).
      await ctx.exec.run('UPDATE report_tasks SET categories = ?, consent = ? WHERE tenant = ? AND focus_id = ?', [categories, p.consent ? 1 : 0, tenant, resource.id]);
      return refreshPlansOfFocus(ctx, tenant, resource.id);
    }
    case 'Procedure': {
      if (v.deleted) {
        await ctx.exec.run('DELETE FROM report_procedures WHERE tenant = ? AND id = ?', [tenant, resource.id]);
        return recountTasksNaming(ctx, tenant, resource.id);
      }
      const p = procedureProjection(resource as Procedure);
      const ms = performedMs(p.performed);
      await ctx.exec.run(
        `INSERT INTO report_procedures (tenant, id, performed, performed_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant, id) DO UPDATE SET performed = excluded.performed, performed_ms = excluded.performed_ms`,
        // An unreadable start is kept as none: the report counts both alike.
        [tenant, resource.id, ms === null ? null : (p.performed ?? null), ms],
      );
      return recountTasksNaming(ctx, tenant, resource.id);
    }
    case 'CarePlan':
      return projectCarePlan(ctx, tenant, resource as CarePlan & { id: string }, v.deleted);
    default:
      return;
  }
}

/**
 * SQL building one JSON array text of all matching rows, each row an array of `columns`
 * (kind `s`: a text value, quoted; `j`: a column holding JSON text; `n`: a number). One
 * string crosses the driver instead of thousands of row objects: at 100,000 Tasks that is
 * the difference between most of the read and a small part of it.
 */
function jsonRowsSql(ctx: OpsContext, columns: readonly (readonly [string, 's' | 'j' | 'n'])[], rest: string): string {
  const sqlite = ctx.dialect.kind === 'sqlite';
  const parts = columns.map(([expr, kind]) => {
    if (kind === 's') return sqlite ? `json_quote(${expr})` : `coalesce(to_json(${expr})::text, 'null')`;
    if (kind === 'j') return `coalesce(${expr}, 'null')`;
    return `coalesce(cast(${expr} as text), 'null')`;
  });
  const element = `'[' || ${parts.join(" || ',' || ")} || ']'`;
  const agg = sqlite ? `group_concat(${element}, ',')` : `string_agg(${element}, ',')`;
  return `SELECT '[' || coalesce(${agg}, '') || ']' AS rows ${rest}`;
}

/** SQL joining rows that each hold the JSON text of one element (built at write time) into one JSON array text. */
function concatRowsSql(ctx: OpsContext, column: string, rest: string): string {
  const agg = ctx.dialect.kind === 'sqlite' ? `group_concat(${column}, ',')` : `string_agg(${column}, ',')`;
  return `SELECT '[' || coalesce(${agg}, '') || ']' AS rows ${rest}`;
}

async function jsonRows<R>(ctx: OpsContext, sql: string, params: readonly SqlValue[]): Promise<R[]> {
  const rows = await ctx.exec.all<{ rows: string }>(sql, params);
  return rows.length === 0 ? [] : (JSON.parse(rows[0].rows) as R[]);
}

type ServiceRequestJson = [id: string, categories: string[], consent: number];

async function serviceRequests(ctx: OpsContext, tenant: string, ids: readonly string[]): Promise<Map<string, ServiceRequestProjection>> {
  const out = new Map<string, ServiceRequestProjection>();
  const rows = await inChunks(ids, (chunk) =>
    jsonRows<ServiceRequestJson>(
      ctx,
      jsonRowsSql(ctx, [['id', 's'], ['categories', 'j'], ['consent', 'n']], `FROM report_service_requests WHERE tenant = ? AND id IN (${placeholders(chunk.length)})`),
      [tenant, ...chunk],
    ),
  );
  for (const [id, categories, consent] of rows) out.set(id, { categories, consent: consent === 1 });
  return out;
}

type TaskJson = [id: string, focusId: string | null, entries: TaskEntry[], categories: string[] | null, consent: number | null, live: number];

/** Task rows with the need data of their current focus (copied onto the row). */
function taskRowsSql(ctx: OpsContext, where: string): string {
  return jsonRowsSql(ctx, [['t.id', 's'], ['t.focus_id', 's'], ['t.entries', 'j'], ['t.categories', 'j'], ['t.consent', 'n'], ['t.live', 'n']], `FROM report_tasks t WHERE ${where}`);
}

interface GroupRowSql {
  owner: string | null;
  categories: string | null;
  status: string;
  reason: string | null;
  consent: number | string | null;
  closed: number | string;
  n: number | string;
  to_acceptance: string | null;
  to_completion: string | null;
  to_first_service: string | null;
  without_procedure: number | string;
}

/**
 * SQL counting the Tasks wholly inside a period from their summaries, in groups of the same
 * owner, categories, status, reason, consent and closed loop (what groupSummaries does in
 * memory): durations as comma-separated lists, first service and known Procedures from the
 * Task's columns (task-procedures.ts). Parameters: tenant, start, end, start.
 */
function summaryGroupsSql(ctx: OpsContext): string {
  const sqlite = ctx.dialect.kind === 'sqlite';
  const list = (expr: string) => (sqlite ? `group_concat(${expr}, ',')` : `string_agg((${expr})::text, ',')`);
  return `SELECT owner, categories, status, reason, consent, closed, count(*) AS n,
      ${list('CASE WHEN accepted_ms >= 0 THEN accepted_ms - sent_ms END')} AS to_acceptance,
      ${list('CASE WHEN completed_ms >= 0 THEN completed_ms - sent_ms END')} AS to_completion,
      ${list('first_service - sent_ms')} AS to_first_service,
      sum(CASE WHEN closed = 1 AND known = 0 THEN 1 ELSE 0 END) AS without_procedure
    FROM (
      SELECT t.owner, t.categories, t.status, t.reason, t.consent, CASE WHEN t.outcomes > 0 THEN 1 ELSE 0 END AS closed,
        t.sent_ms, t.accepted_ms, t.completed_ms, coalesce(t.procedures_known, 0) AS known, t.service_ms AS first_service
      FROM report_tasks t
      WHERE t.tenant = ? AND t.first_ms >= ? AND t.last_ms < ? AND t.counts = 1 AND t.sent_ms >= ?
    ) x
    GROUP BY owner, categories, status, reason, consent, closed`;
}

function numbers(list: string | null): number[] {
  return list === null || list === '' ? [] : list.split(',').map(Number);
}

function groupFromRow(row: GroupRowSql): SummaryGroup {
  const g: SummaryGroup = {
    categories: row.categories === null ? [] : (JSON.parse(row.categories) as string[]),
    status: row.status as ReferralSummary['status'],
    consent: Number(row.consent) === 1,
    closedLoop: Number(row.closed) === 1,
    count: Number(row.n),
    toAcceptance: numbers(row.to_acceptance),
    toCompletion: numbers(row.to_completion),
    toFirstService: numbers(row.to_first_service),
    outcomesWithoutProcedure: Number(row.without_procedure),
  };
  if (row.owner !== null) g.owner = row.owner;
  if (row.reason !== null) g.reason = row.reason;
  return g;
}

function requestOfJson(categories: string[] | null, consent: number | null): ServiceRequestProjection | undefined {
  return categories === null ? undefined : { categories, consent: consent === 1 };
}

export function referralFactsOps(ctx: OpsContext) {
  return {
    /**
     * The report input for a tenant and a half-open period [start, end), from the projection:
     * the referrals, Procedures and care plans the history read gives, those wholly inside
     * the period already grouped and the care plans already summarised.
     * (completeReportProjection first, for rows written before migrations 006 and 007.)
     */
    async readReportProjection(tenant: string, period: { start: string; end: string }): Promise<ReportProjectionInput> {
      const startMs = instantMs(period.start);
      const endMs = instantMs(period.end);
      const window = [tenant, startMs, endMs];
      // The reads that depend on nothing else go out together (on PostgreSQL each on its own
      // pooled connection, so the server works on one while this process parses another).
      const [groupRows, spanRows, unsummarisedRows, planRows] = await Promise.all([
        // Tasks with every version in [start, end) and a summary, sent in the period: counted in SQL.
        ctx.exec.all<GroupRowSql>(summaryGroupsSql(ctx), [...window, startMs]),
        // The other Tasks with a version in [start, end): with one outside it too, or without a summary.
        jsonRows<TaskJson>(ctx, taskRowsSql(ctx, 't.tenant = ? AND t.last_ms >= ? AND t.first_ms < ? AND (t.first_ms < ? OR t.last_ms >= ?)'), [...window, startMs, endMs]),
        jsonRows<TaskJson>(ctx, taskRowsSql(ctx, 't.tenant = ? AND t.first_ms >= ? AND t.last_ms < ? AND t.counts IS NULL'), window),
        // Care plans created in the period: one row each, with their Goals and Tasks' categories.
        jsonRows<CarePlanReportRow>(ctx, concatRowsSql(ctx, 'report_row', 'FROM report_care_plans WHERE tenant = ? AND created_ms >= ? AND created_ms < ?'), window),
      ]);
      const summaryGroups = groupRows.map(groupFromRow);
      const taskRows = unsummarisedRows.length === 0 ? spanRows : [...spanRows, ...unsummarisedRows];
      const referrals: ReferralFact[] = [];
      const late: { row: TaskJson; focus: string }[] = [];
      for (const row of taskRows) {
        let otherFocus: string | undefined;
        const fact = referralFromRow({ id: row[0], focusId: row[1] ?? undefined, entries: row[2], request: requestOfJson(row[3], row[4]) }, startMs, endMs, (focus) => {
          otherFocus = focus;
          return undefined;
        });
        if (otherFocus !== undefined) late.push({ row, focus: otherFocus });
        else if (fact) referrals.push(fact);
      }
      if (late.length > 0) {
        // The focus as of the period's last version is not the current one, or is missing.
        const requests = await serviceRequests(ctx, tenant, [...new Set(late.map((l) => l.focus))]);
        for (const { row } of late) {
          const fact = referralFromRow({ id: row[0], entries: row[2] }, startMs, endMs, (focus) => (focus === undefined ? undefined : requests.get(focus)));
          if (fact) referrals.push(fact);
        }
      }

      // A care plan counts with the categories of the referrals it contains: those read above
      // as of the period, the others with their current ones (kept on the plan's row).
      const categoriesOf = new Map<string, readonly string[]>();
      for (const r of referrals) categoriesOf.set(r.id, r.categories);
      const carePlanSummaries = planRows.map((row) => carePlanSummaryFromRow(row, categoriesOf, startMs, endMs));

      // The Procedures the outputs of the referrals read above name (the grouped ones were counted with theirs).
      const procedureIds = new Set<string>();
      for (const r of referrals) for (const v of r.versions) for (const id of v.outputProcedures) procedureIds.add(id);
      // Many named: one scan of the tenant's (small) Procedure rows beats hundreds of IN lists.
      const procedureRows =
        procedureIds.size > SCAN_ABOVE
          ? (await jsonRows<[string, string | null]>(ctx, jsonRowsSql(ctx, [['id', 's'], ['performed', 's']], 'FROM report_procedures WHERE tenant = ?'), [tenant])).filter(([id]) => procedureIds.has(id))
          : await inChunks([...procedureIds], (chunk) =>
              jsonRows<[string, string | null]>(ctx, jsonRowsSql(ctx, [['id', 's'], ['performed', 's']], `FROM report_procedures WHERE tenant = ? AND id IN (${placeholders(chunk.length)})`), [
                tenant,
                ...chunk,
              ]),
            );
      const procedures = procedureRows.map(([id, performed]) => procedureFromRow(id, performed));
      return { referrals, summaryGroups, procedures, carePlanSummaries };
    },

    /**
     * Completes rows written before the projection's later migrations (Procedure times in ms,
     * Tasks' first service and care plans' report rows, with their links), a batch of each
     * per call (a transaction each); `done` once nothing is left. Run before a report reads.
     */
    async completeReportProjection(tenant: string): Promise<{ procedures: number; tasks: number; carePlans: number; done: boolean }> {
      const procedures = await fillProcedureTimes(ctx, tenant);
      const tasks = await linkUnlinkedTasks(ctx, tenant, ROWS_PER_BATCH);
      const carePlans = await buildMissingPlanRows(ctx, tenant, ROWS_PER_BATCH);
      return { procedures, tasks, carePlans, done: tasks < ROWS_PER_BATCH && carePlans < ROWS_PER_BATCH };
    },

    /**
     * Rebuilds the projection of `tenant` (every tenant when undefined) from the version
     * history: what a database written before the projection existed needs once. Returns the
     * number of versions projected.
     */
    async rebuildReportProjection(tenant?: string): Promise<{ versions: number }> {
      const where = tenant === undefined ? '' : ' WHERE tenant = ?';
      const params: SqlValue[] = tenant === undefined ? [] : [tenant];
      for (const table of ['report_tasks', 'report_service_requests', 'report_procedures', 'report_care_plans', 'report_care_plan_links', 'report_goals', 'report_task_procedures']) {
        await ctx.exec.run(`DELETE FROM ${table}${where}`, params);
      }
      let versions = 0;
      for (const type of PROJECTED_TYPES) {
        // Keyset pages over (tenant, id, version_id), oldest version first.
        let after: SqlValue[] | undefined;
        for (;;) {
          const conds = ['type = ?'];
          const p: SqlValue[] = [type];
          if (tenant !== undefined) {
            conds.push('tenant = ?');
            p.push(tenant);
          }
          if (after) {
            conds.push('(tenant > ? OR (tenant = ? AND (id > ? OR (id = ? AND version_id > ?))))');
            p.push(after[0], after[0], after[1], after[1], after[2]);
          }
          const rows = await ctx.exec.all<{ tenant: string; id: string; version_id: number | string; last_updated: number | string; deleted: number | string; body: string }>(
            `SELECT tenant, id, version_id, last_updated, deleted, body FROM resource_history WHERE ${conds.join(' AND ')}
             ORDER BY tenant, id, version_id LIMIT 2000`,
            p,
          );
          for (const row of rows) {
            await projectVersion(ctx, row.tenant, {
              resource: JSON.parse(row.body) as Resource & { id: string },
              versionId: Number(row.version_id),
              lastUpdated: Number(row.last_updated),
              deleted: Number(row.deleted) === 1,
            });
          }
          versions += rows.length;
          if (rows.length < 2000) break;
          const last = rows[rows.length - 1];
          after = [last.tenant, last.id, Number(last.version_id)];
        }
      }
      return { versions };
    },
  };
}
