// The first service of the report projection: per summarised Task, how many of the Procedures
// its latest outputs name the store holds and the earliest performed start among them, kept
// in the transaction of the Task's writes and of those Procedures' writes (links from each
// Procedure to the Tasks naming it find them), so that a report counts time to first service
// for the Tasks wholly inside its period without a join.
//
// Concurrent writers on PostgreSQL (read committed): a writer takes a transaction lock on
// each Procedure it links or changes before reading the links or the Procedure rows, so the
// later of two writers always sees the other's committed rows.
import { type OpsContext, lockKeys } from './context.ts';

function lockProcedures(ctx: OpsContext, tenant: string, ids: readonly string[]): Promise<void> {
  return lockKeys(ctx, ids.map((id) => `report-procedure:${tenant}:${id}`));
}

/** Sets the known count and first service of Tasks from their links and the Procedure rows. */
function recountSql(where: string): string {
  const linked = `FROM report_task_procedures l JOIN report_procedures p ON p.tenant = l.tenant AND p.id = l.procedure_id
    WHERE l.tenant = report_tasks.tenant AND l.task_id = report_tasks.id`;
  return `UPDATE report_tasks SET procedures_known = (SELECT count(*) ${linked}), service_ms = (SELECT min(p.performed_ms) ${linked}) WHERE ${where}`;
}

/** Links a Task to the Procedures its summary names (none: unlinked) and counts them. */
export async function linkTaskProcedures(ctx: OpsContext, tenant: string, taskId: string, procedureIds: readonly string[]): Promise<void> {
  const ids = [...new Set(procedureIds)];
  await lockProcedures(ctx, tenant, ids);
  await ctx.exec.run('DELETE FROM report_task_procedures WHERE tenant = ? AND task_id = ?', [tenant, taskId]);
  if (ids.length > 0) {
    await ctx.exec.run(
      `INSERT INTO report_task_procedures (tenant, procedure_id, task_id) VALUES ${ids.map(() => '(?, ?, ?)').join(', ')}`,
      ids.flatMap((id) => [tenant, id, taskId]),
    );
  }
  await ctx.exec.run(recountSql('tenant = ? AND id = ?'), [tenant, taskId]);
}

/** Recounts the Tasks naming a Procedure (called after its row was written or deleted). */
export async function recountTasksNaming(ctx: OpsContext, tenant: string, procedureId: string): Promise<void> {
  await lockProcedures(ctx, tenant, [procedureId]);
  await ctx.exec.run(recountSql('tenant = ? AND id IN (SELECT task_id FROM report_task_procedures WHERE tenant = ? AND procedure_id = ?)'), [tenant, tenant, procedureId]);
}

/**
 * Links and counts up to `limit` Tasks summarised before migration 007 (a batch per
 * transaction, before a report reads). Returns how many.
 */
export async function linkUnlinkedTasks(ctx: OpsContext, tenant: string, limit: number): Promise<number> {
  const rows = await ctx.exec.all<{ id: string; procedures: string }>('SELECT id, procedures FROM report_tasks WHERE tenant = ? AND procedures IS NOT NULL AND procedures_known IS NULL LIMIT ?', [
    tenant,
    limit,
  ]);
  for (const row of rows) await linkTaskProcedures(ctx, tenant, row.id, JSON.parse(row.procedures) as string[]);
  return rows.length;
}

