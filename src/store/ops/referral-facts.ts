// The report projection in the store: per Task, ServiceRequest, Procedure, CarePlan and Goal
// the facts the referral report reads (tables of migration 003), written in the same
// transaction as each version of those resources, read back for a period with a few indexed
// queries, and rebuilt from the history for data written before the projection existed.
// What a row holds is decided by the pure functions of src/workflow/report/projection.ts.
import type { CarePlan, Goal, Procedure, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { instantMs } from '../../workflow/report/instant.ts';
import type { CarePlanFact, ProcedureFact, ReferralFact } from '../../workflow/report/report-types.ts';
import {
  type CarePlanProjection,
  type GoalProjection,
  type ServiceRequestProjection,
  type TaskEntry,
  type TaskProjection,
  carePlanFromRow,
  carePlanProjection,
  nextGoalProjection,
  nextTaskProjection,
  procedureFromRow,
  procedureProjection,
  referralFromRow,
  serviceRequestProjection,
} from '../../workflow/report/projection.ts';
import type { SqlValue } from '../sql/executor.ts';
import { iso, type OpsContext } from './context.ts';

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
  procedures: ProcedureFact[];
  carePlans: CarePlanFact[];
}

const IN_CHUNK = 500;
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

function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

async function inChunks<R>(ids: readonly string[], fn: (chunk: string[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < ids.length; i += IN_CHUNK) out.push(...(await fn(ids.slice(i, i + IN_CHUNK))));
  return out;
}

async function projectTask(ctx: OpsContext, tenant: string, v: WrittenVersion): Promise<void> {
  const rows = await ctx.exec.all<TaskRowSql>('SELECT id, focus_id, live, first_ms, last_ms, entries FROM report_tasks WHERE tenant = ? AND id = ?', [tenant, v.resource.id]);
  const row = rows[0];
  const previous: TaskProjection | undefined = row
    ? { focusId: row.focus_id ?? undefined, live: Number(row.live) === 1, firstMs: Number(row.first_ms), lastMs: Number(row.last_ms), entries: JSON.parse(row.entries) as TaskEntry[] }
    : undefined;
  const next = nextTaskProjection(previous, v.resource as Task, v.versionId, iso(v.lastUpdated), v.deleted);
  await ctx.exec.run(
    `INSERT INTO report_tasks (tenant, id, focus_id, live, first_ms, last_ms, entries) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (tenant, id) DO UPDATE SET focus_id = excluded.focus_id, live = excluded.live, first_ms = excluded.first_ms,
       last_ms = excluded.last_ms, entries = excluded.entries`,
    [tenant, v.resource.id, next.focusId ?? null, next.live ? 1 : 0, next.firstMs, next.lastMs, JSON.stringify(next.entries)],
  );
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
        return;
      }
      const p = serviceRequestProjection(resource as ServiceRequest);
      await ctx.exec.run(
        `INSERT INTO report_service_requests (tenant, id, categories, consent) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant, id) DO UPDATE SET categories = excluded.categories, consent = excluded.consent`,
        [tenant, resource.id, JSON.stringify(p.categories), p.consent ? 1 : 0],
      );
      return;
    }
    case 'Procedure': {
      if (v.deleted) {
        await ctx.exec.run('DELETE FROM report_procedures WHERE tenant = ? AND id = ?', [tenant, resource.id]);
        return;
      }
      const p = procedureProjection(resource as Procedure);
      await ctx.exec.run(
        'INSERT INTO report_procedures (tenant, id, performed) VALUES (?, ?, ?) ON CONFLICT (tenant, id) DO UPDATE SET performed = excluded.performed',
        [tenant, resource.id, p.performed ?? null],
      );
      return;
    }
    case 'CarePlan': {
      if (v.deleted) {
        await ctx.exec.run('DELETE FROM report_care_plans WHERE tenant = ? AND id = ?', [tenant, resource.id]);
        return;
      }
      const p = carePlanProjection(resource as CarePlan);
      await ctx.exec.run(
        'INSERT INTO report_care_plans (tenant, id, created_ms, fact) VALUES (?, ?, ?, ?) ON CONFLICT (tenant, id) DO UPDATE SET created_ms = excluded.created_ms, fact = excluded.fact',
        [tenant, resource.id, Number.isFinite(p.createdMs) ? p.createdMs : null, JSON.stringify(p.fact)],
      );
      return;
    }
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

/** Tasks joined with the need data of their current focus. */
function taskRowsSql(ctx: OpsContext, where: string): string {
  return jsonRowsSql(
    ctx,
    [['t.id', 's'], ['t.focus_id', 's'], ['t.entries', 'j'], ['s.categories', 'j'], ['s.consent', 'n'], ['t.live', 'n']],
    `FROM report_tasks t LEFT JOIN report_service_requests s ON s.tenant = t.tenant AND s.id = t.focus_id WHERE ${where}`,
  );
}

