// What every group of store operations works with: one executor (a pooled connection or a
// transaction), the dialect, the indexer and the clock.
import type { Indexer } from '../store.ts';
import type { Dialect, Executor } from '../sql/executor.ts';

export interface OpsContext {
  exec: Executor;
  dialect: Dialect;
  indexer?: Indexer;
  /** Epoch milliseconds. */
  now: () => number;
}

/** `?, ?, ...` for n parameters. */
export function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}

/**
 * Takes the transaction lock of each key (PostgreSQL advisory transaction locks; SQLite
 * transactions are exclusive already), deduplicated and in one order for every caller, so
 * two writers locking overlapping keys cannot wait on each other in a cycle.
 */
export async function lockKeys(ctx: OpsContext, keys: readonly string[]): Promise<void> {
  const sql = ctx.dialect.lockSql;
  if (sql === undefined) return;
  for (const key of [...new Set(keys)].sort()) await ctx.exec.all(sql, [key]);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function parseIso(text: string): number {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? 0 : ms;
}
