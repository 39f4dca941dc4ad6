// Real FHIR clients, unmodified from npm, drive the gateway over HTTP (issue 5 evidence):
// fhir-kit-client and MedplumClient (@medplum/core). Writes carry SDOHCC profiles, so the
// gateway's write validation stays on throughout.
import { MedplumClient } from '@medplum/core';
import type { Bundle, Organization, Patient, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { Client, type FhirResource } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.ts';
import { organization, patient, referralTransaction, REFERRAL_SYSTEM, serviceRequest, task } from './referral-data.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway('sqlite');
});
afterAll(async () => {
  await gw?.close();
});

/** The HTTP status a client error carries (fhir-kit-client: error.response.status; Medplum: OperationOutcome code). */
function statusOf(error: unknown): number | undefined {
  return (error as { response?: { status?: number } }).response?.status;
}

async function seedReferrals(create: (r: Organization | Patient | ServiceRequest | Task) => Promise<{ id?: string }>, prefix: string, n: number) {
  const org = await create(organization(`${prefix} Food Bank`));
  const pat = await create(patient('Rivera', `${prefix}-mrn`));
  const tasks: string[] = [];
  for (let i = 0; i < n; i++) {
    const sr = await create(serviceRequest({ referral: `${prefix}-${i}`, patientRef: `Patient/${pat.id}`, performerRef: `Organization/${org.id}` }));
    const tk = await create(task({ referral: `${prefix}-${i}`, focusRef: `ServiceRequest/${sr.id}`, patientRef: `Patient/${pat.id}`, ownerRef: `Organization/${org.id}` }));
    tasks.push(tk.id!);
  }
  return { orgId: org.id!, patientId: pat.id!, tasks };
}

/** fhir-kit-client speaks its own loose FhirResource type; these casts bridge to @medplum/fhirtypes. */
function kit(client: InstanceType<typeof Client>) {
  const asKit = (r: Resource) => r as unknown as FhirResource;
  return {
    create: async <T extends Resource>(body: T, headers?: Record<string, string>) => (await client.create({ resourceType: body.resourceType, body: asKit(body), options: { headers } })) as unknown as T,
    read: async <T extends Resource>(resourceType: T['resourceType'], id: string) => (await client.read({ resourceType, id })) as unknown as T,
    update: async <T extends Resource & { id?: string }>(body: T, headers?: Record<string, string>) =>
      (await client.update({ resourceType: body.resourceType, id: body.id!, body: asKit(body), options: { headers } })) as unknown as T,
    search: async (resourceType: string, searchParams: Record<string, string | number>) => (await client.search({ resourceType, searchParams })) as unknown as Bundle,
    nextPage: async (bundle: Bundle) => {
      const next = client.nextPage({ bundle: bundle as unknown as FhirResource & { link: { relation: string; url: string }[] } });
      return next ? ((await next) as unknown as Bundle) : undefined;
    },
    transaction: async (body: Bundle) => (await client.transaction({ body: asKit(body) })) as unknown as Bundle,
  };
}

describe('fhir-kit-client', () => {
  let client: ReturnType<typeof kit>;
  beforeAll(() => {
    client = kit(new Client({ baseUrl: gw.base.replace(/\/$/, '') }));
  });
  const create = (r: Organization | Patient | ServiceRequest | Task) => client.create(r);

  test('create and read a Task; invalid writes are 422', async () => {
    const { orgId, patientId, tasks } = await seedReferrals(create, 'fkc-read', 1);
    const read = await client.read<Task>('Task', tasks[0]);
    expect(read.owner?.reference).toBe(`Organization/${orgId}`);
    expect(read.for?.reference).toBe(`Patient/${patientId}`);
    expect(read.meta?.versionId).toBe('1');
    const invalid = await client.create({ ...read, id: undefined, status: 'not-a-status' as Task['status'] }).catch((e: unknown) => e);
    expect(statusOf(invalid)).toBe(422);
  });

  test('search with paging (nextPage) and _include=Task:focus', async () => {
    const { orgId, tasks } = await seedReferrals(create, 'fkc-page', 5);
    const seen: string[] = [];
    const focusIncluded = new Set<string>();
    let page: Bundle | undefined = await client.search('Task', { owner: `Organization/${orgId}`, _count: 2, _include: 'Task:focus' });
    let pages = 0;
    while (page) {
      pages++;
      for (const entry of page.entry ?? []) {
        if (entry.search?.mode === 'match') seen.push(entry.resource!.id!);
        if (entry.search?.mode === 'include' && entry.resource?.resourceType === 'ServiceRequest') focusIncluded.add(entry.resource.id!);
      }
      page = await client.nextPage(page);
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...tasks].sort());
    expect(focusIncluded.size).toBe(5);
  });

  test('conditional create with If-None-Exist returns the existing resource', async () => {
    const body = patient('Okoye', 'fkc-cond-1');
    const headers = { 'If-None-Exist': 'identifier=urn:example:test:mrn|fkc-cond-1' };
    const first = await client.create(body, headers);
    const second = await client.create(body, headers);
    expect(second.id).toBe(first.id);
    const count = await client.search('Patient', { identifier: 'urn:example:test:mrn|fkc-cond-1', _summary: 'count' });
    expect(count.total).toBe(1);
  });

  test('versioned update with If-Match: the stale version gets 412', async () => {
    const { tasks } = await seedReferrals(create, 'fkc-ver', 1);
    const current = await client.read<Task>('Task', tasks[0]);
    const accepted = await client.update({ ...current, status: 'accepted' }, { 'If-Match': 'W/"1"' });
    expect(accepted.meta?.versionId).toBe('2');
    const stale = await client.update({ ...current, status: 'rejected' }, { 'If-Match': 'W/"1"' }).catch((e: unknown) => e);
    expect(statusOf(stale)).toBe(412);
    expect((await client.read<Task>('Task', current.id!)).status).toBe('accepted');
  });

  test('transaction Bundle with urn:uuid references', async () => {
    const response = await client.transaction(referralTransaction('fkc-tx', (n) => `urn:uuid:7c1f0000-0000-4000-8000-00000000000${n}`));
    expect(response.type).toBe('transaction-response');
    expect(response.entry?.map((e) => e.response?.status)).toEqual(['201', '201', '201', '201', '201']);
    const created = response.entry![4].resource as Task;
    const focusId = response.entry![3].resource!.id;
    expect(created.focus?.reference).toBe(`ServiceRequest/${focusId}`);
  });
});