function requestOfJson(categories: string[] | null, consent: number | null): ServiceRequestProjection | undefined {
  return categories === null ? undefined : { categories, consent: consent === 1 };
}

type GoalJson = [id: string, deleted: number, definedBy: string | null, history: GoalProjection['history']];

export function referralFactsOps(ctx: OpsContext) {
  return {
    /**
     * The report input for a tenant and a half-open period [start, end), from the projection:
     * the same referrals, Procedures and care plans (with their categories) the history read
     * gives.
     */
    async readReportProjection(tenant: string, period: { start: string; end: string }): Promise<ReportProjectionInput> {
      const startMs = instantMs(period.start);
      const endMs = instantMs(period.end);
      // Tasks with a version in [start, end): last version at or after start, first before end.
      const taskRows = await jsonRows<TaskJson>(ctx, taskRowsSql(ctx, 't.tenant = ? AND t.last_ms >= ? AND t.first_ms < ?'), [tenant, startMs, endMs]);
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

      const plans = await jsonRows<[string, CarePlanProjection['fact']]>(
        ctx,
        jsonRowsSql(ctx, [['id', 's'], ['fact', 'j']], 'FROM report_care_plans WHERE tenant = ? AND created_ms >= ? AND created_ms < ?'),
        [tenant, startMs, endMs],
      );
      // The Goals of those care plans, by a join on the goal ids each care plan row lists.
      const goalIdsOf =
        ctx.dialect.kind === 'sqlite'
          ? // CROSS JOIN fixes SQLite's join order: care plans first, then their goal ids, then each Goal by key.
            "json_each(c.fact, '$.goalIds') j CROSS JOIN report_goals g ON g.tenant = c.tenant AND g.id = j.value"
          : "LATERAL jsonb_array_elements_text((c.fact::jsonb) -> 'goalIds') AS j(value) JOIN report_goals g ON g.tenant = c.tenant AND g.id = j.value";
      const goalRows = await jsonRows<GoalJson>(
        ctx,
        jsonRowsSql(
          ctx,
          [['g.id', 's'], ['g.deleted', 'n'], ['g.defined_by', 's'], ['g.history', 'j']],
          `FROM report_care_plans c CROSS JOIN ${goalIdsOf} WHERE c.tenant = ? AND c.created_ms >= ? AND c.created_ms < ?`,
        ),
        [tenant, startMs, endMs],
      );
      const goals = new Map<string, GoalProjection>();
      for (const [id, deleted, definedBy, history] of goalRows) goals.set(id, { deleted: deleted === 1, history, ...(definedBy !== null ? { definedBy } : {}) });
      const carePlans = plans.map(([id, fact]) => carePlanFromRow(id, fact, goals));

      // The categories of a care plan are those of the referrals it contains, cohort or not:
      // the referrals read above, else the live Task's current focus.
      const categoriesById = new Map<string, readonly string[]>(referrals.map((r) => [r.id, r.categories]));
      const unknown = [...new Set(carePlans.flatMap((cp) => cp.referralIds))].filter((id) => !categoriesById.has(id));
      const unknownRows = await inChunks(unknown, (chunk) =>
        jsonRows<[id: string, live: number, categories: string[] | null]>(
          ctx,
          jsonRowsSql(
            ctx,
            [['t.id', 's'], ['t.live', 'n'], ['s.categories', 'j']],
            `FROM report_tasks t LEFT JOIN report_service_requests s ON s.tenant = t.tenant AND s.id = t.focus_id WHERE t.tenant = ? AND t.id IN (${placeholders(chunk.length)})`,
          ),
          [tenant, ...chunk],
        ),
      );
      for (const [id, live, categories] of unknownRows) {
        if (live === 1) categoriesById.set(id, categories ?? []);
      }
      for (const cp of carePlans) {
        const found: string[] = [];
        for (const id of cp.referralIds) for (const c of categoriesById.get(id) ?? []) if (!found.includes(c)) found.push(c);
        cp.categories = found;
      }
      return { referrals, procedures, carePlans };
    },

    /**
     * Rebuilds the projection of `tenant` (every tenant when undefined) from the version
     * history: what a database written before the projection existed needs once. Returns the
     * number of versions projected.
     */
    async rebuildReportProjection(tenant?: string): Promise<{ versions: number }> {
      const where = tenant === undefined ? '' : ' WHERE tenant = ?';
      const params: SqlValue[] = tenant === undefined ? [] : [tenant];
      for (const table of ['report_tasks', 'report_service_requests', 'report_procedures', 'report_care_plans', 'report_goals']) {
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
