// Polling cursors against the reference EHR over HTTP (RELIABILITY.md scenarios 7 and 15):
// Tasks sharing one lastUpdated across page breaks plus a late commit with an earlier
// timestamp (zero misses), and a page that fails to apply (cursor not advanced past it).
import type { Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cursorName } from '../../src/sync/poller.ts';
import { EHR_NAME, OWNER, localTask, seedReferral, startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ engine: { pageSize: 3 } });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.ehr.faults.clear();
});

/** Re-stores an EHR Task with a chosen lastUpdated (as a server whose transaction committed late would show it). */
async function stamp(task: Task, lastUpdated: string, versionId: string): Promise<Task> {
  return h.ehr.repo.withSeeding(() => h.ehr.repo.createResource({ ...task, meta: { versionId, lastUpdated } }, undefined, true));
}

async function missing(tasks: Task[]): Promise<number> {
  let count = 0;
  for (const task of tasks) {
    const local = await localTask(h.gateway, task.id ?? '');
    count += local ? 0 : 1;
  }
  return count;
}

describe('poll cursors', () => {
  it('same lastUpdated across page breaks and a late commit: zero misses', async () => {
    const shared = new Date(Date.now() - 1_000).toISOString();
    const tasks: Task[] = [];
    for (let i = 0; i < 7; i++) {
      tasks.push(await stamp(await seedReferral(h.ehr, `same-ts-${i}`), shared, `s${i}`));
    }
    const first = await h.engine.runOnce();
    const cursor = await h.gateway.store.getCursor(cursorName(EHR_NAME, OWNER));
    // A transaction that began before the poll commits after it, stamped before the cursor.
    const late = await stamp(await seedReferral(h.ehr, 'late-commit'), new Date(Date.parse(cursor ?? '') - 500).toISOString(), 'late1');
    const second = await h.engine.runOnce();
    const misses = await missing([...tasks, late]);
    console.log(`same-timestamp: ${first.ehrs[0].poll.pages} pages of 3 for 7 Tasks sharing one lastUpdated, late commit taken in by the overlap window: ${second.ehrs[0].poll.applied === 1}; misses ${misses}`);
    expect(first.ehrs[0].poll.pages).toBeGreaterThanOrEqual(3);
    expect(second.ehrs[0].poll.applied).toBe(1);
    expect(misses).toBe(0);
  });

  it('a page that fails to apply leaves the cursor before it; the next poll takes everything', async () => {
    const name = cursorName(EHR_NAME, OWNER);
    await h.engine.runOnce();
    const before = await h.gateway.store.getCursor(name);
    const tasks: Task[] = [];
    for (let i = 0; i < 5; i++) {
      tasks.push(await seedReferral(h.ehr, `fail-page-${i}`));
    }
    // The 5th Task (second page) cannot be applied: its ServiceRequest cannot be read.
    const failing = tasks[4];
    h.ehr.faults.add({ method: 'GET', path: new RegExp(`/ServiceRequest/${failing.focus?.reference?.split('/')[1]}`), action: { kind: 'status', status: 503 } });
    await expect(h.engine.runOnce()).rejects.toThrow();
    const after = await h.gateway.store.getCursor(name);
    const notApplied = await localTask(h.gateway, failing.id ?? '');
    console.log(`failed page: cursor moved ${before} -> ${after}, failing Task lastUpdated ${failing.meta?.lastUpdated}, applied: ${notApplied !== undefined}`);
    expect(notApplied).toBeUndefined();
    expect(Date.parse(after ?? '')).toBeLessThanOrEqual(Date.parse(failing.meta?.lastUpdated ?? ''));
    h.ehr.faults.clear();
    await h.engine.runOnce();
    expect(await missing(tasks)).toBe(0);
    expect(Date.parse((await h.gateway.store.getCursor(name)) ?? '')).toBeGreaterThan(Date.parse(failing.meta?.lastUpdated ?? ''));
  });
});