describe('MedplumClient', () => {
  let medplum: MedplumClient;
  beforeAll(() => {
    medplum = new MedplumClient({ baseUrl: gw.base, fhirUrlPath: gw.base, fetch: (url: string | URL | Request, init?: RequestInit) => fetch(url, init), cacheTime: 0 });
  });

  test('create and read a referral Task', async () => {
    const { orgId, tasks } = await seedReferrals((r) => medplum.createResource(r), 'mp-read', 1);
    const read = await medplum.readResource('Task', tasks[0]);
    expect(read.owner?.reference).toBe(`Organization/${orgId}`);
    expect(read.meta?.profile).toEqual(['http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement']);
  });

  test('search pages (searchResourcePages) and _include=Task:focus (searchResources)', async () => {
    const { orgId, tasks } = await seedReferrals((r) => medplum.createResource(r), 'mp-page', 5);
    const pages: string[][] = [];
    for await (const page of medplum.searchResourcePages('Task', { owner: `Organization/${orgId}`, _count: '2' })) {
      pages.push(page.map((t) => t.id));
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual([...tasks].sort());
    const withFocus = await medplum.search('Task', { owner: `Organization/${orgId}`, _include: 'Task:focus' });
    const included = (withFocus.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => e.resource?.resourceType);
    expect(included).toEqual(['ServiceRequest', 'ServiceRequest', 'ServiceRequest', 'ServiceRequest', 'ServiceRequest']);
  });

  test('createResourceIfNoneExist makes one resource', async () => {
    const first = await medplum.createResourceIfNoneExist(patient('Mensah', 'mp-cond-1'), 'identifier=urn:example:test:mrn|mp-cond-1');
    const second = await medplum.createResourceIfNoneExist(patient('Mensah', 'mp-cond-1'), 'identifier=urn:example:test:mrn|mp-cond-1');
    expect(second.id).toBe(first.id);
    const all = await medplum.searchResources('Patient', { identifier: 'urn:example:test:mrn|mp-cond-1' });
    expect(all.length).toBe(1);
  });

  test('versioned update (If-Match): the second writer with the old version is refused', async () => {
    const { tasks } = await seedReferrals((r) => medplum.createResource(r), 'mp-ver', 1);
    const current = await medplum.readResource('Task', tasks[0]);
    const updated = await medplum.updateResource({ ...current, status: 'accepted' }, { headers: { 'If-Match': `W/"${current.meta?.versionId}"` } });
    expect(updated.meta?.versionId).toBe('2');
    const stale = await medplum.updateResource({ ...current, status: 'rejected' }, { headers: { 'If-Match': 'W/"1"' } }).then(
      () => 'accepted',
      (error: unknown) => (error as { outcome?: { issue?: { code?: string }[] } }).outcome?.issue?.[0]?.code,
    );
    expect(stale).toBe('conflict');
    const after = await medplum.readResource('Task', tasks[0], { cache: 'no-cache' });
    expect(after.status).toBe('accepted');
  });

  test('transaction Bundle (executeBatch) creates the whole referral', async () => {
    const response = await medplum.executeBatch(referralTransaction('mp-tx', (n) => `urn:uuid:7c1f0000-0000-4000-8000-00000000001${n}`));
    expect(response.entry?.map((e) => e.response?.status)).toEqual(['201', '201', '201', '201', '201']);
    const tasks = await medplum.searchResources('Task', { identifier: `${REFERRAL_SYSTEM}|mp-tx`, _include: 'Task:focus' });
    // searchResources lists every entry of the page, included resources too.
    expect(tasks.map((r) => r.resourceType).sort()).toEqual(['ServiceRequest', 'Task']);
    expect(tasks.bundle.entry?.find((e) => e.search?.mode === 'include')?.resource?.resourceType).toBe('ServiceRequest');
  });
});
