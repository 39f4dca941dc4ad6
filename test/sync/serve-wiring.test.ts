// The running gateway syncs on its own when an EHR is configured: the poll schedule (here every
// second) takes a referral in, and closing the gateway stops the schedule and the worker loop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localIdOf } from '../../src/sync/ehr-tags.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { OWNER, seedReferral } from './harness.ts';

let ehr: ReferenceEhr;
let gateway: TestGateway;

beforeAll(async () => {
  ehr = await startReferenceEhr();
  gateway = await startTestGateway('sqlite', {
    ehrs: [{ name: 'wired', baseUrl: ehr.baseUrl, auth: { kind: 'none' }, organizations: [OWNER], pollSchedule: '* * * * * *', timeoutMs: 5_000 }],
    // The reference EHR listens on loopback, which the outbound URL rule refuses unless allow-listed.
    security: { urlAllowList: ['127.0.0.1'] } as TestGateway['config']['security'],
  });
});
afterAll(async () => {
  await gateway?.close();
  await ehr?.close();
});

describe('gateway serve with an EHR configured', () => {
  it('polls on its schedule and stops on close', async () => {
    expect(gateway.sync).toBeDefined();
    const task = await seedReferral(ehr, 'wired-1');
    const id = localIdOf('wired', 'Task', task.id ?? '');
    const until = Date.now() + 15_000;
    let found = false;
    while (!found && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      found = (await gateway.store.readResource('default', 'Task', id)) !== undefined;
    }
    console.log(`serve wiring: referral taken in by the schedule: ${found}`);
    expect(found).toBe(true);
  });
});
