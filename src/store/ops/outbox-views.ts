// Read-only views of the outbox for operators: counts per destination, one item, and the
// items of some ordering keys (a referral's deliveries). Payloads are never returned.
import type { OutboxDestinationSummary, OutboxItemView, OutboxState } from '../store.ts';
import { iso, type OpsContext } from './context.ts';

interface SummaryRow {
  destination: string;
  state: OutboxState;
  n: number | string;
  attempts: number | string | null;
  newest: number | string | null;
}

interface ViewRow {
  seq: number | string;
  id: string;
  destination: string;
  ordering_key: string;
  reason: string;
  state: OutboxState;
  attempts: number | string;
  next_attempt_at: number | string;
  last_error: string | null;
  created_at: number | string;
}

const viewColumns = 'seq, id, destination, ordering_key, reason, state, attempts, next_attempt_at, last_error, created_at';
const MAX_KEYS = 200;

function toView(row: ViewRow): OutboxItemView {
  return {
    id: row.id,
    seq: Number(row.seq),
    destination: row.destination,
    orderingKey: row.ordering_key,
    reason: row.reason,
    state: row.state,
    attempts: Number(row.attempts),
    nextAttemptAt: iso(Number(row.next_attempt_at)),
    createdAt: iso(Number(row.created_at)),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
  };
}

export function outboxViewOps(ctx: OpsContext) {
  return {
    async summarizeOutbox(): Promise<OutboxDestinationSummary[]> {
      const rows = await ctx.exec.all<SummaryRow>(
        `SELECT destination, state, COUNT(*) AS n, SUM(attempts) AS attempts, MAX(created_at) AS newest
         FROM outbox GROUP BY destination, state ORDER BY destination, state`,
      );
      const byDestination = new Map<string, OutboxDestinationSummary>();
      for (const row of rows) {
        let summary = byDestination.get(row.destination);
        if (!summary) {
          summary = { destination: row.destination, pending: 0, inFlight: 0, done: 0, dead: 0, attempts: { pending: 0, inFlight: 0, done: 0, dead: 0 } };
          byDestination.set(row.destination, summary);
        }
        const key = row.state === 'in-flight' ? 'inFlight' : row.state;
        summary[key] = Number(row.n);
        summary.attempts[key] = Number(row.attempts ?? 0);
        if (row.state === 'done' && row.newest !== null) {
          summary.newestDoneCreatedAt = iso(Number(row.newest));
        }
      }
      return [...byDestination.values()];
    },

    async readOutboxItem(id: string): Promise<OutboxItemView | undefined> {
      const rows = await ctx.exec.all<ViewRow>(`SELECT ${viewColumns} FROM outbox WHERE id = ?`, [id]);
      return rows[0] ? toView(rows[0]) : undefined;
    },

    async listOutboxByKeys(orderingKeys: readonly string[], limit: number): Promise<OutboxItemView[]> {
      const keys = [...new Set(orderingKeys)].slice(0, MAX_KEYS);
      if (keys.length === 0) {
        return [];
      }
      const rows = await ctx.exec.all<ViewRow>(
        `SELECT ${viewColumns} FROM outbox WHERE ordering_key IN (${keys.map(() => '?').join(', ')}) ORDER BY seq LIMIT ?`,
        [...keys, Math.max(0, Math.trunc(limit))],
      );
      return rows.map(toView);
    },
  };
}
