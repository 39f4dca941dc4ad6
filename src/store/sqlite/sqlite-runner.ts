// SQLite through Node's built-in node:sqlite (synchronous). One connection per store; every
// operation and transaction is serialised through a mutex so that a transaction awaiting
// between statements never interleaves with other work on the connection. Open one store
// per file per process: a second connection in the same process would block the event loop
// in SQLite's busy handler while the first one waits to commit. Separate processes share a
// file safely (WAL, BEGIN IMMEDIATE, busy_timeout).
// https://sqlite.org/wal.html, https://sqlite.org/lang_transaction.html (BEGIN IMMEDIATE)
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { OperationOutcomeError } from '../../fhir/errors.ts';
import { unavailable } from '../../fhir/outcomes.ts';
import { createMigrationsTable, loadMigrations } from '../migrations/load.ts';
import type { Dialect, Executor, Runner, SqlValue } from '../sql/executor.ts';
import { Mutex } from './mutex.ts';

const STATEMENT_CACHE_SIZE = 500;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

function sqliteCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code : undefined;
}

export const sqliteDialect: Dialect = {
  kind: 'sqlite',
  forUpdate: '',
  skipLocked: '',
  isUniqueViolation(error) {
    const code = sqliteCode(error);
    return code === SQLITE_CONSTRAINT_PRIMARYKEY || code === SQLITE_CONSTRAINT_UNIQUE;
  },
};

/** Busy/locked after the busy timeout: a transient condition, reported as 503 without details. */
function translate(error: unknown): unknown {
  const code = sqliteCode(error);
  if (code !== undefined && ((code & 0xff) === SQLITE_BUSY || (code & 0xff) === SQLITE_LOCKED)) {
    return new OperationOutcomeError(unavailable('The database is busy; try again'), { cause: error });
  }
  return error;
}

export interface SqliteOptions {
  file: string;
  busyTimeoutMs?: number;
}

export function openSqliteRunner(options: SqliteOptions): Runner {
  if (options.file !== ':memory:') {
    mkdirSync(path.dirname(options.file), { recursive: true });
  }
  const db = new DatabaseSync(options.file, { enableForeignKeyConstraints: true });
  const busyTimeout = options.busyTimeoutMs ?? 5000;
  db.exec(`PRAGMA busy_timeout = ${Math.trunc(busyTimeout)}`);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA foreign_keys = ON');
  // SQLite's default page cache is 2 MB, sized for embedded devices: a server reading index
  // then table pages at random pays a system call per page beyond it. 64 MB of cache (taken
  // as pages are read) and reads through a memory map of up to 1 GB (address space, not
  // memory) made the 100,000-referral report's table read three times faster.
  db.exec('PRAGMA cache_size = -65536');
  db.exec('PRAGMA mmap_size = 1073741824');
  migrate(db);
  // https://sqlite.org/pragma.html#pragma_optimize: on open for long-lived connections, and on close.
  db.exec('PRAGMA optimize = 0x10002');

  const statements = new Map<string, StatementSync>();
  const prepare = (sql: string): StatementSync => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= STATEMENT_CACHE_SIZE) {
        statements.clear();
      }
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const exec: Executor = {
    async all<R>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> {
      try {
        return prepare(sql).all(...params) as R[];
      } catch (error) {
        throw translate(error);
      }
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      try {
        return Number(prepare(sql).run(...params).changes);
      } catch (error) {
        throw translate(error);
      }
    },
  };

  const mutex = new Mutex();
  const inside = new AsyncLocalStorage<true>();
  let closed = false;

  const serialised = <T>(fn: () => Promise<T>): Promise<T> => {
    if (inside.getStore()) {
      // Already holding the connection (called from inside a transaction): join it.
      return fn();
    }
    if (closed) {
      return Promise.reject(new OperationOutcomeError(unavailable('The store is closed')));
    }
    return mutex.run(() => inside.run(true, fn));
  };

  return {
    dialect: sqliteDialect,
    read: (fn) => serialised(() => fn(exec)),
    inTransaction: () => inside.getStore() === true,
    transaction: <T>(fn: (exec: Executor) => Promise<T>): Promise<T> => {
      if (inside.getStore() && db.isTransaction) {
        return fn(exec);
      }
      const inTransaction = async (): Promise<T> => {
        try {
          db.exec('BEGIN IMMEDIATE');
        } catch (error) {
          throw translate(error);
        }
        try {
          const result = await fn(exec);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.isTransaction) {
            db.exec('ROLLBACK');
          }
          throw translate(error);
        }
      };
      return serialised(inTransaction);
    },
    ping: () => serialised(async () => void prepare('SELECT 1').get()),
    close: () =>
      mutex.run(async () => {
        if (!closed) {
          closed = true;
          db.exec('PRAGMA optimize');
          db.close();
        }
      }),
  };
}

/** Applies pending migrations inside one BEGIN IMMEDIATE, so two processes opening at once take turns. */
function migrate(db: DatabaseSync): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(createMigrationsTable);
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((row) => row.version),
    );
    const insert = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of loadMigrations('sqlite')) {
      if (!applied.has(migration.version)) {
        db.exec(migration.sql);
        insert.run(migration.version, migration.name, new Date().toISOString());
      }
    }
    db.exec('COMMIT');
  } catch (error) {
    if (db.isTransaction) {
      db.exec('ROLLBACK');
    }
    throw translate(error);
  }
}
