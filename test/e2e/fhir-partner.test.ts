// Issue 6 end to end for an organisation with a FHIR client, for a rejection with its reason
// and a re-referral, and for tenant isolation of the partner API.
import type { Bundle, Procedure, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GatewayConfig } from '../../src/config/config.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { REFERRAL_1, addPartner, caller, demoResource, postReferral } from './support.ts';

describe('a FHIR-capable organisation on the coordination-platform API', () => {
  let gw: TestGateway;
  let foodBank: Record<string, string>;
  let housing: Record<string, string>;
  let call: ReturnType<typeof caller>;

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    call = caller(gw);
    foodBank = { authorization: `Bearer ${await addPartner(gw, 'food-bank', 'Organization/demo-food-bank')}` };
    housing = { authorization: `Bearer ${await addPartner(gw, 'housing', 'Organization/demo-housing')}` };
    expect(await postReferral(gw, REFERRAL_1)).toBe(200);
  });
  afterAll(async () => {
    await gw?.close();
  });

  test('accepts and completes through FHIR; the source Task closes the loop with the Procedure', async () => {
    const inbox = (await call('GET', 'Task?owner=Organization/demo-food-bank&status=requested&_include=Task:focus', undefined, foodBank)).body as Bundle;
    const task = inbox.entry?.find((e) => e.search?.mode === 'match')?.resource as Task;
    expect(task.partOf?.[0].reference).toContain('Task/demo-task-1');
    expect(inbox.entry?.some((e) => e.resource?.resourceType === 'ServiceRequest' && e.search?.mode === 'include')).toBe(true);

    const accepted = await call('PUT', `Task/${task.id}`, { ...task, status: 'accepted' }, { ...foodBank, 'if-match': `W/"${task.meta?.versionId}"` });
    expect(accepted.status).toBe(200);
    expect((await call('GET', 'Task/demo-task-1')).body.status).toBe('accepted');

    // The owner may change only status, statusReason and output (SDOHCC): a changed priority is refused.
    const meddling = await call('PUT', `Task/${task.id}`, { ...accepted.body, priority: 'stat' }, foodBank);
    expect(meddling.status).toBe(422);
    expect(JSON.stringify(meddling.body)).toContain('Task.priority');

    const procedure: Procedure = {
      resourceType: 'Procedure',
      meta: { profile: ['http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-Procedure'] },
      status: 'completed',
      category: { coding: [{ system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes', code: 'food-insecurity' }] },
      code: { coding: [{ system: 'http://snomed.info/sct', code: '467771000124109', display: 'Assistance with application for food pantry program' }] },
      subject: task.for as Procedure['subject'],
      performedDateTime: '2026-11-23T09:00:00Z',
      basedOn: [task.focus as { reference: string }],
    };
    const createdProcedure = await call('POST', 'Procedure', procedure, foodBank);
    expect(createdProcedure.status, JSON.stringify(createdProcedure.body).slice(0, 600)).toBe(201);
    const done = await call(
      'PUT',
      `Task/${task.id}`,
      {
        ...accepted.body,
        status: 'completed',
        output: [{ type: { coding: [{ system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes', code: 'resulting-activity' }] }, valueReference: { reference: `Procedure/${createdProcedure.body.id}` } }],
      },
      foodBank,
    );
    expect(done.status, JSON.stringify(done.body).slice(0, 600)).toBe(200);
    const source = (await call('GET', 'Task/demo-task-1')).body as Task;
    expect(source.status).toBe('completed');
    const copied = source.output?.find((o) => o.valueReference?.reference?.startsWith('Procedure/'))?.valueReference?.reference;
    expect((await call('GET', copied!)).body.code.coding[0].code).toBe('467771000124109');
  });

  test('the other organisation sees none of it: reads 404, writes 403', async () => {
    const theirs = (await call('GET', 'Task', undefined, housing)).body as Bundle;
    expect(theirs.entry ?? []).toHaveLength(0);
    const mirror = (await call('GET', 'Task?part-of=Task/demo-task-1')).body as Bundle;
    const id = mirror.entry?.[0]?.resource?.id;
    expect(id).toBeTruthy();
    expect((await call('GET', `Task/${id}`, undefined, housing)).status).toBe(404);
    expect((await call('PUT', `Task/${id}`, { resourceType: 'Task', id, status: 'cancelled', intent: 'order' }, housing)).status).toBe(403);
  });
});

describe('rejection with a reason, and re-referral to another organisation', () => {
  let gw: TestGateway;
  let call: ReturnType<typeof caller>;
  let foodBank: Record<string, string>;
  let housing: Record<string, string>;

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    call = caller(gw);
    foodBank = { authorization: `Bearer ${await addPartner(gw, 'food-bank', 'Organization/demo-food-bank')}`, 'content-type': 'application/json' };
    housing = { authorization: `Bearer ${await addPartner(gw, 'housing', 'Organization/demo-housing')}`, 'content-type': 'application/json' };
    expect(await postReferral(gw, REFERRAL_1)).toBe(200);
  });
  afterAll(async () => {
    await gw?.close();
  });

  test('the decline reason reaches the source Task; a new Task re-refers the same request elsewhere', async () => {
    const inbox = (await call('GET', 'partners/food-bank/referrals', undefined, foodBank)).body;
    const referralId = inbox.referrals[0].record.referralId as string;
    const declined = await call('POST', 'partners/food-bank/updates', { referralId, clientId: 'C-1', action: 'decline', reason: 'Outside our service area', updatedAt: '2026-11-23T10:00:00Z' }, foodBank);
    expect(declined.body.results[0]).toMatchObject({ status: 'applied', taskStatus: 'rejected' });
    const source = (await call('GET', 'Task/demo-task-1')).body as Task;
    expect(source.status).toBe('rejected');
    expect(source.statusReason?.text).toBe('Outside our service area');

    // Re-referral: the requester asks another organisation with a new Task for the same ServiceRequest,
    // after the client's consent names that organisation too (the consent gate checks the recipient).
    const consent = demoResource('Consent/demo-consent-1') as { provision: { actor: unknown[] } };
    consent.provision.actor.push({ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { reference: 'Organization/demo-housing' } });
    expect((await call('PUT', 'Consent/demo-consent-1', consent)).status).toBe(200);
    const again = { ...(demoResource('Task/demo-task-1') as Task), id: 'demo-task-1b', identifier: [{ system: 'urn:example:demo:referrals', value: 'REF-0001-B' }], owner: { reference: 'Organization/demo-housing' } };
    expect((await call('PUT', 'Task/demo-task-1b', again)).status).toBe(201);
    const housingInbox = (await call('GET', 'partners/housing/referrals', undefined, housing)).body;
    expect(housingInbox.referrals).toHaveLength(1);
    const accepted = await call('POST', 'partners/housing/updates', { referralId: housingInbox.referrals[0].record.referralId, clientId: 'C-1', action: 'accept', updatedAt: '2026-11-23T11:00:00Z' }, housing);
    expect(accepted.body.results[0]).toMatchObject({ status: 'applied', taskStatus: 'accepted' });
    expect((await call('GET', 'Task/demo-task-1b')).body.status).toBe('accepted');
    expect((await call('GET', 'Task/demo-task-1')).body.status).toBe('rejected');
  });

  test('without a Consent in force nothing is disclosed; revoking stops further disclosure', async () => {
    const consent = { ...demoResource('Consent/demo-consent-2'), status: 'inactive' };
    await call('PUT', 'Consent/demo-consent-2', consent);
    for (const ref of ['ServiceRequest/demo-sr-2']) {
      await call('PUT', ref, demoResource(ref));
    }
    const task2 = { ...(demoResource('Task/demo-task-2') as Task), owner: { reference: 'Organization/demo-housing' } };
    expect((await call('PUT', 'Task/demo-task-2', task2)).status).toBe(201);
    const inbox = (await call('GET', 'partners/housing/referrals', undefined, housing)).body;
    expect(inbox.referrals.map((r: { record: { referralId: string } }) => r.record.referralId)).toHaveLength(1);

    // Revoke the consent of the referral housing already holds: it leaves the inbox.
    const held = (await call('GET', 'Consent/demo-consent-1')).body;
    await call('PUT', 'Consent/demo-consent-1', { ...held, status: 'inactive' });
    expect((await call('GET', 'partners/housing/referrals', undefined, housing)).body.referrals).toHaveLength(0);
  });
});

describe('partner API isolation and its OpenAPI document', () => {
  let gw: TestGateway;
  let call: ReturnType<typeof caller>;
  let keys: Record<string, Record<string, string>>;

  beforeAll(async () => {
    gw = await startTestGateway('sqlite', { security: { rateLimit: { requestsPerMinute: 100_000, burst: 10_000 } } as GatewayConfig['security'] });
    call = caller(gw);
    keys = {
      'food-bank': { authorization: `Bearer ${await addPartner(gw, 'food-bank', 'Organization/demo-food-bank')}`, 'content-type': 'application/json' },
      housing: { authorization: `Bearer ${await addPartner(gw, 'housing', 'Organization/demo-housing')}`, 'content-type': 'application/json' },
    };
    expect(await postReferral(gw, REFERRAL_1)).toBe(200);
  });
  afterAll(async () => {
    await gw?.close();
  });

  test('random probes by one partner into the other: zero records, reads like a missing partner', async () => {
    const own = (await call('GET', 'partners/food-bank/referrals', undefined, keys['food-bank'])).body;
    const foreignId = own.referrals[0].record.referralId as string;
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let leaked = 0;
    const probes = 1000;
    for (let i = 0; i < probes; i++) {
      const pick = random();
      if (pick < 0.4) {
        const r = await call('GET', `partners/food-bank/referrals?limit=${1 + Math.floor(random() * 50)}`, undefined, keys.housing);
        expect(r.status).toBe(404);
      } else if (pick < 0.7) {
        const r = await call('GET', `partners/housing/referrals`, undefined, keys.housing);
        leaked += r.body.referrals.filter((x: { record: { referralId: string } }) => x.record.referralId === foreignId).length;
      } else {
        const r = await call('POST', 'partners/housing/updates', { referralId: foreignId, clientId: 'C', action: random() < 0.5 ? 'accept' : 'decline', reason: 'x', updatedAt: '2026-11-23T10:00:00Z' }, keys.housing);
        expect(r.body.results[0].status).toBe('rejected');
        expect(r.body.results[0].outcome.issue[0].code).toBe('not-found');
      }
    }
    console.log(`partner isolation: probes=${probes} cross_tenant_records=${leaked}`);
    expect(leaked).toBe(0);
    expect((await call('GET', 'Task/demo-task-1')).body.status).toBe('requested');
  });

  test('/openapi.json describes exactly the partner routes that answer', async () => {
    const doc = (await call('GET', 'openapi.json')).body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    for (const [template, operations] of Object.entries(doc.paths)) {
      for (const method of Object.keys(operations)) {
        const path = template.replace('{partner}', 'food-bank').slice(1);
        const r = await call(method.toUpperCase(), path, method === 'post' ? [] : undefined, keys['food-bank']);
        // The route answers (an empty batch of updates: 200; an empty referral: 400), with a documented status.
        expect(r.status, `${method} ${template}`).not.toBe(404);
        expect(Object.keys((operations[method] as { responses: Record<string, unknown> }).responses), `${method} ${template}`).toContain(String(r.status));
        const unauthenticated = await fetch(new URL(path, gw.base), { method: method.toUpperCase(), headers: { 'content-type': 'application/json' }, body: method === 'post' ? '[]' : undefined });
        expect([200, 401]).toContain(unauthenticated.status);
      }
    }
    expect(Object.keys(doc.paths).sort()).toEqual(['/partners/{partner}/care-plans', '/partners/{partner}/referrals', '/partners/{partner}/updates']);
  });
});
