// What the shared SQL code needs from a connection: parameterised queries written with `?`
// placeholders (the PostgreSQL adapter numbers them), plus the few places where the two
// dialects differ.

export type SqlValue = string | number | null;

export interface Executor {
  /** Runs a statement and returns its rows (a statement with RETURNING included). */
  all<R>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface Dialect {
  readonly kind: 'sqlite' | 'postgres';
  /** Row-locking suffix for a SELECT inside a transaction (`FOR UPDATE` on PostgreSQL). */
  readonly forUpdate: string;
  /** Suffix for claim queries, so concurrent workers skip each other's rows. */
  readonly skipLocked: string;
  /** Statement taking a transaction-scoped exclusive lock on a key; undefined when transactions are already exclusive. */
  readonly lockSql?: string;
  /** True when the error is a unique/primary key violation. */
  isUniqueViolation(error: unknown): boolean;
}

/** A connection-level runner: reads outside a transaction, and transactions. */
export interface Runner {
  readonly dialect: Dialect;
  read<T>(fn: (exec: Executor) => Promise<T>): Promise<T>;
  /** True when called from inside `transaction()` (or, on SQLite, while holding the connection). */
  inTransaction(): boolean;
  transaction<T>(fn: (exec: Executor) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
