// Keeps PostgreSQL's planner statistics in step with what the store writes. Without them
// (a new schema, a bulk load, a server with autovacuum off or not yet come round) the planner
// takes every equality to match 0.5 % of a table and picks nested loops that rescan an index
// per row: a `part-of` search over 2,000 Tasks took 5.8 s instead of 0.2 ms. The store counts
// the rows its own statements change per table and, like autovacuum's analyze threshold
// (50 rows + 10 % of the table), runs ANALYZE on the tables that changed enough, in the
// background and at most once per interval, so it never delays a request.
// https://www.postgresql.org/docs/current/routine-vacuuming.html#VACUUM-FOR-STATISTICS
import type pg from 'pg';

const THRESHOLD_ROWS = 50;
const THRESHOLD_FRACTION = 0.1;
/** ANALYZE waits at most this long for a table lock (another ANALYZE or VACUUM holds it). */
const LOCK_TIMEOUT = '2s';
const WRITE = /^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_][a-z0-9_]*)/i;

export interface StatisticsUpkeep {
  /** Counts the rows a statement changed (its SQL and row count); true when it wrote to a table. */
  changed(sql: string, rows: number): boolean;
  /** After a commit: analyze the tables that are due, in the background. */
  afterCommit(): void;
  /** Waits for a running ANALYZE and stops. */
  close(): Promise<void>;
}

/** The table a statement writes to, or undefined for anything else. Pure. */
export function writtenTable(sql: string): string | undefined {
  return WRITE.exec(sql)?.[1]?.toLowerCase();
}

/** Tables whose changed rows pass the threshold for their size (reltuples; -1 = never analyzed). Pure. */
export function dueTables(changed: ReadonlyMap<string, number>, sizes: ReadonlyMap<string, number>): string[] {
  return [...changed.entries()]
    .filter(([table, rows]) => rows > THRESHOLD_ROWS + THRESHOLD_FRACTION * Math.max(0, sizes.get(table) ?? 0))
    .map(([table]) => table)
    .sort();
}

export function statisticsUpkeep(pool: pg.Pool, options: { intervalMs?: number } = {}): StatisticsUpkeep {
  const intervalMs = options.intervalMs ?? 2000;
  const changed = new Map<string, number>();
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastRun = Number.NEGATIVE_INFINITY;
  let closed = false;
  /** A commit came while ANALYZE ran: look again when it is done. */
  let again = false;

  const anyOverMinimum = (): boolean => [...changed.values()].some((rows) => rows > THRESHOLD_ROWS);

  const analyzeDue = async (): Promise<void> => {
    const client = await pool.connect();
    let broken = false;
    try {
      const tables = [...changed.keys()];
      const sizes = new Map<string, number>(
        (
          await client.query<{ relname: string; reltuples: number }>(
            `SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname = ANY ($1)`,
            [tables],
          )
        ).rows.map((row) => [row.relname, Number(row.reltuples)]),
      );
      const due = dueTables(changed, sizes).filter((table) => sizes.has(table));
      if (due.length === 0) {
        return;
      }
      for (const table of due) {
        changed.delete(table);
      }
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        await client.query(`ANALYZE ${due.map((table) => `"${table}"`).join(', ')}`);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      }
    } finally {
      client.release(broken);
    }
  };

  const start = (): void => {
    timer = undefined;
    if (closed || running || !anyOverMinimum()) {
      return;
    }
    lastRun = performance.now();
    // Statistics are an optimisation: a failed ANALYZE (busy lock, timeout) is tried again later.
    again = false;
    running = analyzeDue()
      .catch(() => undefined)
      .finally(() => {
        running = undefined;
        if (again && !closed) {
          timer = setTimeout(start, intervalMs);
          timer.unref();
        }
      });
  };

  return {
    changed(sql, rows) {
      const table = rows > 0 ? writtenTable(sql) : undefined;
      if (table) {
        changed.set(table, (changed.get(table) ?? 0) + rows);
      }
      return table !== undefined;
    },
    afterCommit() {
      if (running) {
        again = true;
        return;
      }
      if (closed || timer || !anyOverMinimum()) {
        return;
      }
      const wait = lastRun + intervalMs - performance.now();
      if (wait <= 0) {
        start();
      } else {
        timer = setTimeout(start, wait);
        timer.unref();
      }
    },
    async close() {
      closed = true;
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      await running;
    },
  };
}
