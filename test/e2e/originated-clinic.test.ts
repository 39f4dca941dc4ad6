// Issue 6: an organisation originates a referral to a clinic reached through an EHR. The
// referral (SDOHCC ServiceRequest + Task, the organisation as requester) is queued for the
// clinic's EHR in the same transaction, created there by the outbox deliverer (conditional
// creates by the gateway's identifier), taken back in by the sync engine's poller when the
// clinic changes it, checked with the clinic as owner, and its status reaches the
// originator's own Task. A referral whose Consent does not cover the clinic never leaves.
import type { Bundle, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GATEWAY_RESOURCE_ID } from '../../src/coordination/platform.ts';
import type { SyncEngine } from '../../src/sync/sync-engine.ts';
import type { ReferenceEhr } from '../support/reference-ehr.ts';
import { storeKinds, type TestGateway } from '../support/gateway.ts';
import { CLINIC, addPartner, caller, ehrRequest, originatedReferralBundle, resourcesSeen, startClinicGateway, validationErrors } from './support.ts';


describe.each(storeKinds())('a referral an organisation originates to a clinic (%s)', (kind) => {
  let ehr: ReferenceEhr;
  let gw: TestGateway;
  let engine: SyncEngine;
  let call: ReturnType<typeof caller>;
  let foodBank: Record<string, string>;

  const ehrCall = (method: string, path: string, body?: unknown) => ehrRequest(ehr, method, path, body);
  const ehrTasksFor = async (platformTaskId: string): Promise<Task[]> => {
    const found = await ehrCall('GET', `Task?identifier=${encodeURIComponent(`${GATEWAY_RESOURCE_ID}|Task/${platformTaskId}`)}`);
    return ((found.body as Bundle).entry ?? []).map((e) => e.resource as Task);
  };

  beforeAll(async () => {
    ({ ehr, gw, engine } = await startClinicGateway(kind));
    call = caller(gw);
    foodBank = { authorization: `Bearer ${await addPartner(gw, 'food-bank', 'Organization/demo-food-bank')}` };
  });
  afterAll(async () => {
    await gw?.close();
    await ehr?.close();
  });

  test('food bank -> clinic: created on the EHR once, the clinic accepts and completes there, the food bank reads it completed', async () => {
    const posted = await call('POST', '', originatedReferralBundle('Organization/demo-food-bank', CLINIC, { referralId: 'FB-CLINIC-1' }), foodBank);
    expect(posted.status, JSON.stringify(posted.body).slice(0, 800)).toBe(200);
    const ownTaskId = ((posted.body as Bundle).entry?.[3].resource as Task).id ?? '';
    const platformTaskId = `o-food-bank-${ownTaskId}`.slice(0, 64);
    // The platform's record holds it, with the food bank as requester and the clinic as owner.
    const platformTask = (await call('GET', `Task/${platformTaskId}`)).body as Task;
    expect(platformTask.requester?.reference).toBe('Organization/demo-food-bank');
    expect(platformTask.owner?.reference).toBe(CLINIC);

    // One outbox item for the clinic's EHR, written with the referral.
    const first = await engine.runOnce();
    expect(first.outbox.delivered).toBe(1);
    expect(first.outbox.buried + first.outbox.parked).toBe(0);
    const onEhr = await ehrTasksFor(platformTaskId);
    expect(onEhr).toHaveLength(1);
    const ehrTask = onEhr[0];
    expect(ehrTask.status).toBe('requested');
    expect(ehrTask.owner?.reference).toBe(CLINIC);
    expect(ehrTask.requester?.reference).toBe(`${gw.base}Organization/demo-food-bank`);
    expect(ehrTask.partOf?.[0].reference).toBe(`${gw.base}Task/${platformTaskId}`);
    // The ServiceRequest, Patient and Consent it needs are on the EHR, referenced there.
    const ehrSr = (await ehrCall('GET', ehrTask.focus?.reference ?? '')).body;
    expect(ehrSr.resourceType).toBe('ServiceRequest');
    const ehrPatient = (await ehrCall('GET', ehrTask.for?.reference ?? '')).body;
    expect(ehrPatient.resourceType).toBe('Patient');
    const consentRef = (ehrSr as { supportingInfo?: { reference?: string }[] }).supportingInfo?.[0].reference ?? '';
    expect(consentRef).toMatch(/^Consent\//);
    const ehrConsent = (await ehrCall('GET', consentRef)).body;
    expect((ehrConsent as { patient?: { reference?: string } }).patient?.reference).toBe(ehrTask.for?.reference);

    // The poller takes the EHR's Task in (still requested: nothing changes for the food bank).
    const second = await engine.runOnce();
    expect(second.ehrs[0].poll.applied).toBeGreaterThanOrEqual(1);
    expect(second.ehrs[0].poll.refused).toBe(0);
    expect(((await call('GET', `Task/${ownTaskId}`, undefined, foodBank)).body as Task).status).toBe('requested');

    // The clinic accepts on its EHR; the next poll brings the answer to the food bank.
    const accepted = await ehrCall('PUT', `Task/${ehrTask.id}`, { ...ehrTask, status: 'accepted', lastModified: new Date().toISOString() });
    expect(accepted.status).toBe(200);
    const third = await engine.runOnce();
    expect(third.ehrs[0].poll.refused).toBe(0);
    expect(((await call('GET', `Task/${platformTaskId}`)).body as Task).status).toBe('accepted');
    expect(((await call('GET', `Task/${ownTaskId}`, undefined, foodBank)).body as Task).status).toBe('accepted');

    // ... then completes it.
    const current = (await ehrCall('GET', `Task/${ehrTask.id}`)).body as Task;
    expect((await ehrCall('PUT', `Task/${ehrTask.id}`, { ...current, status: 'completed', lastModified: new Date().toISOString() })).status).toBe(200);
    const fourth = await engine.runOnce();
    expect(fourth.ehrs[0].poll.refused).toBe(0);
    expect(((await call('GET', `Task/${ownTaskId}`, undefined, foodBank)).body as Task).status).toBe('completed');

    // Another run creates nothing more on the EHR.
    await engine.runOnce();
    expect(await ehrTasksFor(platformTaskId)).toHaveLength(1);

    // Every resource involved is valid against its profiles: the platform's record, the food
    // bank's own, and what was created on the EHR.
    const resources = await resourcesSeen(call, ['Task', 'ServiceRequest', 'Patient', 'Consent'], [{}, foodBank]);
    const ehrSide = [(await ehrCall('GET', `Task/${ehrTask.id}`)).body, ehrSr, ehrPatient, ehrConsent];
    expect(resources.length).toBeGreaterThanOrEqual(8);
    expect(validationErrors(gw, [...resources, ...ehrSide])).toEqual([]);
  });

  test('the clinic is the owner on its EHR: a change to what only the requester may change is refused, its next status goes through', async () => {
    const posted = await call('POST', '', originatedReferralBundle('Organization/demo-food-bank', CLINIC, { referralId: 'FB-CLINIC-3' }), foodBank);
    expect(posted.status).toBe(200);
    const ownTaskId = ((posted.body as Bundle).entry?.[3].resource as Task).id ?? '';
    const platformTaskId = `o-food-bank-${ownTaskId}`.slice(0, 64);
    await engine.runOnce(); // created on the EHR
    await engine.runOnce(); // taken in
    const [ehrTask] = await ehrTasksFor(platformTaskId);
    expect(ehrTask.status).toBe('requested');

    // Accepting and raising the priority at once: priority is the requester's, so the whole change is refused.
    const changed = await ehrCall('PUT', `Task/${ehrTask.id}`, { ...ehrTask, status: 'accepted', priority: 'stat', lastModified: new Date().toISOString() });
    expect(changed.status).toBe(200);
    const refused = await engine.runOnce();
    expect(refused.ehrs[0].poll.refused).toBe(1);
    expect(((await call('GET', `Task/${ownTaskId}`, undefined, foodBank)).body as Task).status).toBe('requested');

    // The clinic accepts without touching the priority: taken in, relayed.
    const current = (await ehrCall('GET', `Task/${ehrTask.id}`)).body as Task;
    expect((await ehrCall('PUT', `Task/${ehrTask.id}`, { ...current, priority: ehrTask.priority, lastModified: new Date().toISOString() })).status).toBe(200);
    const applied = await engine.runOnce();
    expect(applied.ehrs[0].poll.refused).toBe(0);
    expect(((await call('GET', `Task/${ownTaskId}`, undefined, foodBank)).body as Task).status).toBe('accepted');
  });

  test('the originator withdraws the referral: the cancellation is pushed to the clinic EHR with its reason', async () => {
    const posted = await call('POST', '', originatedReferralBundle('Organization/demo-food-bank', CLINIC, { referralId: 'FB-CLINIC-4' }), foodBank);
    expect(posted.status).toBe(200);
    const own = (posted.body as Bundle).entry?.[3].resource as Task;
    const platformTaskId = `o-food-bank-${own.id}`.slice(0, 64);
    await engine.runOnce(); // created on the EHR
    const [ehrTask] = await ehrTasksFor(platformTaskId);
    expect((await ehrCall('PUT', `Task/${ehrTask.id}`, { ...ehrTask, status: 'accepted', lastModified: new Date().toISOString() })).status).toBe(200);
    await engine.runOnce(); // taken in, accepted
    const current = (await call('GET', `Task/${own.id}`, undefined, foodBank)).body as Task;
    expect(current.status).toBe('accepted');

    const withdrawn = await call('PUT', `Task/${own.id}`, { ...current, status: 'cancelled', statusReason: { text: 'Client found help elsewhere' } }, foodBank);
    expect(withdrawn.status, JSON.stringify(withdrawn.body).slice(0, 600)).toBe(200);
    const pushed = await engine.runOnce();
    expect(pushed.outbox).toMatchObject({ delivered: 1, buried: 0, parked: 0 });
    const [onEhr] = await ehrTasksFor(platformTaskId);
    expect(onEhr.status).toBe('cancelled');
    expect(onEhr.statusReason?.text).toBe('Client found help elsewhere');
    // Taking the EHR's new version back in changes nothing and refuses nothing.
    const after = await engine.runOnce();
    expect(after.ehrs[0].poll.refused).toBe(0);
    expect(after.outbox.claimed).toBe(0);
    expect(((await call('GET', `Task/${own.id}`, undefined, foodBank)).body as Task).status).toBe('cancelled');
  });

  test('the clinic declines on its EHR with a reason: the originator reads rejected, with the reason', async () => {
    const posted = await call('POST', '', originatedReferralBundle('Organization/demo-food-bank', CLINIC, { referralId: 'FB-CLINIC-5' }), foodBank);
    expect(posted.status).toBe(200);
    const ownTaskId = ((posted.body as Bundle).entry?.[3].resource as Task).id ?? '';
    await engine.runOnce();
    const [ehrTask] = await ehrTasksFor(`o-food-bank-${ownTaskId}`.slice(0, 64));
    const declined = { ...ehrTask, status: 'rejected' as const, statusReason: { text: 'Not accepting new social-work clients this month' }, lastModified: new Date().toISOString() };
    expect((await ehrCall('PUT', `Task/${ehrTask.id}`, declined)).status).toBe(200);
    const run = await engine.runOnce();
    expect(run.ehrs[0].poll.refused).toBe(0);
    const own = (await call('GET', `Task/${ownTaskId}`, undefined, foodBank)).body as Task;
    expect(own.status).toBe('rejected');
    expect(own.statusReason?.text).toBe('Not accepting new social-work clients this month');
  });

  test('a clinic may not be referred to when the Consent does not cover it: nothing reaches the EHR', async () => {
    const posted = await call('POST', '', originatedReferralBundle('Organization/demo-food-bank', CLINIC, { referralId: 'FB-CLINIC-2', recipient: 'Organization/demo-housing' }), foodBank);
    expect(posted.status).toBe(200);
    const ownTaskId = ((posted.body as Bundle).entry?.[3].resource as Task).id ?? '';
    const run = await engine.runOnce();
    expect(run.outbox.claimed).toBe(0);
    expect(await ehrTasksFor(`o-food-bank-${ownTaskId}`.slice(0, 64))).toHaveLength(0);
    expect(((await call('GET', `Task/${ownTaskId}`, undefined, foodBank)).body as Task).status).toBe('requested');
  });
});
