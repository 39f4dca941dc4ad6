// Shared set-up of the end-to-end suites: a gateway, the demo referral data, partners with keys.
import { readFileSync } from 'node:fs';
import type { Bundle, Resource } from '@medplum/fhirtypes';
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
