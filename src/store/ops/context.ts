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

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function parseIso(text: string): number {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? 0 : ms;
}
