// Issue 6: an organisation originates a referral to another organisation. It becomes an
// SDOHCC ServiceRequest + Task with the organisation as requester, reaches the target's inbox,
// and the target's answer comes back to the originator's own Task.
import type { Bundle, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { addPartner, caller, demoResource } from './support.ts';

describe('a referral originated by a community organisation', () => {
  let gw: TestGateway;
  let call: ReturnType<typeof caller>;
  let foodBank: Record<string, string>;
  let housing: Record<string, string>;

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    call = caller(gw);
    foodBank = { authorization: `Bearer ${await addPartner(gw, 'food-bank', 'Organization/demo-food-bank')}` };
    housing = { authorization: `Bearer ${await addPartner(gw, 'housing', 'Organization/demo-housing')}` };
  });
  afterAll(async () => {
    await gw?.close();
  });

  test('food bank -> housing: offered to housing under the consent gate, accepted, and the food bank sees it accepted', async () => {
    const patient = demoResource('Patient/demo-patient-1');
    delete patient.id;
    const consent = demoResource('Consent/demo-consent-2') as { id?: string; patient: { reference: string }; organization: { reference: string }[] };
    delete consent.id;
    consent.patient = { reference: 'urn:uuid:00000000-0000-4000-8000-000000000001' };
    consent.organization = [{ reference: 'Organization/demo-food-bank' }];
    const sr = demoResource('ServiceRequest/demo-sr-2') as { id?: string; subject: unknown; requester: unknown; supportingInfo: unknown; performer: unknown };
    delete sr.id;
    sr.subject = { reference: 'urn:uuid:00000000-0000-4000-8000-000000000001' };
    sr.requester = { reference: 'Organization/demo-food-bank' };
    sr.performer = [{ reference: 'Organization/demo-housing' }];
    sr.supportingInfo = [{ reference: 'urn:uuid:00000000-0000-4000-8000-000000000002' }];
    const task = demoResource('Task/demo-task-2') as Task;
    delete task.id;
    task.focus = { reference: 'urn:uuid:00000000-0000-4000-8000-000000000003' };
    task.for = { reference: 'urn:uuid:00000000-0000-4000-8000-000000000001' };
    task.requester = { reference: 'Organization/demo-food-bank' };
    task.owner = { reference: 'Organization/demo-housing' };
    const posted = await call(
      'POST',
      '',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001', resource: patient, request: { method: 'POST', url: 'Patient' } },
          { fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000002', resource: consent, request: { method: 'POST', url: 'Consent' } },
          { fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000003', resource: sr, request: { method: 'POST', url: 'ServiceRequest' } },
          { fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000004', resource: task, request: { method: 'POST', url: 'Task' } },
        ],
      },
      foodBank,
    );
    expect(posted.status, JSON.stringify(posted.body).slice(0, 800)).toBe(200);
    const ownTaskId = ((posted.body as Bundle).entry?.[3].resource as Task).id;

    // Housing, a FHIR-capable organisation here, finds it among its Tasks and accepts it.
    const offered = (await call('GET', 'Task?owner=Organization/demo-housing&status=requested', undefined, housing)).body as Bundle;
    const downstream = offered.entry?.find((e) => e.search?.mode === 'match')?.resource as Task;
    expect(downstream, JSON.stringify(offered).slice(0, 600)).toBeDefined();
    expect(downstream.requester?.reference).toBe('Organization/coordination-platform');
    const accepted = await call('PUT', `Task/${downstream.id}`, { ...downstream, status: 'accepted' }, housing);
    expect(accepted.status, JSON.stringify(accepted.body).slice(0, 600)).toBe(200);

    const own = (await call('GET', `Task/${ownTaskId}`, undefined, foodBank)).body as Task;
    expect(own.status).toBe('accepted');
  });
});
