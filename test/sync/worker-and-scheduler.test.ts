// The outbox worker's decisions (retry with backoff, dead letter after maxAttempts with the
// reason, parking, one bad item not blocking others, order per key) and the scheduler's once
// per tick across two replicas sharing one store, with fencing.
import type { OutboxItem } from '../../src/store/store.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboxWorker, type Deliverer } from '../../src/sync/outbox-worker.ts';
import { createSyncScheduler } from '../../src/sync/scheduler.ts';
import { openTestSqlite } from '../store/open-test-store.ts';
import type { Store } from '../../src/store/store.ts';

let store: Store;

beforeAll(async () => {
  store = await openTestSqlite();
});
afterAll(async () => {
  await store?.close();
});

describe('outbox worker', () => {
  it('retries, buries after maxAttempts with the reason, parks, and keeps order per key without blocking others', async () => {
    const delivered: string[] = [];
    const deliverer: Deliverer = {
      async deliver(item: OutboxItem) {
        const payload = item.payload as { n: string };
        if (payload.n === 'bad') {
          throw new Error('always fails');
        }
        if (payload.n === 'park') {
          return { kind: 'parked', reason: 'transition not allowed' };
        }
        delivered.push(payload.n);
        return { kind: 'delivered' };
      },
    };
    let clock = Date.now();
    const worker = createOutboxWorker({ store, deliverers: new Map([['test:*', deliverer]]), maxAttempts: 3, backoff: { baseMs: 1, maxMs: 2 }, now: () => clock });
    await store.enqueue({ destination: 'test:a', orderingKey: 'Task/bad', reason: 'r', payload: { n: 'bad' } });
    await store.enqueue({ destination: 'test:a', orderingKey: 'Task/park', reason: 'r', payload: { n: 'park' } });
    for (let i = 0; i < 5; i++) {
      await store.enqueue({ destination: 'test:a', orderingKey: 'Task/ordered', reason: 'r', payload: { n: `o${i}` } });
    }
    await store.enqueue({ destination: 'elsewhere', orderingKey: 'Task/none', reason: 'r', payload: { n: 'x' } });
    for (let round = 0; round < 30; round++) {
      clock += 10;
      await new Promise((r) => setTimeout(r, 5));
      await worker.drain();
    }
    const dead = await store.listDeadLetters({ limit: 10 });
    console.log(`worker: delivered ${delivered.join(',')}; dead letters ${dead.map((d) => `${d.orderingKey}(${d.attempts}): ${d.error}`).join(' | ')}`);
    expect(delivered).toEqual(['o0', 'o1', 'o2', 'o3', 'o4']);
    const byKey = new Map(dead.map((d) => [d.orderingKey, d]));
    expect(byKey.get('Task/bad')?.attempts).toBe(3);
    expect(byKey.get('Task/bad')?.error).toMatch(/^gave up after 3 attempts/);
    expect(byKey.get('Task/park')?.error).toBe('parked: transition not allowed');
    expect(byKey.get('Task/park')?.attempts).toBe(1);
    expect(byKey.get('Task/none')?.error).toMatch(/no deliverer/);
    // A requeued dead letter is delivered again.
    const again = await store.requeueDeadLetter(byKey.get('Task/park')?.id ?? '');
    expect(again?.state).toBe('pending');
  });
});

describe('scheduler', () => {
  it('two replicas firing the same ticks run each tick once; a stale fence cannot write', async () => {
    const runs: { replica: string; tick: number; token: number }[] = [];
    const make = (replica: string) =>
      createSyncScheduler({
        store,
        holder: replica,
        jobs: [
          {
            name: 'poll-x',
            schedule: '*/15 * * * *',
            run: async (fence) => {
              runs.push({ replica, tick: runs.length, token: fence.token });
              await new Promise((r) => setTimeout(r, 5));
            },
          },
        ],
      });
    const a = make('replica-a');
    const b = make('replica-b');
    const ticks = 10;
    const base = Date.parse('2026-11-23T08:00:00Z');
    const outcomes: string[] = [];
    for (let i = 0; i < ticks; i++) {
      const at = new Date(base + i * 15 * 60_000);
      // Both replicas fire for the same tick, in either order, some at the same moment.
      const results = await Promise.all(i % 2 ? [a.tick('poll-x', at), b.tick('poll-x', at)] : [b.tick('poll-x', at), a.tick('poll-x', at)]);
      outcomes.push(...results);
    }
    const ran = outcomes.filter((o) => o === 'ran').length;
    console.log(`scheduler: ${ticks} ticks fired on 2 replicas, runs ${ran}, by ${[...new Set(runs.map((r) => r.replica))].join('+')}`);
    expect(ran).toBe(ticks);
    expect(runs).toHaveLength(ticks);
    // Fencing: a token taken before the lease changed hands is no longer current.
    const first = await store.acquireLease('fence-test', 'one', 1);
    await new Promise((r) => setTimeout(r, 10));
    const second = await store.acquireLease('fence-test', 'two', 60_000);
    expect(second?.token).toBeGreaterThan(first?.token ?? 0);
    expect(await store.checkFence('fence-test', first?.token ?? 0)).toBe(false);
  });
});
