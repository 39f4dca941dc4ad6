// Issue 6: an organisation without FHIR originates a referral in its own format
// (POST /partners/{partner}/referrals, its referral mapping partner -> FHIR), to another
// organisation's inbox or to a clinic's EHR, and follows its status in its own feed
// (GET /partners/{partner}/referrals?role=requester). Over real HTTP on loopback, with the
// reference EHR as the clinic's EHR; every resource valid against its profiles.
import { readFileSync } from 'node:fs';
import type { Bundle, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GATEWAY_RESOURCE_ID } from '../../src/coordination/platform.ts';
import type { SyncEngine } from '../../src/sync/sync-engine.ts';
import type { ReferenceEhr } from '../support/reference-ehr.ts';
import { storeKinds, type TestGateway } from '../support/gateway.ts';
import { CLINIC, addPartner, caller, ehrRequest, resourcesSeen, startClinicGateway, validationErrors } from './support.ts';

const record = JSON.parse(readFileSync(new URL('../../mappings/referral/tests/originated-by-organization.partner.json', import.meta.url), 'utf8')) as Record<string, unknown>;

interface Referral {
  referralId: string;
  status: string;
  assignedTo?: { id: string; name: string };
  referringOrganization?: { id: string; name: string };
  client?: { familyName?: string };
}

