// One Store over either runner: every operation is the same SQL on both dialects; writes
// run in a transaction of their own unless called inside `transaction()`.
import type { Resource } from '@medplum/fhirtypes';
import { auditAppender } from './audit-appender.ts';
import type { Indexer, Store, StoreOps } from './store.ts';
import type { Executor, Runner } from './sql/executor.ts';
import { auditOps } from './ops/audit.ts';
import { coordinationOps } from './ops/coordination.ts';
import { type OpsContext, lockKeys } from './ops/context.ts';
import { outboxOps } from './ops/outbox.ts';
import { outboxViewOps } from './ops/outbox-views.ts';
import { partnerOps } from './ops/partners.ts';
import { referralFactsOps } from './ops/referral-facts.ts';
import { resourceOps } from './ops/resources.ts';
import { searchOps } from './ops/search.ts';
import { subscriptionOps } from './ops/subscriptions.ts';

export interface SqlStoreOptions {
  indexer?: Indexer;
  /** Epoch milliseconds; tests may move time. Default Date.now. */
  now?: () => number;
}

function opsOn(exec: Executor, runner: Runner, options: SqlStoreOptions): StoreOps {
  const ctx: OpsContext = { exec, dialect: runner.dialect, indexer: options.indexer, now: options.now ?? Date.now };
  return {
    ...resourceOps(ctx),
    ...searchOps(ctx),
    ...outboxOps(ctx),
    ...outboxViewOps(ctx),
    ...coordinationOps(ctx),
    ...auditOps(ctx),
    ...partnerOps(ctx),
    ...referralFactsOps(ctx),
    ...subscriptionOps(ctx),
    lock: (key: string): Promise<void> => lockKeys(ctx, [key]),
  };
}

type OpName = keyof StoreOps;

/** Operations that only read, and so need no transaction of their own. */
const reads: ReadonlySet<OpName> = new Set<OpName>([
  'readResource',
  'readVersion',
  'readHistory',
  'search',
  'readMany',
  'findReferencing',
  'listDeadLetters',
  'countOutbox',
  'summarizeOutbox',
  'readOutboxItem',
  'listOutboxByKeys',
  'getCursor',
  'getSubscriptionChannel',
  'hasSubscriptionEvent',
  'lastSubscriptionContact',
  'checkFence',
  'readAudit',
  'getPartner',
  'listPartners',
  'findCredentials',
  'listCredentials',
  'readReportProjection',
]);

export function createSqlStore(runner: Runner, options: SqlStoreOptions = {}): Store {
  const ops = {} as Record<OpName, (...args: never[]) => Promise<unknown>>;
  const probe = opsOn({ all: async () => [], run: async () => 0 }, runner, options);
  for (const name of Object.keys(probe) as OpName[]) {
    const run = reads.has(name) ? runner.read.bind(runner) : runner.transaction.bind(runner);
    ops[name] = (...args: never[]) =>
      run((exec: Executor) => (opsOn(exec, runner, options)[name] as (...a: never[]) => Promise<unknown>)(...args));
  }
  // Audit appends outside a transaction are written in groups (audit-appender.ts); inside one
  // they belong to it.
  const appender = auditAppender(runner, options.now ?? Date.now);
  const appendInTransaction = ops.appendAudit as StoreOps['appendAudit'];
  ops.appendAudit = ((tenant: string, event: Resource) =>
    runner.inTransaction() ? appendInTransaction(tenant, event) : appender.append(tenant, event)) as (typeof ops)['appendAudit'];
  return {
    ...(ops as unknown as StoreOps),
    kind: runner.dialect.kind,
    transaction: <T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> => runner.transaction((exec) => fn(opsOn(exec, runner, options))),
    ping: () => runner.ping(),
    close: () => runner.close(),
  };
}
