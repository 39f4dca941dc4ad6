// Issue 6 end to end over real HTTP on loopback: the reference EHR holds an SDOHCC referral;
// the clinic side posts it to the gateway's FHIR API; the downstream Task appears in a partner's
// inbox in partner format; the partner accepts, then completes with a service delivered; the
// source Task reads completed with a Procedure output; every stored resource is valid.
import { readFileSync } from 'node:fs';
import type { Bundle, Procedure, Resource, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { newApiKey } from '../../src/security/api-keys.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';

const FHIR = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };
const seed = JSON.parse(readFileSync(new URL('../../examples/demo/referrals.json', import.meta.url), 'utf8')) as Bundle;

describe('closed-loop referral through the partner API', () => {
  let ehr: ReferenceEhr;
  let gw: TestGateway;
  let foodBankKey: string;
  let housingKey: string;

  beforeAll(async () => {
    ehr = await startReferenceEhr();
    const seeded = await fetch(ehr.baseUrl, { method: 'POST', headers: FHIR, body: JSON.stringify(seed) });
    expect(seeded.status).toBe(200);
    gw = await startTestGateway('sqlite');
    for (const [id, org, key] of [
      ['food-bank', 'Organization/demo-food-bank', newApiKey()],
      ['housing', 'Organization/demo-housing', newApiKey()],
    ] as const) {
      await gw.store.upsertPartner({ id, tenant: id, name: id, organization: org, mapping: 'referral', settings: {}, createdAt: new Date().toISOString() });
      await gw.store.addCredential({ id: `${id}-key`, partnerId: id, kind: 'api-key', secretHash: key.secretHash, lookup: key.lookup, scopes: ['system/*.cruds'], createdAt: new Date().toISOString() });
      if (id === 'food-bank') foodBankKey = key.key;
      else housingKey = key.key;
    }
  });
  afterAll(async () => {
    await gw?.close();
    await ehr?.close();
  });

  const gwCall = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(path, gw.base), { method, headers: { ...FHIR, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const asPartner = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

  test('the referral travels EHR -> gateway -> partner inbox -> accept -> complete -> source completed', async () => {
    // 1. The clinic side takes the referral from the EHR and posts it to the gateway (as a transaction).
    const ids = ['Organization/demo-clinic', 'Organization/demo-food-bank', 'Practitioner/demo-dr-okafor', 'PractitionerRole/demo-dr-okafor-role', 'Patient/demo-patient-1', 'Consent/demo-consent-1', 'ServiceRequest/demo-sr-1', 'Task/demo-task-1'];
    const fromEhr: Resource[] = [];
    for (const ref of ids) {
      const r = await fetch(new URL(ref, ehr.baseUrl), { headers: FHIR });
      expect(r.status).toBe(200);
      const { meta: _meta, ...resource } = (await r.json()) as Resource;
      fromEhr.push({ ...resource, meta: _meta?.profile ? { profile: _meta.profile } : undefined } as Resource);
    }
    const posted = await gwCall('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: fromEhr.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
    });
    expect(posted.status, JSON.stringify(posted.body).slice(0, 500)).toBe(200);

    // 2. The food bank's inbox holds it, in the partner format.
    const inbox = await gwCall('GET', 'partners/food-bank/referrals', undefined, asPartner(foodBankKey));
    expect(inbox.status).toBe(200);
    expect(inbox.body.referrals).toHaveLength(1);
    expect(inbox.body.referrals[0].outcome, JSON.stringify(inbox.body.referrals[0]).slice(0, 1500)).toBeUndefined();
    const record = inbox.body.referrals[0].record as { referralId: string; client?: { familyName?: string } };
    expect(record.referralId).toBeTruthy();
    expect(record.client?.familyName).toBe('Rivera');
    // The housing service sees nothing of it.
    const other = await gwCall('GET', 'partners/housing/referrals', undefined, asPartner(housingKey));
    expect(other.body.referrals.map((r: { record: { referralId: string } }) => r.record.referralId)).not.toContain(record.referralId);
    expect((await gwCall('GET', 'partners/food-bank/referrals', undefined, asPartner(housingKey))).status).toBe(404);

    // 3. Accept.
    const accept = await gwCall('POST', 'partners/food-bank/updates', { referralId: record.referralId, clientId: 'C-1', action: 'accept', updatedAt: '2026-11-21T10:00:00Z' }, asPartner(foodBankKey));
    expect(accept.status).toBe(200);
    expect(accept.body.results[0], JSON.stringify(accept.body)).toMatchObject({ status: 'applied', taskStatus: 'accepted' });
    expect((await gwCall('GET', 'Task/demo-task-1')).body.status).toBe('accepted');

    // 4. Complete, with a service delivered.
    const complete = await gwCall(
      'POST',
      'partners/food-bank/updates',
      [{ referralId: record.referralId, clientId: 'C-1', action: 'complete', updatedAt: '2026-11-22T10:00:00Z', servicesDelivered: [{ serviceId: 'SVC-1', code: 'food-pantry-application', date: '2026-11-22' }] }],
      asPartner(foodBankKey),
    );
    expect(complete.body.results[0], JSON.stringify(complete.body).slice(0, 1500)).toMatchObject({ status: 'applied', taskStatus: 'completed' });

    // 5. The source Task reads completed, with the Procedure as its resulting activity.
    const source = (await gwCall('GET', 'Task/demo-task-1')).body as Task;
    expect(source.status).toBe('completed');
    const output = source.output?.find((o) => o.valueReference?.reference?.startsWith('Procedure/'));
    expect(output).toBeDefined();
    const procedure = (await gwCall('GET', output!.valueReference!.reference!)).body as Procedure;
    expect(procedure.resourceType).toBe('Procedure');
    expect(procedure.status).toBe('completed');

    // 6. Every resource of the platform's record is valid against its profiles.
    for (const type of ['Task', 'ServiceRequest', 'Procedure', 'Patient', 'Consent']) {
      const bundle = (await gwCall('GET', `${type}?_count=100`)).body as Bundle;
      for (const entry of bundle.entry ?? []) {
        if (entry.search?.mode !== 'match') continue;
        const outcome = gw.conformance.validate(entry.resource);
        const errors = outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
        expect(errors, `${type}/${entry.resource?.id}: ${JSON.stringify(errors).slice(0, 600)}`).toEqual([]);
      }
    }
  });

  test('an illegal transition is refused per record, naming the rule, and nothing changes', async () => {
    const inbox = await gwCall('GET', 'partners/food-bank/referrals', undefined, asPartner(foodBankKey));
    const referralId = inbox.body.referrals[0].record.referralId as string;
    const result = await gwCall('POST', 'partners/food-bank/updates', [
      { referralId, clientId: 'C-1', action: 'accept', updatedAt: '2026-11-23T10:00:00Z' },
      { referralId: 'no-such-referral', clientId: 'C-1', action: 'accept', updatedAt: '2026-11-23T10:00:00Z' },
    ], asPartner(foodBankKey));
    expect(result.body.results[0].status).toBe('rejected');
    expect(JSON.stringify(result.body.results[0].outcome)).toContain('completed');
    expect(result.body.results[1].status).toBe('rejected');
    expect((await gwCall('GET', 'Task/demo-task-1')).body.status).toBe('completed');
  });
});