describe.each(storeKinds())('referrals originated in a partner format (%s)', (kind) => {
  let ehr: ReferenceEhr;
  let gw: TestGateway;
  let engine: SyncEngine;
  let call: ReturnType<typeof caller>;
  const keys: Record<string, Record<string, string>> = {};

  const as = (partner: string) => ({ ...keys[partner], 'content-type': 'application/json' });
  const originate = (partner: string, body: unknown) => call('POST', `partners/${partner}/referrals`, body, as(partner));
  const feed = async (partner: string, role?: string): Promise<Referral[]> => {
    const r = await call('GET', `partners/${partner}/referrals${role ? `?role=${role}` : ''}`, undefined, as(partner));
    expect(r.status, JSON.stringify(r.body).slice(0, 400)).toBe(200);
    const items = r.body.referrals as ({ record: Referral } | { taskId: string; outcome: unknown })[];
    for (const item of items) expect('record' in item, JSON.stringify(item).slice(0, 800)).toBe(true);
    return items.map((i) => (i as { record: Referral }).record);
  };
  const ehrCall = (method: string, path: string, body?: unknown) => ehrRequest(ehr, method, path, body);

  beforeAll(async () => {
    ({ ehr, gw, engine } = await startClinicGateway(kind));
    call = caller(gw);
    for (const [id, org] of [['food-bank', 'Organization/demo-food-bank'], ['housing', 'Organization/demo-housing']]) {
      keys[id] = { authorization: `Bearer ${await addPartner(gw, id, org)}` };
    }
  });
  afterAll(async () => {
    await gw?.close();
    await ehr?.close();
  });

  test('food bank -> housing: routed to the inbox, answered there, the answer in the food bank feed', async () => {
    const referral = { ...record, assignedTo: { id: 'demo-housing', name: 'Harbor Housing Services' } };
    const posted = await originate('food-bank', referral);
    expect(posted.status, JSON.stringify(posted.body).slice(0, 800)).toBe(201);
    expect(posted.body).toMatchObject({ referralId: 'FB-2026-0007', taskStatus: 'requested', route: 'inbox', created: true });
    // The same referralId again: nothing new.
    const again = await originate('food-bank', referral);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ referralId: 'FB-2026-0007', taskId: posted.body.taskId, created: false });

    // The originator's Task over FHIR: the food bank is the requester, housing the owner.
    const own = (await call('GET', `Task/${posted.body.taskId}`, undefined, keys['food-bank'])).body as Task;
    expect(own.requester?.reference).toBe('Organization/demo-food-bank');
    expect(own.owner?.reference).toBe('Organization/demo-housing');

    // Housing's inbox holds it in the partner format, naming the food bank as referrer.
    const offered = await feed('housing');
    expect(offered).toHaveLength(1);
    expect(offered[0].client?.familyName).toBe('Lopez');
    expect(offered[0].referringOrganization?.id).toBe('demo-food-bank');
    expect(offered[0].status).toBe('new');
    // The food bank's own inbox does not list what it sent; its requester feed does.
    expect(await feed('food-bank')).toHaveLength(0);
    const sent = await feed('food-bank', 'requester');
    expect(sent.map((r) => [r.referralId, r.status, r.assignedTo?.id])).toEqual([['FB-2026-0007', 'new', 'demo-housing']]);

    // Housing accepts, then completes with a service delivered; the food bank sees each.
    const accept = await call('POST', 'partners/housing/updates', { referralId: offered[0].referralId, clientId: 'C-9', action: 'accept', updatedAt: new Date().toISOString() }, as('housing'));
    expect(accept.body.results[0], JSON.stringify(accept.body).slice(0, 800)).toMatchObject({ status: 'applied', taskStatus: 'accepted' });
    expect((await feed('food-bank', 'requester')).map((r) => r.status)).toEqual(['accepted']);
    const complete = await call(
      'POST',
      'partners/housing/updates',
      { referralId: offered[0].referralId, clientId: 'C-9', action: 'complete', updatedAt: new Date().toISOString(), servicesDelivered: [{ serviceId: 'SVC-9', code: 'social-work', date: new Date().toISOString().slice(0, 10) }] },
      as('housing'),
    );
    expect(complete.body.results[0], JSON.stringify(complete.body).slice(0, 800)).toMatchObject({ status: 'applied', taskStatus: 'completed' });
    expect((await feed('food-bank', 'requester')).map((r) => r.status)).toEqual(['completed']);
    expect(((await call('GET', `Task/${posted.body.taskId}`, undefined, keys['food-bank'])).body as Task).status).toBe('completed');
  });

  test('food bank -> clinic: created on the clinic EHR, the clinic accepts there, the food bank feed says accepted', async () => {
    const referral = { ...record, referralId: 'FB-2026-0008', assignedTo: { id: 'demo-clinic', name: 'Riverside Family Clinic' } };
    const posted = await originate('food-bank', referral);
    expect(posted.status, JSON.stringify(posted.body).slice(0, 800)).toBe(201);
    expect(posted.body).toMatchObject({ referralId: 'FB-2026-0008', taskStatus: 'requested', route: 'ehr' });
    const platformTaskId = `o-food-bank-${posted.body.taskId}`.slice(0, 64);

    const first = await engine.runOnce();
    expect(first.outbox).toMatchObject({ delivered: 1, buried: 0, parked: 0 });
    const found = (await ehrCall('GET', `Task?identifier=${encodeURIComponent(`${GATEWAY_RESOURCE_ID}|Task/${platformTaskId}`)}`)).body as Bundle;
    expect(found.entry).toHaveLength(1);
    const ehrTask = found.entry?.[0].resource as Task;
    expect(ehrTask.owner?.reference).toBe(CLINIC);
    await engine.runOnce(); // the poller takes the EHR's Task in

    expect((await ehrCall('PUT', `Task/${ehrTask.id}`, { ...ehrTask, status: 'accepted', lastModified: new Date().toISOString() })).status).toBe(200);
    const polled = await engine.runOnce();
    expect(polled.ehrs[0].poll.refused).toBe(0);
    const sent = await feed('food-bank', 'requester');
    expect(sent.find((r) => r.referralId === 'FB-2026-0008')).toMatchObject({ status: 'accepted', assignedTo: { id: 'demo-clinic' } });

    // Every resource of the platform's record and of the food bank's tenant is valid.
    const resources = await resourcesSeen(call, ['Task', 'ServiceRequest', 'Patient', 'Consent', 'Condition', 'Procedure'], [{}, keys['food-bank'], keys.housing]);
    expect(resources.length).toBeGreaterThanOrEqual(15);
    expect(validationErrors(gw, resources)).toEqual([]);
  });

  test('the originator withdraws a referral through its case updates: the target sees it cancelled with the reason', async () => {
    const posted = await originate('food-bank', { ...record, referralId: 'FB-2026-0009', assignedTo: { id: 'demo-housing', name: 'Harbor Housing Services' } });
    expect(posted.status).toBe(201);
    const withdrawn = await call('POST', 'partners/food-bank/updates', { referralId: 'FB-2026-0009', clientId: 'FB-C-311', action: 'cancel', reason: 'Client moved to another county', updatedAt: new Date().toISOString() }, as('food-bank'));
    expect(withdrawn.body.results[0], JSON.stringify(withdrawn.body).slice(0, 800)).toMatchObject({ status: 'applied', taskStatus: 'cancelled' });
    const atHousing = (await feed('housing')).filter((r) => r.status === 'cancelled');
    expect(atHousing).toHaveLength(1);
    expect((await feed('food-bank', 'requester')).find((r) => r.referralId === 'FB-2026-0009')?.status).toBe('cancelled');
    // Housing can no longer accept it.
    const late = await call('POST', 'partners/housing/updates', { referralId: atHousing[0].referralId, clientId: 'C-9', action: 'accept', updatedAt: new Date().toISOString() }, as('housing'));
    expect(late.body.results[0].status).toBe('rejected');
  });

  test('bad originations are refused with the reason, and nothing is stored', async () => {
    const before = ((await call('GET', 'Task?_summary=count', undefined, keys['food-bank'])).body as Bundle).total;
    const cases: [unknown, number, RegExp][] = [
      [{ ...record, referralId: 'X-1', assignedTo: { id: 'nobody', name: 'Nobody' } }, 422, /delivers to/],
      [{ ...record, referralId: 'X-2', assignedTo: { id: 'demo-food-bank', name: 'Itself' } }, 422, /refer to itself/],
      [{ ...record, referralId: 'X-3', assignedTo: undefined }, 400, /assignedTo\.id/],
      [{ ...record, referralId: 'X-4', consent: undefined, assignedTo: { id: 'demo-housing', name: 'H' } }, 422, /Consent gate/],
      [{ ...record, referralId: 'X-5', status: 'accepted', assignedTo: { id: 'demo-housing', name: 'H' } }, 422, /starts with status/],
      [{ ...record, referralId: 'X-6', client: { id: 'C-1' }, assignedTo: { id: 'demo-housing', name: 'H' } }, 400, /givenName|client/],
    ];
    for (const [body, status, text] of cases) {
      const r = await originate('food-bank', body);
      expect(r.status, JSON.stringify(r.body).slice(0, 600)).toBe(status);
      expect(r.body.resourceType).toBe('OperationOutcome');
      expect(JSON.stringify(r.body.issue)).toMatch(text);
    }
    // Another partner's path answers as if it did not exist.
    expect((await call('POST', 'partners/housing/referrals', record, as('food-bank'))).status).toBe(404);
    expect(((await call('GET', 'Task?_summary=count', undefined, keys['food-bank'])).body as Bundle).total).toBe(before);
    expect((await call('GET', 'partners/food-bank/referrals?role=someone', undefined, as('food-bank'))).status).toBe(400);
  });
});
