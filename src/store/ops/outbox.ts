// Transactional outbox with per-key ordering, leases on claimed items and a dead-letter list
// (at-least-once delivery; the receiver's idempotent writes make it exactly-once in effect).
import { randomUUID } from 'node:crypto';
import type { DeadLetter, NewOutboxItem, OutboxItem, OutboxState } from '../store.ts';
import { iso, parseIso, type OpsContext } from './context.ts';

interface OutboxRow {
  seq: number;
  id: string;
  destination: string;
  ordering_key: string;
  reason: string;
  payload: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
}

interface DeadLetterRow {
  id: string;
  outbox_id: string;
  destination: string;
  ordering_key: string;
  reason: string;
  payload: string;
  attempts: number;
  error: string;
  created_at: number;
}

const outboxColumns = 'seq, id, destination, ordering_key, reason, payload, state, attempts, next_attempt_at, last_error, created_at';
const deadLetterColumns = 'id, outbox_id, destination, ordering_key, reason, payload, attempts, error, created_at';
const MAX_ERROR_LENGTH = 2000;

function toItem(row: OutboxRow): OutboxItem {
  const item: OutboxItem = {
    id: row.id,
    destination: row.destination,
    orderingKey: row.ordering_key,
    reason: row.reason,
    payload: JSON.parse(row.payload) as unknown,
    state: row.state,
    attempts: Number(row.attempts),
    nextAttemptAt: iso(Number(row.next_attempt_at)),
    createdAt: iso(Number(row.created_at)),
    seq: Number(row.seq),
  };
  if (row.last_error !== null) {
    item.lastError = row.last_error;
  }
  return item;
}

function toDeadLetter(row: DeadLetterRow): DeadLetter {
  return {
    id: row.id,
    outboxId: row.outbox_id,
    destination: row.destination,
    orderingKey: row.ordering_key,
    reason: row.reason,
    payload: JSON.parse(row.payload) as unknown,
    attempts: Number(row.attempts),
    error: row.error,
    createdAt: iso(Number(row.created_at)),
  };
}

export function outboxOps(ctx: OpsContext) {
  const insertItem = async (item: NewOutboxItem): Promise<OutboxItem> => {
    const now = ctx.now();
    const due = item.notBefore === undefined ? now : parseIso(item.notBefore);
    const rows = await ctx.exec.all<OutboxRow>(
      `INSERT INTO outbox (id, destination, ordering_key, reason, payload, state, attempts, next_attempt_at, created_at)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING ${outboxColumns}`,
      [randomUUID(), item.destination, item.orderingKey, item.reason, JSON.stringify(item.payload ?? null), due, now],
    );
    return toItem(rows[0]);
  };

  return {
    enqueue: insertItem,

    async claim(worker: string, limit: number, leaseMs: number): Promise<OutboxItem[]> {
      const now = ctx.now();
      // Due items whose key has no older unfinished item; an in-flight item whose lease
      // passed is claimable again. PostgreSQL skips rows another worker has locked.
      const candidates = await ctx.exec.all<{ seq: number }>(
        `SELECT o.seq FROM outbox o
         WHERE o.state IN ('pending', 'in-flight') AND o.next_attempt_at <= ?
           AND (o.state = 'pending' OR o.lease_until <= ?)
           AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key AND p.seq < o.seq
                           AND p.state IN ('pending', 'in-flight'))
         ORDER BY o.seq LIMIT ?${ctx.dialect.skipLocked}`,
        [now, now, Math.max(0, Math.trunc(limit))],
      );
      if (candidates.length === 0) {
        return [];
      }
      const seqs = candidates.map((row) => Number(row.seq));
      const rows = await ctx.exec.all<OutboxRow>(
        `UPDATE outbox SET state = 'in-flight', worker = ?, lease_until = ?, attempts = attempts + 1
         WHERE seq IN (${seqs.map(() => '?').join(', ')}) RETURNING ${outboxColumns}`,
        [worker, now + Math.max(0, leaseMs), ...seqs],
      );
      return rows.map(toItem).sort((a, b) => a.seq - b.seq);
    },

    async complete(id: string, worker: string): Promise<boolean> {
      const changed = await ctx.exec.run(
        `UPDATE outbox SET state = 'done', worker = NULL, lease_until = NULL
         WHERE id = ? AND state = 'in-flight' AND worker = ?`,
        [id, worker],
      );
      return changed === 1;
    },

    async retry(id: string, worker: string, error: string, nextAttemptAt: string): Promise<boolean> {
      const changed = await ctx.exec.run(
        `UPDATE outbox SET state = 'pending', worker = NULL, lease_until = NULL, last_error = ?, next_attempt_at = ?
         WHERE id = ? AND state = 'in-flight' AND worker = ?`,
        [error.slice(0, MAX_ERROR_LENGTH), parseIso(nextAttemptAt), id, worker],
      );
      return changed === 1;
    },

    async bury(id: string, worker: string, error: string): Promise<DeadLetter | undefined> {
      const text = error.slice(0, MAX_ERROR_LENGTH);
      const items = await ctx.exec.all<OutboxRow>(
        `UPDATE outbox SET state = 'dead', worker = NULL, lease_until = NULL, last_error = ?
         WHERE id = ? AND state = 'in-flight' AND worker = ? RETURNING ${outboxColumns}`,
        [text, id, worker],
      );
      const item = items[0];
      if (!item) {
        return undefined;
      }
      const rows = await ctx.exec.all<DeadLetterRow>(
        `INSERT INTO dead_letters (id, outbox_id, destination, ordering_key, reason, payload, attempts, error, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${deadLetterColumns}`,
        [randomUUID(), item.id, item.destination, item.ordering_key, item.reason, item.payload, item.attempts, text, ctx.now()],
      );
      return toDeadLetter(rows[0]);
    },

    async listDeadLetters(options: { limit: number; offset?: number }): Promise<DeadLetter[]> {
      const rows = await ctx.exec.all<DeadLetterRow>(
        `SELECT ${deadLetterColumns} FROM dead_letters WHERE requeued_at IS NULL ORDER BY created_at, id LIMIT ? OFFSET ?`,
        [Math.max(0, Math.trunc(options.limit)), Math.max(0, Math.trunc(options.offset ?? 0))],
      );
      return rows.map(toDeadLetter);
    },

    async requeueDeadLetter(id: string): Promise<OutboxItem | undefined> {
      const rows = await ctx.exec.all<DeadLetterRow>(
        `SELECT ${deadLetterColumns} FROM dead_letters WHERE id = ? AND requeued_at IS NULL${ctx.dialect.forUpdate}`,
        [id],
      );
      const letter = rows[0];
      if (!letter) {
        return undefined;
      }
      const item = await insertItem({
        destination: letter.destination,
        orderingKey: letter.ordering_key,
        reason: letter.reason,
        payload: JSON.parse(letter.payload) as unknown,
      });
      await ctx.exec.run('UPDATE dead_letters SET requeued_at = ?, requeued_as = ? WHERE id = ?', [ctx.now(), item.id, id]);
      return item;
    },

    async countOutbox(state: OutboxState): Promise<number> {
      const rows = await ctx.exec.all<{ n: number }>('SELECT COUNT(*) AS n FROM outbox WHERE state = ?', [state]);
      return Number(rows[0]?.n ?? 0);
    },
  };
}
