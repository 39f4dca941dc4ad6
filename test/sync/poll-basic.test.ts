// Taking referrals in from the reference EHR over HTTP: copies, dedup, cursor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorName } from '../../src/sync/poller.ts';
import { ehrVersionOf } from '../../src/sync/ehr-tags.ts';
import { EHR_NAME, OWNER, localTask, seedReferral, startHarness, type Harness } from './harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('poll', () => {
  it('takes a referral in with its ServiceRequest and Patient copies, then recognises it', async () => {
    const task = await seedReferral(h.ehr, 'basic-1');
    const first = await h.engine.runOnce();
    console.log('first poll', JSON.stringify(first));
    expect(first.ehrs[0].poll.applied).toBe(1);
    const local = await localTask(h.gateway, task.id ?? '');
    expect(local?.task.status).toBe('requested');
    expect(ehrVersionOf(local?.task)).toEqual({ resourceType: 'Task', id: task.id, versionId: task.meta?.versionId });
    expect(local?.task.focus?.reference).toMatch(/^ServiceRequest\/copy-/);
    expect(await h.gateway.store.getCursor(cursorName(EHR_NAME, OWNER))).toBeDefined();
    const second = await h.engine.runOnce();
    expect(second.ehrs[0].poll.applied).toBe(0);
    expect(second.ehrs[0].poll.duplicates).toBe(1);
  });
});
