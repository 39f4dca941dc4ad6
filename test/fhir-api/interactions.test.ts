// FHIR R4 http.html interactions over real HTTP, on SQLite and (when configured) PostgreSQL.
import type { Bundle, OperationOutcome, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, storeKinds, type TestGateway } from '../support/gateway.ts';

const FHIR = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };

describe.each(storeKinds())('FHIR interactions on %s', (kind) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(kind);
  });
  afterAll(async () => {
    await gw?.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(new URL(path, gw.base), { method, headers: { ...FHIR, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };

  const patient = (family: string, mrn: string): Patient => ({
    resourceType: 'Patient',
    identifier: [{ system: 'urn:example:mrn', value: mrn }],
    name: [{ family, given: ['Test'] }],
    gender: 'female',
    birthDate: '1980-05-01',
  });

  test('create answers 201 with Location, ETag and Last-Modified; read returns the same', async () => {
    const created = await call('POST', 'Patient', patient('Alvarez', 'mrn-1'));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`${gw.base}Patient/${id}/_history/1`);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.headers.get('last-modified')).toBeTruthy();
    expect(created.body.meta.versionId).toBe('1');
    const read = await call('GET', `Patient/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
  });

  test('update with the right If-Match makes version 2; a stale one gets 412 and changes nothing', async () => {
    const { body: p } = await call('POST', 'Patient', patient('Bekele', 'mrn-2'));
    const v2 = await call('PUT', `Patient/${p.id}`, { ...p, gender: 'male' }, { 'if-match': 'W/"1"' });
    expect(v2.status).toBe(200);
    expect(v2.headers.get('etag')).toBe('W/"2"');
    const stale = await call('PUT', `Patient/${p.id}`, { ...p, gender: 'other' }, { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    expect((await call('GET', `Patient/${p.id}`)).body.gender).toBe('male');
  });

  test('vread and instance history show every version', async () => {
    const { body: p } = await call('POST', 'Patient', patient('Chen', 'mrn-3'));
    await call('PUT', `Patient/${p.id}`, { ...p, gender: 'male' });
    const v1 = await call('GET', `Patient/${p.id}/_history/1`);
    expect(v1.body.gender).toBe('female');
    const history = (await call('GET', `Patient/${p.id}/_history`)).body as Bundle;
    expect(history.type).toBe('history');
    expect(history.entry?.map((e) => e.response?.etag)).toEqual(['W/"2"', 'W/"1"']);
  });

  test('conditional create: a second create with the same criteria returns the first resource', async () => {
    const headers = { 'if-none-exist': 'identifier=urn:example:mrn|mrn-4' };
    const first = await call('POST', 'Patient', patient('Diallo', 'mrn-4'), headers);
    const second = await call('POST', 'Patient', patient('Diallo', 'mrn-4'), headers);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
  });

  test('conditional update creates, then updates the match', async () => {
    const created = await call('PUT', 'Patient?identifier=urn:example:mrn|mrn-5', patient('Eze', 'mrn-5'));
    expect(created.status).toBe(201);
    const updated = await call('PUT', 'Patient?identifier=urn:example:mrn|mrn-5', { ...patient('Eze', 'mrn-5'), gender: 'male' });
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta.versionId).toBe('2');
  });

  test('Prefer: return=minimal and return=OperationOutcome', async () => {
    const minimal = await call('POST', 'Patient', patient('Farah', 'mrn-6'), { prefer: 'return=minimal' });
    expect(minimal.status).toBe(201);
    expect(minimal.body).toBeUndefined();
    expect(minimal.headers.get('location')).toMatch(/Patient\/[^/]+\/_history\/1$/);
    const oo = await call('POST', 'Patient', patient('Farah', 'mrn-7'), { prefer: 'return=OperationOutcome' });
    expect(oo.body.resourceType).toBe('OperationOutcome');
  });

  test('an invalid resource is 422 with the place of each issue, and nothing is stored', async () => {
    const bad = await call('POST', 'Patient', { resourceType: 'Patient', gender: 'sometimes', birthDate: '2023-02-29', identifier: [{ system: 'urn:example:mrn', value: 'mrn-bad' }] });
    expect(bad.status).toBe(422);
    const expressions = (bad.body as OperationOutcome).issue.flatMap((i) => i.expression ?? []);
    expect(expressions).toEqual(expect.arrayContaining(['Patient.gender', 'Patient.birthDate']));
    const search = (await call('GET', 'Patient?identifier=urn:example:mrn|mrn-bad&_summary=count')).body as Bundle;
    expect(search.total).toBe(0);
  });

  test('the body must match the URL', async () => {
    expect((await call('POST', 'Patient', { resourceType: 'Organization', name: 'x' })).status).toBe(400);
    const { body: p } = await call('POST', 'Patient', patient('Gomez', 'mrn-8'));
    expect((await call('PUT', `Patient/${p.id}`, { ...p, id: 'someone-else' })).status).toBe(400);
  });

  test('delete, then read is 410 and history keeps the deletion', async () => {
    const { body: p } = await call('POST', 'Patient', patient('Haddad', 'mrn-9'));
    expect((await call('DELETE', `Patient/${p.id}`)).status).toBe(204);
    expect((await call('GET', `Patient/${p.id}`)).status).toBe(410);
    const history = (await call('GET', `Patient/${p.id}/_history`)).body as Bundle;
    expect(history.entry?.[0].request?.method).toBe('DELETE');
    expect((await call('GET', 'Patient/never-existed')).status).toBe(404);
  });

  test('types outside the coordination-platform set are 404', async () => {
    expect((await call('GET', 'Medication/x')).status).toBe(404);
  });

  test('search with paging: next links walk every match once, even with writes in between', async () => {
    for (let i = 0; i < 7; i++) {
      await call('POST', 'Patient', patient(`Paging${i}`, `page-${i}`));
    }
    const seen: string[] = [];
    let next: string | undefined = `${gw.base}Patient?family=paging&_count=3&_sort=_lastUpdated`;
    let pages = 0;
    while (next) {
      const page = (await (await fetch(next, { headers: FHIR })).json()) as Bundle;
      seen.push(...(page.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => (e.resource as Patient).name?.[0].family ?? ''));
      next = page.link?.find((l) => l.relation === 'next')?.url;
      if (pages++ === 0) {
        await call('POST', 'Patient', patient('PagingLate', 'page-late'));
      }
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((f) => /^Paging\d$/.test(f)).sort()).toEqual(['Paging0', 'Paging1', 'Paging2', 'Paging3', 'Paging4', 'Paging5', 'Paging6']);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  test('unknown parameters: ignored with a warning by default, 400 with handling=strict', async () => {
    const lenient = (await call('GET', 'Patient?colour=blue&_count=1')).body as Bundle;
    const warning = lenient.entry?.find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome;
    expect(warning.issue[0].details?.text).toContain("'colour'");
    expect((await call('GET', 'Patient?colour=blue', undefined, { prefer: 'handling=strict' })).status).toBe(400);
  });

  test('transaction: urn:uuid references resolved, all or nothing', async () => {
    const org = 'urn:uuid:4d5a6f3e-1111-4c1a-9d55-000000000001';
    const ok = await call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: org, resource: { resourceType: 'Organization', name: 'Tx Food Bank' }, request: { method: 'POST', url: 'Organization' } },
        { resource: { resourceType: 'Patient', name: [{ family: 'TxPatient' }], managingOrganization: { reference: org } }, request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(ok.status).toBe(200);
    const [orgEntry, patientEntry] = (ok.body as Bundle).entry ?? [];
    expect(orgEntry.response?.status).toBe('201');
    expect((patientEntry.resource as Patient).managingOrganization?.reference).toBe(`Organization/${orgEntry.resource?.id}`);

    const failed = await call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Organization', name: 'Never Stored' }, request: { method: 'POST', url: 'Organization' } },
        { resource: { resourceType: 'Patient', gender: 'neither' }, request: { method: 'POST', url: 'Patient' } },
      ],
    });
    expect(failed.status).toBe(422);
    expect((failed.body as OperationOutcome).issue[0].expression).toEqual(['Bundle.entry[1]']);
    const orgs = (await call('GET', 'Organization?name=Never&_summary=count')).body as Bundle;
    expect(orgs.total).toBe(0);
  });

  test('batch: each entry answered on its own', async () => {
    const result = await call('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: { resourceType: 'Organization', name: 'Batch Org' }, request: { method: 'POST', url: 'Organization' } },
        { request: { method: 'GET', url: 'Organization/does-not-exist' } },
      ],
    });
    const entries = (result.body as Bundle).entry ?? [];
    expect(entries.map((e) => e.response?.status)).toEqual(['201', '404']);
    expect(entries[1].response?.outcome?.resourceType).toBe('OperationOutcome');
  });

  test('metadata lists the served types, their interactions and search parameters', async () => {
    const statement = (await call('GET', 'metadata')).body;
    const task = statement.rest[0].resource.find((r: { type: string }) => r.type === 'Task');
    expect(task.interaction.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['read', 'create', 'update', 'search-type', 'vread']));
    const names = task.searchParam.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['_id', 'patient', 'status', 'code', 'requester', 'focus', 'owner', '_lastUpdated', 'output']));
    expect(statement.rest[0].interaction.map((i: { code: string }) => i.code)).toEqual(['transaction', 'batch']);
  });
});
