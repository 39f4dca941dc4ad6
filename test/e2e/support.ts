// Shared set-up of the end-to-end suites: a gateway, the demo referral data, partners with keys.
import { readFileSync } from 'node:fs';
import type { Bundle, Consent, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { newApiKey } from '../../src/security/api-keys.ts';
import type { TestGateway } from '../support/gateway.ts';

export const FHIR = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };

export const demoBundle = JSON.parse(readFileSync(new URL('../../examples/demo/referrals.json', import.meta.url), 'utf8')) as Bundle;

export function demoResource(ref: string): Resource {
  const found = demoBundle.entry?.find((e) => `${e.resource?.resourceType}/${e.resource?.id}` === ref)?.resource;
  if (!found) throw new Error(`no ${ref} in the demo data`);
  return structuredClone(found);
}

/** Registers a partner with an API key; returns the key. */
export async function addPartner(gw: TestGateway, id: string, organization: string): Promise<string> {
  const key = newApiKey();
  const now = new Date().toISOString();
  await gw.store.upsertPartner({ id, tenant: id, name: id, organization, mapping: 'referral', settings: {}, createdAt: now });
  await gw.store.addCredential({ id: `${id}-key`, partnerId: id, kind: 'api-key', secretHash: key.secretHash, lookup: key.lookup, scopes: ['system/*.cruds'], createdAt: now });
  return key.key;
}

export function caller(gw: TestGateway) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(path, gw.base), { method, headers: { ...FHIR, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
}

/** Posts the clinic's referral resources (by reference) to the gateway as one transaction. */
export async function postReferral(gw: TestGateway, refs: string[]): Promise<number> {
  const entries = refs.map((ref) => {
    const resource = demoResource(ref);
    return { resource, request: { method: 'PUT', url: ref } };
  });
  const result = await caller(gw)('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: entries });
  return result.status;
}

export const REFERRAL_1 = ['Organization/demo-clinic', 'Organization/demo-food-bank', 'Organization/demo-housing', 'Practitioner/demo-dr-okafor', 'PractitionerRole/demo-dr-okafor-role', 'Patient/demo-patient-1', 'Consent/demo-consent-1', 'ServiceRequest/demo-sr-1', 'Task/demo-task-1'];

/**
 * A referral an organisation originates through the FHIR API (a transaction of Patient,
 * Consent, ServiceRequest and Task, with the organisation as requester). The Consent names
 * `recipient` as the information recipient (default: the target).
 */
export function originatedReferralBundle(from: string, to: string, options: { recipient?: string; referralId?: string } = {}): Bundle {
  const uuid = (n: number) => `urn:uuid:00000000-0000-4000-8000-00000000000${n}`;
  const patient = demoResource('Patient/demo-patient-1');
  delete patient.id;
  const consent = demoResource('Consent/demo-consent-2') as Consent;
  delete consent.id;
  consent.patient = { reference: uuid(1) };
  consent.organization = [{ reference: from }];
  consent.provision = { ...consent.provision, actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { reference: options.recipient ?? to } }] };
  const sr = demoResource('ServiceRequest/demo-sr-2') as ServiceRequest;
  delete sr.id;
  sr.subject = { reference: uuid(1) };
  sr.requester = { reference: from };
  sr.performer = [{ reference: to }];
  sr.supportingInfo = [{ reference: uuid(2) }];
  const task = demoResource('Task/demo-task-2') as Task;
  delete task.id;
  task.identifier = [{ system: 'urn:example:originator:referrals', value: options.referralId ?? 'ORIG-1' }];
  task.focus = { reference: uuid(3) };
  task.for = { reference: uuid(1) };
  task.requester = { reference: from };
  task.owner = { reference: to };
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: uuid(1), resource: patient, request: { method: 'POST', url: 'Patient' } },
      { fullUrl: uuid(2), resource: consent, request: { method: 'POST', url: 'Consent' } },
      { fullUrl: uuid(3), resource: sr, request: { method: 'POST', url: 'ServiceRequest' } },
      { fullUrl: uuid(4), resource: task, request: { method: 'POST', url: 'Task' } },
    ],
  };
}

/** Every error of validating these resources against the profiles they claim, as `Type/id: text`. */
export function validationErrors(gw: TestGateway, resources: readonly Resource[]): string[] {
  return resources.flatMap((resource) =>
    gw.conformance
      .validate(resource)
      .issue.filter((i) => i.severity === 'error' || i.severity === 'fatal')
      .map((i) => `${resource.resourceType}/${resource.id}: ${i.details?.text ?? i.diagnostics ?? i.code} at ${i.expression?.join(',') ?? ''}`),
  );
}
