// Gateway and EHR clocks 5 minutes apart either way (RELIABILITY.md scenario 16). The EHR's
// clock drives everything it says: the resources' lastUpdated, Bundle.meta.lastUpdated and the
// Date header. The poller takes its cursor from the EHR's time, so nothing is missed; the
// figure beside it is what a cursor from the gateway's own clock would have missed.
import type { Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorName } from '../../src/sync/poller.ts';
import { EHR_NAME, OWNER, localTask, seedReferral, startHarness, type Harness } from './harness.ts';

const OVERLAP_MS = 2_000;
const SKEW_MS = 5 * 60_000;

describe.each([
  ['ahead of', SKEW_MS],
  ['behind', -SKEW_MS],
])('EHR clock %s the gateway by 5 minutes', (_label, skew) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ engine: { pageSize: 3, overlapMs: OVERLAP_MS } });
    // Every search answer carries the EHR's skewed clock (Date header and Bundle.meta.lastUpdated).
    h.ehr.faults.add({ method: 'GET', path: /\/Task\?/, action: { kind: 'clock-skew', ms: skew } });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A referral as the skewed EHR stores it: its lastUpdated on the EHR's clock, `offsetMs` from the EHR's now. */
  async function skewedReferral(n: string, offsetMs = 0): Promise<Task> {
    const task = await seedReferral(h.ehr, `skew-${skew}-${n}`);
    const lastUpdated = new Date(Date.now() + skew + offsetMs).toISOString();
    return h.ehr.repo.withSeeding(() => h.ehr.repo.createResource({ ...task, meta: { versionId: `skew-${n}`, lastUpdated } }, undefined, true));
  }

  it('takes in every Task over several polls: zero misses, cursor on the EHR clock', async () => {
    const tasks: Task[] = [];
    for (let i = 0; i < 4; i++) {
      tasks.push(await skewedReferral(`a${i}`));
    }
    const localBefore = Date.now();
    await h.engine.runOnce();
    const cursor = await h.gateway.store.getCursor(cursorName(EHR_NAME, OWNER));
    // Written after the first poll: two at the EHR's now, one committed late with a time just before the cursor.
    const later = [await skewedReferral('b0'), await skewedReferral('b1'), await skewedReferral('late', -(OVERLAP_MS / 2) - (Date.now() - localBefore))];
    tasks.push(...later);
    await h.engine.runOnce();
    await h.engine.runOnce();
    let misses = 0;
    for (const task of tasks) {
      misses += (await localTask(h.gateway, task.id ?? '')) ? 0 : 1;
    }
    // A cursor from the gateway's clock at the first poll would have asked for _lastUpdated >= local time - overlap.
    const localCursor = localBefore - OVERLAP_MS;
    const localClockMisses = later.filter((t) => Date.parse(t.meta?.lastUpdated ?? '') < localCursor).length;
    const cursorOffset = Date.parse(cursor ?? '') - localBefore;
    console.log(`clock skew ${skew / 60_000} min: ${tasks.length} Tasks, misses ${misses}; cursor ${Math.round(cursorOffset / 1000)} s from the gateway's clock; a gateway-clock cursor would have missed ${localClockMisses}`);
    expect(misses).toBe(0);
    // The cursor follows the EHR's clock, not the gateway's.
    expect(Math.abs(cursorOffset - skew)).toBeLessThan(60_000);
    if (skew < 0) {
      expect(localClockMisses).toBe(later.length);
    }
  });
});
