// The store's operator views of the outbox (summarizeOutbox, readOutboxItem, listOutboxByKeys)
// on SQLite and on a fresh PostgreSQL schema, and the Connections figures computed from them:
// depth, delivered, dead, and the share of finished attempts that failed.
import { afterEach, describe, expect, it } from 'vitest';
import { outboxFigures } from '../../src/console/connections.ts';
import type { Store } from '../../src/store/store.ts';
import { openTestPostgres, openTestSqlite, postgresUrl } from '../store/open-test-store.ts';

const kinds: ['sqlite' | 'postgres', () => Promise<Store>][] = [['sqlite', () => openTestSqlite()]];
const url = postgresUrl().url;
if (url) kinds.push(['postgres', () => openTestPostgres(url)]);

describe.each(kinds)('outbox views on %s', (_kind, open) => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('summarises items and attempts per destination and state', async () => {
    const s = (store = await open());
    const enqueue = (destination: string, key: string) => s.enqueue({ destination, orderingKey: key, reason: 'source-task-changed', payload: { tenant: 'default', resourceType: 'Task', id: key } });
    const delivered = await enqueue('ehr:a', 'Task/1');
    const retriedThenDelivered = await enqueue('ehr:a', 'Task/2');
    const dead = await enqueue('ehr:a', 'Task/3');
    const waiting = await enqueue('ehr:a', 'Task/4');
    const webhook = await enqueue('webhook:p', 'Task/5');
    const past = new Date(Date.now() - 1000).toISOString();

    // Round 1: claim all of ehr:a's keys; deliver 1, fail 2 and 4 (retry), bury 3.
    const first = await s.claim('w', 10, 60_000);
    expect(first.map((i) => i.id).sort()).toEqual([delivered.id, retriedThenDelivered.id, dead.id, waiting.id, webhook.id].sort());
    for (const item of first) {
      if (item.id === delivered.id) await s.complete(item.id, 'w');
      else if (item.id === dead.id) await s.bury(item.id, 'w', 'gave up');
      else if (item.destination === 'ehr:a') await s.retry(item.id, 'w', 'HTTP 503', item.id === waiting.id ? new Date(Date.now() + 3_600_000).toISOString() : past);
    }
    // Round 2: item 2 is due again and delivered; the webhook item stays in flight.
    const second = await s.claim('w', 10, 60_000);
    expect(second.map((i) => i.id)).toEqual([retriedThenDelivered.id]);
    await s.complete(retriedThenDelivered.id, 'w');

    const summaries = await s.summarizeOutbox();
    const ehr = summaries.find((x) => x.destination === 'ehr:a');
    expect(ehr).toMatchObject({ pending: 1, inFlight: 0, done: 2, dead: 1, attempts: { pending: 1, inFlight: 0, done: 3, dead: 1 } });
    expect(Date.parse(ehr?.newestDoneCreatedAt ?? '')).toBe(Date.parse(retriedThenDelivered.createdAt));
    expect(summaries.find((x) => x.destination === 'webhook:p')).toMatchObject({ pending: 0, inFlight: 1, done: 0, dead: 0 });

    // Failed attempts: pending 1 + dead 1 + (done 3 - 2) = 3; finished = 3 failed + 2 delivered.
    expect(outboxFigures(ehr)).toMatchObject({ depth: 1, delivered: 2, dead: 1, failedAttempts: 3, errorRate: 3 / 5 });
    // An in-flight item's running attempt is not a failure.
    expect(outboxFigures(summaries.find((x) => x.destination === 'webhook:p'))).toMatchObject({ depth: 1, failedAttempts: 0, errorRate: null });
    expect(outboxFigures(undefined)).toMatchObject({ depth: 0, errorRate: null });

    const read = await s.readOutboxItem(waiting.id);
    expect(read).toMatchObject({ id: waiting.id, state: 'pending', attempts: 1, lastError: 'HTTP 503', orderingKey: 'Task/4' });
    expect(read && 'payload' in read).toBe(false);
    expect(await s.readOutboxItem('00000000-0000-4000-8000-000000000000')).toBeUndefined();

    const byKeys = await s.listOutboxByKeys(['Task/1', 'Task/3', 'Task/5', 'Task/1'], 10);
    expect(byKeys.map((i) => [i.orderingKey, i.destination, i.state])).toEqual([
      ['Task/1', 'ehr:a', 'done'],
      ['Task/3', 'ehr:a', 'dead'],
      ['Task/5', 'webhook:p', 'in-flight'],
    ]);
    expect(await s.listOutboxByKeys(['Task/1', 'Task/3'], 1)).toHaveLength(1);
    expect(await s.listOutboxByKeys([], 10)).toEqual([]);
  });
});
