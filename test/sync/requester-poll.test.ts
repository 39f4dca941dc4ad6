// Requester-side polling (`Task?requester=<org>`): referrals a routed organisation sent to a
// clinic through the gateway live on the clinic's EHR as Tasks partOf the platform's Task.
// The clinic changes their status there; each poll brings the change back through the
// workflow (checked with the clinic as owner) to the originating organisation's own Task.
// Requester-side Tasks the gateway did not deliver are left alone.
import type { Bundle, Patient, ServiceRequest, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorName } from '../../src/sync/poller.ts';
import { createSyncEngine, type SyncEngine } from '../../src/sync/sync-engine.ts';
import { addPartner, caller, originatedReferralBundle } from '../e2e/support.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { startTestGateway, storeKinds, type TestGateway } from '../support/gateway.ts';

const FOOD_BANK = 'Organization/demo-food-bank';
// The clinic is not one of the organisations this EHR connection routes: nothing reaches it by the owner side.
const CLINIC = 'Organization/requester-side-clinic';
const EHR = 'requester-ehr';

describe.each(storeKinds())('requester-side polling on %s', (kind) => {
  let ehr: ReferenceEhr;
  let gw: TestGateway;
  let engine: SyncEngine;
  let call: ReturnType<typeof caller>;
  let foodBank: Record<string, string>;

  async function ehrPost<T>(resource: object): Promise<T> {
    const response = await fetch(new URL((resource as { resourceType: string }).resourceType, ehr.baseUrl), {
      method: 'POST',
      body: JSON.stringify(resource),
      headers: { 'content-type': 'application/fhir+json' },
    });
    expect(response.status).toBe(201);
    return (await response.json()) as T;
  }

  async function ehrPut(task: Task): Promise<Task> {
    const response = await fetch(new URL(`Task/${task.id}`, ehr.baseUrl), { method: 'PUT', body: JSON.stringify(task), headers: { 'content-type': 'application/fhir+json' } });
    expect(response.status).toBe(200);
    return (await response.json()) as Task;
  }

  /** The clinic's Task on its EHR for a referral the food bank sent (partOf the platform's Task when `platformTaskId` is given). */
  async function clinicTask(platformTaskId: string | undefined, n: string): Promise<Task> {
    const patient = await ehrPost<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:test:mrn', value: `req-${n}` }] });
    const sr = await ehrPost<ServiceRequest>({
      resourceType: 'ServiceRequest',
      status: 'active',
      intent: 'order',
      code: { coding: [{ system: 'http://snomed.info/sct', code: '464061000124106' }] },
      subject: { reference: `Patient/${patient.id}` },
      requester: { reference: FOOD_BANK },
    });
    return ehrPost<Task>({
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
      focus: { reference: `ServiceRequest/${sr.id}` },
      for: { reference: `Patient/${patient.id}` },
      requester: { reference: FOOD_BANK },
      owner: { reference: CLINIC },
      ...(platformTaskId ? { partOf: [{ reference: `${gw.base}Task/${platformTaskId}` }] } : {}),
    });
  }

  async function ownStatus(id: string): Promise<string | undefined> {
    return ((await call('GET', `Task/${id}`, undefined, foodBank)).body as Task).status;
  }

  beforeAll(async () => {
    ehr = await startReferenceEhr();
    gw = await startTestGateway(
      kind,
      {
        ehrs: [{ name: EHR, baseUrl: ehr.baseUrl, auth: { kind: 'none' }, organizations: [FOOD_BANK], pollSchedule: '0 6 * * 1-5', timeoutMs: 5_000 }],
        security: { urlAllowList: ['127.0.0.1'] } as never,
      },
      { schedules: false },
    );
    engine = createSyncEngine({ store: gw.store, rest: gw.rest, settings: gw.settings, ehrs: gw.config.ehrs, overlapMs: 60_000, backoff: { baseMs: 5, maxMs: 20 } });
    call = caller(gw);
    foodBank = { authorization: `Bearer ${await addPartner(gw, 'food-bank', FOOD_BANK)}` };
  });
  afterAll(async () => {
    await gw?.close();
    await ehr?.close();
  });

  describe('polls', () => {
    it("brings the clinic's status changes on a referral the food bank sent back to the food bank's own Task", async () => {
      const posted = await call('POST', '', originatedReferralBundle(FOOD_BANK, CLINIC, { referralId: 'REQ-SIDE-1' }), foodBank);
      expect(posted.status, JSON.stringify(posted.body).slice(0, 600)).toBe(200);
      const ownTaskId = ((posted.body as Bundle).entry?.[3].resource as Task).id ?? '';
      const platformTaskId = `o-food-bank-${ownTaskId}`.slice(0, 64);
      let onEhr = await clinicTask(platformTaskId, '1');
      // A Task on the EHR with the food bank as requester that did not come through the gateway.
      await clinicTask(undefined, 'foreign');

      const first = (await engine.runOnce()).ehrs[0].poll;
      expect(first.applied).toBe(1);
      expect(first.unmatched).toBe(1);
      expect(await gw.store.getCursor(cursorName(EHR, FOOD_BANK, 'requester'))).toBeDefined();
      expect(await ownStatus(ownTaskId)).toBe('requested');

      const seen: string[] = [];
      const counts = { applied: 0, refused: 0, retaken: 0 };
      for (const status of ['accepted', 'entered-in-error', 'in-progress', 'completed'] as const) {
        onEhr = await ehrPut({ ...onEhr, status, lastModified: new Date().toISOString() });
        const poll = (await engine.runOnce()).ehrs[0].poll;
        counts.applied += poll.applied;
        counts.refused += poll.refused;
        seen.push(`${status}->${await ownStatus(ownTaskId)}`);
        if (status === 'entered-in-error') {
          // Only the requester may enter a referral in error: the clinic's change is refused, the
          // food bank's Task keeps its status, and the clinic's next status is taken in.
          expect(poll.refused).toBe(1);
          onEhr = await ehrPut({ ...onEhr, status: 'accepted' });
          const retake = (await engine.runOnce()).ehrs[0].poll;
          counts.retaken += retake.applied + retake.unchanged;
        }
      }
      const again = (await engine.runOnce()).ehrs[0].poll;
      console.log(
        `requester side: EHR status -> food bank's Task: ${seen.join(', ')}; applied ${counts.applied}, refused ${counts.refused}; ` +
          `not the gateway's ${first.unmatched}; next run: ${again.duplicates} already seen, ${again.applied} applied`,
      );
      expect(seen).toEqual(['accepted->accepted', 'entered-in-error->accepted', 'in-progress->in-progress', 'completed->completed']);
      expect(counts).toEqual({ applied: 3, refused: 1, retaken: 1 });
      expect(again.applied).toBe(0);
      expect(again.duplicates).toBeGreaterThanOrEqual(1);
      // The Task that did not come through the gateway was never written to the platform's record.
      const copies = (await call('GET', `Task?requester=${FOOD_BANK}&_count=100`)).body as Bundle;
      expect((copies.entry ?? []).filter((e) => e.search?.mode === 'match' && (e.resource as Task).owner?.reference === CLINIC && !(e.resource as Task).partOf)).toHaveLength(1);
    });
  });
});
