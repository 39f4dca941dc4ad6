// PostgreSQL through a `pg` Pool. Optional schema: every table lives in it (search_path set
// per connection), so tests and tenants of the database can be kept apart. Transactions run
// on one dedicated client with ROLLBACK on error; migrations run under a session advisory
// lock so two processes opening at once take turns. Planner statistics are kept current by
// statistics.ts from the rows the statements change.
// https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { OperationOutcomeError } from '../../fhir/errors.ts';
import { badRequest, unavailable } from '../../fhir/outcomes.ts';
import { createMigrationsTable, loadMigrations } from '../migrations/load.ts';
import type { Dialect, Executor, Runner, SqlValue } from '../sql/executor.ts';
import { statisticsUpkeep, type StatisticsUpkeep } from './statistics.ts';

export interface PostgresOptions {
  databaseUrl: string;
  schema?: string;
  /** Pool size; default 10. */
  max?: number;
  /** Per-statement timeout; default 15 s. */
  statementTimeoutMs?: number;
  /** Time to wait for a connection; default 10 s. */
  connectTimeoutMs?: number;
  /** Least time between two ANALYZE runs of the statistics upkeep; default 2 s. */
  analyzeIntervalMs?: number;
}

const INT8_OID = 20;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Numbers `?` placeholders as `$1, $2, ...` (the shared SQL never has `?` elsewhere). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function translate(error: unknown): unknown {
  const code = pgCode(error);
  // 57014 query_canceled (statement timeout), 08xxx connection errors, 40P01 deadlock, 53xxx resources.
  if (code === '57014' || code === '40P01' || code?.startsWith('08') || code?.startsWith('53')) {
    return new OperationOutcomeError(unavailable('The database is unavailable or busy; try again'), { cause: error });
  }
  if (error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message)) {
    return new OperationOutcomeError(unavailable('The database is unavailable; try again'), { cause: error });
  }
  return error;
}

/** Runs statements on a pool (each its own transaction) or on a transaction's client; counts written rows for the statistics upkeep. */
function executorOf(queryable: pg.Pool | pg.PoolClient, upkeep: StatisticsUpkeep, autocommit: boolean): Executor {
  const query = async (sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> => {
    let result: pg.QueryResult;
    try {
      result = await queryable.query(numberPlaceholders(sql), params as SqlValue[]);
    } catch (error) {
      throw translate(error);
    }
    if (result.rowCount && upkeep.changed(sql, result.rowCount) && autocommit) {
      upkeep.afterCommit();
    }
    return result;
  };
  return {
    all: async <R>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> => (await query(sql, params)).rows as R[],
    run: async (sql: string, params: readonly SqlValue[] = []): Promise<number> => (await query(sql, params)).rowCount ?? 0,
  };
}

export async function openPostgresRunner(options: PostgresOptions): Promise<Runner> {
  const schema = options.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new OperationOutcomeError(badRequest('Invalid PostgreSQL schema name', 'schema'));
  }
  const statementTimeout = Math.trunc(options.statementTimeoutMs ?? 15_000);
  // JIT compilation off: PostgreSQL compiles a query whose estimated cost passes a threshold,
  // and functions such as jsonb_array_elements_text are estimated at 100 rows each, so the
  // report's count of 100,000 referrals spent 1.2 s compiling for a 0.3 s run. The store's
  // statements are short index reads; none gains from it.
  const settings = [`-c statement_timeout=${statementTimeout}`, '-c jit=off'];
  if (schema) {
    settings.push(`-c search_path=${schema}`);
  }
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    options: settings.join(' '),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);

  const lockPrefix = `sdoh-gateway:${schema ?? 'public'}:`;
  try {
    await migrate(pool, schema, lockPrefix);
  } catch (error) {
    await pool.end();
    throw translate(error);
  }

  const upkeep = statisticsUpkeep(pool, { intervalMs: options.analyzeIntervalMs });
  const poolExec = executorOf(pool, upkeep, true);
  const inside = new AsyncLocalStorage<Executor>();
  const dialect: Dialect = {
    kind: 'postgres',
    forUpdate: ' FOR UPDATE',
    skipLocked: ' FOR UPDATE SKIP LOCKED',
    // Session-independent, released at commit/rollback; the key is namespaced by schema.
    lockSql: `SELECT pg_advisory_xact_lock(hashtext('${lockPrefix}' || ?))`,
    isUniqueViolation: (error) => pgCode(error) === '23505',
  };

  return {
    dialect,
    read: (fn) => fn(inside.getStore() ?? poolExec),
    inTransaction: () => inside.getStore() !== undefined,
    async transaction<T>(fn: (exec: Executor) => Promise<T>): Promise<T> {
      const current = inside.getStore();
      if (current) {
        return fn(current);
      }
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw translate(error);
      }
      const exec = executorOf(client, upkeep, false);
      let broken = false;
      try {
        await exec.run('BEGIN');
        const result = await inside.run(exec, () => fn(exec));
        await exec.run('COMMIT');
        upkeep.afterCommit();
        return result;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw translate(error);
      } finally {
        client.release(broken);
      }
    },
    ping: async () => void (await poolExec.all('SELECT 1')),
    close: async () => {
      await upkeep.close();
      await pool.end();
    },
  };
}

async function migrate(pool: pg.Pool, schema: string | undefined, lockPrefix: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`${lockPrefix}migrate`]);
    try {
      if (schema) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      }
      await client.query(createMigrationsTable);
      const applied = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version),
      );
      for (const migration of loadMigrations('postgres')) {
        if (applied.has(migration.version)) {
          continue;
        }
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            new Date().toISOString(),
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`${lockPrefix}migrate`]);
    }
  } finally {
    client.release();
  }
}
