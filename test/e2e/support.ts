// Shared set-up of the end-to-end suites: a gateway, the demo referral data, partners with keys.
import { readFileSync } from 'node:fs';
import type { Bundle, Consent, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { newApiKey } from '../../src/security/api-keys.ts';
import { createSyncEngine, type SyncEngine } from '../../src/sync/sync-engine.ts';
import { startTestGateway, type StoreKind, type TestGateway } from '../support/gateway.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';

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

/** The demo clinic, reached through the reference EHR of `startClinicGateway`. */
export const CLINIC = 'Organization/demo-clinic';

/** A FHIR request to the reference EHR, answered as status and resource. */
export async function ehrRequest(ehr: ReferenceEhr, method: string, path: string, body?: unknown): Promise<{ status: number; body: Resource }> {
  const response = await fetch(new URL(path, ehr.baseUrl), { method, headers: FHIR, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Resource };
}

/**
 * The reference EHR holding the demo referrals as the clinic's EHR ('clinic-ehr', routing
 * CLINIC, no schedules), a gateway on `kind`, and its sync engine for `gateway sync --once`
 * cycles run in-process.
 */
export async function startClinicGateway(kind: StoreKind): Promise<{ ehr: ReferenceEhr; gw: TestGateway; engine: SyncEngine }> {
  const ehr = await startReferenceEhr();
  const seeded = await ehrRequest(ehr, 'POST', '', demoBundle);
  if (seeded.status !== 200) throw new Error(`seeding the reference EHR answered ${seeded.status}`);
  const gw = await startTestGateway(
    kind,
    {
      ehrs: [{ name: 'clinic-ehr', baseUrl: ehr.baseUrl, auth: { kind: 'none' }, organizations: [CLINIC], pollSchedule: '0 6 * * 1-5', timeoutMs: 5_000 }],
      security: { urlAllowList: ['127.0.0.1'] } as never,
    },
    { schedules: false },
  );
  const engine = createSyncEngine({ store: gw.store, rest: gw.rest, settings: gw.settings, ehrs: gw.config.ehrs, overlapMs: 60_000, backoff: { baseMs: 5, maxMs: 20 } });
  return { ehr, gw, engine };
}

/** Every resource of these types each caller (request headers; `{}` for the platform) finds by search. */
export async function resourcesSeen(call: ReturnType<typeof caller>, types: readonly string[], callers: readonly Record<string, string>[]): Promise<Resource[]> {
  const resources: Resource[] = [];
  for (const type of types) {
    for (const headers of callers) {
      const bundle = (await call('GET', `${type}?_count=200`, undefined, headers)).body as Bundle;
      resources.push(...(bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource as Resource));
    }
  }
  return resources;
}
