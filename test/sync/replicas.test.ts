// Replica test (RELIABILITY.md scenario 12): two replicas (two store connections on one
// database) run the same node-cron schedule; every tick runs exactly once; a holder that
// stops renewing loses the lease to the other, whose fencing token is higher, and its own
// fence no longer passes. SQLite always; PostgreSQL when DATABASE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { createSyncScheduler, leaseName } from '../../src/sync/scheduler.ts';
import { dropSchema, postgresUrl, uniqueSchema } from '../store/open-test-store.ts';
import { storeKinds } from '../support/gateway.ts';

async function twoReplicas(kind: 'sqlite' | 'postgres'): Promise<{ stores: [Store, Store]; close: () => Promise<void> }> {
  if (kind === 'postgres') {
    const url = postgresUrl().url ?? '';
    const schema = uniqueSchema();
    const a = await openStore({ databaseUrl: url, dataDir: '.', schema });
    const b = await openStore({ databaseUrl: url, dataDir: '.', schema });
    const close = async (): Promise<void> => {
      await a.close();
      await b.close();
      await dropSchema(url, schema);
    };
    return { stores: [a, b], close };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'replicas-'));
  const a = await openStore({ dataDir: dir });
  const b = await openStore({ dataDir: dir });
  const close = async (): Promise<void> => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { stores: [a, b], close };
}

describe.each(storeKinds())('replicas on %s', (kind) => {
  it('every tick of a shared schedule runs exactly once; a lapsed holder loses the lease and its fence', async () => {
    const { stores, close } = await twoReplicas(kind);
    try {
      const runs = new Map<string, string[]>();
      let declined = 0;
      const schedulers = stores.map((store, i) =>
        createSyncScheduler({
          store,
          holder: `replica-${i}`,
          leaseTtlMs: 5_000,
          jobs: [{ name: 'poll-shared', schedule: '* * * * * *', run: async () => undefined }],
          onTick: (_job, tick, outcome) => {
            if (outcome === 'ran') {
              runs.set(tick, [...(runs.get(tick) ?? []), `replica-${i}`]);
            } else if (outcome === 'not-holder' || outcome === 'already-ran') {
              declined += 1;
            }
          },
        }),
      );
      schedulers.forEach((s) => s.start());
      await new Promise((r) => setTimeout(r, 3_500));
      await Promise.all(schedulers.map((s) => s.stop()));
      const counts = [...runs.values()].map((r) => r.length);
      console.log(`replicas (${kind}): ${runs.size} ticks, runs per tick ${JSON.stringify(counts)}, ${declined} firings declined by the other replica, by ${[...new Set([...runs.values()].flat())].join('+')}`);
      expect(runs.size).toBeGreaterThanOrEqual(2);
      expect(counts.every((c) => c === 1)).toBe(true);
      // Both replicas fired: the other one's firings were declined, not missing.
      expect(declined).toBeGreaterThanOrEqual(runs.size - 1);

      // The holder stops renewing (a paused or killed process): the lease moves, and its fence fails.
      const [a, b] = stores;
      const held = await a.acquireLease(leaseName('poll-moving'), 'replica-0', 200);
      expect(await b.acquireLease(leaseName('poll-moving'), 'replica-1', 5_000)).toBeUndefined();
      await new Promise((r) => setTimeout(r, 300));
      const moved = await b.acquireLease(leaseName('poll-moving'), 'replica-1', 5_000);
      console.log(`replicas (${kind}): lease moved from token ${held?.token} to ${moved?.token}`);
      expect(moved?.token).toBeGreaterThan(held?.token ?? Number.POSITIVE_INFINITY);
      expect(await a.checkFence(leaseName('poll-moving'), held?.token ?? 0)).toBe(false);
      expect(await b.checkFence(leaseName('poll-moving'), moved?.token ?? 0)).toBe(true);
    } finally {
      await close();
    }
  });
});
