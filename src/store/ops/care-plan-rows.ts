// The care plans of the report projection: each plan's row (projection.ts CarePlanReportRow:
// organisation, referral Tasks with their current need categories, Goals' definers and
// achievement steps) kept current in the transaction of every write that changes it, so that
// a report reads one row per plan created in its period and joins nothing.
//
// What changes a row: the plan itself, a Goal it names, a Task it names (deleted, or its
// focus changed), the ServiceRequest such a Task is focused on. Links (kind, target, plan)
// find the plans naming a Goal or Task, including Goals and Tasks not written yet.
//
// Concurrent writers on PostgreSQL (read committed): a writer takes a transaction lock on
// each Goal or Task it changes or links before reading the links or the rows, and a plan's
// row is locked before it is rebuilt, so the last rebuild of a row always sees the other
// writers' committed rows. SQLite transactions are exclusive already.
import type { CarePlan } from '@medplum/fhirtypes';
import { type CarePlanProjection, type GoalProjection, type TaskNeed, carePlanProjection, carePlanReportRow } from '../../workflow/report/projection.ts';
import { type OpsContext, lockKeys, placeholders } from './context.ts';

type LinkKind = 'Goal' | 'Task';

/** Takes the transaction lock of each target (PostgreSQL). */
function lockTargets(ctx: OpsContext, tenant: string, targets: readonly [LinkKind, string][]): Promise<void> {
  return lockKeys(ctx, targets.map(([kind, id]) => `report-plan-target:${tenant}:${kind}/${id}`));
}

/** Rebuilds the report row of one plan from the current Goal and Task rows. */
async function rebuildRow(ctx: OpsContext, tenant: string, planId: string): Promise<void> {
  const rows = await ctx.exec.all<{ fact: string }>(`SELECT fact FROM report_care_plans WHERE tenant = ? AND id = ?${ctx.dialect.forUpdate}`, [tenant, planId]);
  if (!rows[0]) return;
  const fact = JSON.parse(rows[0].fact) as CarePlanProjection['fact'];
  const goals = new Map<string, GoalProjection>();
  if (fact.goalIds.length > 0) {
    const found = await ctx.exec.all<{ id: string; deleted: number | string; defined_by: string | null; history: string }>(
      `SELECT id, deleted, defined_by, history FROM report_goals WHERE tenant = ? AND id IN (${placeholders(fact.goalIds.length)})`,
      [tenant, ...fact.goalIds],
    );
    for (const g of found) {
      goals.set(g.id, { deleted: Number(g.deleted) === 1, history: JSON.parse(g.history) as GoalProjection['history'], ...(g.defined_by !== null ? { definedBy: g.defined_by } : {}) });
    }
  }
  const tasks = new Map<string, TaskNeed>();
  if (fact.referralIds.length > 0) {
    const found = await ctx.exec.all<{ id: string; live: number | string; categories: string | null }>(
      `SELECT id, live, categories FROM report_tasks WHERE tenant = ? AND id IN (${placeholders(fact.referralIds.length)})`,
      [tenant, ...fact.referralIds],
    );
    for (const t of found) tasks.set(t.id, { live: Number(t.live) === 1, categories: t.categories === null ? null : (JSON.parse(t.categories) as string[]) });
  }
  await ctx.exec.run('UPDATE report_care_plans SET report_row = ? WHERE tenant = ? AND id = ?', [JSON.stringify(carePlanReportRow(fact, goals, tasks)), tenant, planId]);
}

/** Rebuilds the rows of the plans naming any of these Goals or Tasks (called after their rows changed). */
export async function refreshPlansNaming(ctx: OpsContext, tenant: string, kind: LinkKind, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await lockTargets(ctx, tenant, ids.map((id): [LinkKind, string] => [kind, id]));
  const plans = await ctx.exec.all<{ plan_id: string }>(
    `SELECT DISTINCT plan_id FROM report_care_plan_links WHERE tenant = ? AND kind = ? AND target_id IN (${placeholders(ids.length)}) ORDER BY plan_id`,
    [tenant, kind, ...ids],
  );
  for (const p of plans) await rebuildRow(ctx, tenant, p.plan_id);
}

async function replaceLinks(ctx: OpsContext, tenant: string, planId: string, fact: CarePlanProjection['fact'] | undefined): Promise<void> {
  await ctx.exec.run('DELETE FROM report_care_plan_links WHERE tenant = ? AND plan_id = ?', [tenant, planId]);
  if (fact === undefined) return;
  // A plan may name a Goal or Task twice: one link each.
  const links = new Map(targetsOf(fact).map(([kind, id]) => [`${kind}/${id}`, [tenant, kind, id, planId]]));
  if (links.size === 0) return;
  await ctx.exec.run(`INSERT INTO report_care_plan_links (tenant, kind, target_id, plan_id) VALUES ${[...links.values()].map(() => '(?, ?, ?, ?)').join(', ')}`, [...links.values()].flat());
}

function targetsOf(fact: CarePlanProjection['fact']): [LinkKind, string][] {
  return [...fact.goalIds.map((id): [LinkKind, string] => ['Goal', id]), ...fact.referralIds.map((id): [LinkKind, string] => ['Task', id])];
}

/** Keeps the projection of one CarePlan version: its row, its links, its report row. */
export async function projectCarePlan(ctx: OpsContext, tenant: string, carePlan: CarePlan & { id: string }, deleted: boolean): Promise<void> {
  if (deleted) {
    await ctx.exec.run('DELETE FROM report_care_plans WHERE tenant = ? AND id = ?', [tenant, carePlan.id]);
    await replaceLinks(ctx, tenant, carePlan.id, undefined);
    return;
  }
  const p = carePlanProjection(carePlan);
  await lockTargets(ctx, tenant, targetsOf(p.fact));
  await ctx.exec.run(
    `INSERT INTO report_care_plans (tenant, id, created_ms, fact) VALUES (?, ?, ?, ?)
     ON CONFLICT (tenant, id) DO UPDATE SET created_ms = excluded.created_ms, fact = excluded.fact`,
    [tenant, carePlan.id, Number.isFinite(p.createdMs) ? p.createdMs : null, JSON.stringify(p.fact)],
  );
  await replaceLinks(ctx, tenant, carePlan.id, p.fact);
  await rebuildRow(ctx, tenant, carePlan.id);
}

/**
 * Builds the links and rows of up to `limit` plans written before migration 007 (each batch
 * a transaction of its own, before a report reads the rows: on PostgreSQL every plan holds
 * the locks of its targets until the batch commits). Returns how many were built.
 */
export async function buildMissingPlanRows(ctx: OpsContext, tenant: string, limit: number): Promise<number> {
  const rows = await ctx.exec.all<{ id: string; fact: string }>('SELECT id, fact FROM report_care_plans WHERE tenant = ? AND report_row IS NULL LIMIT ?', [tenant, limit]);
  for (const row of rows) {
    const fact = JSON.parse(row.fact) as CarePlanProjection['fact'];
    await lockTargets(ctx, tenant, targetsOf(fact));
    await replaceLinks(ctx, tenant, row.id, fact);
    await rebuildRow(ctx, tenant, row.id);
  }
  return rows.length;
}
