// FHIR R4 search.html semantics through the HTTP API, one table per parameter type, on SQLite
// and PostgreSQL. The expected answers are data: the ids each query must return.
import type { Bundle, BundleEntry, Organization, Patient, Resource, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestGateway, storeKinds, type TestGateway } from '../support/gateway.ts';
import { consent, organization, serviceRequest, task, TASK_PROFILE } from './referral-data.ts';

const FHIR = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };

function pat(id: string, gender: Patient['gender'], birthDate: string, identifier: Patient['identifier']): Patient {
  return { resourceType: 'Patient', id, gender, birthDate, identifier, name: [{ family: `Fam-${id}` }] };
}

const orgs: Organization[] = [
  organization('Eastside Food Bank', 'org-food'),
  organization('Harbor Housing', 'org-house'),
  organization('Café Solidarité', 'org-cafe'),
  organization('FOOD Alliance', 'org-upper'),
];
const patients: Patient[] = [
  pat('pat-a', 'female', '1980-05-01', [{ system: 'urn:example:mrn', value: 'A1' }]),
  pat('pat-b', 'male', '1980-05-20', [{ system: 'urn:other', value: 'A1' }]),
  pat('pat-c', 'other', '1981-01-01', [{ value: 'A1' }]),
  pat('pat-d', 'female', '1990-07-15', [{ system: 'urn:example:mrn', value: 'D1' }]),
];
const tagged = (t: Task, tag: string): Task => ({ ...t, meta: { ...t.meta, tag: [{ system: 'urn:example:tags', code: tag }] } });
const referralResources: Resource[] = [
  consent('Patient/pat-a', 'Organization/org-food', 'consent-1'),
  serviceRequest({ id: 'sr-1', referral: 'R1', patientRef: 'Patient/pat-a', performerRef: 'Organization/org-food', consentRef: 'Consent/consent-1' }),
  serviceRequest({ id: 'sr-2', referral: 'R2', patientRef: 'Patient/pat-b', performerRef: 'Organization/org-house' }),
  tagged(task({ id: 't-1', referral: 'R1', focusRef: 'ServiceRequest/sr-1', patientRef: 'Patient/pat-a', ownerRef: 'Organization/org-food', status: 'requested', authoredOn: '2026-11-01T09:00:00Z' }), 'urgent'),
  task({ id: 't-2', referral: 'R2', focusRef: 'ServiceRequest/sr-2', patientRef: 'Patient/pat-b', ownerRef: 'Organization/org-house', status: 'accepted', authoredOn: '2026-11-05T09:00:00Z' }),
  task({ id: 't-3', referral: 'R3', focusRef: 'ServiceRequest/sr-1', patientRef: 'Patient/pat-a', ownerRef: 'Organization/org-food', status: 'completed', authoredOn: '2026-11-03T09:00:00Z' }),
  // A plain R4 Task (no SDOHCC profile) without an owner, for :missing and _profile.
  { resourceType: 'Task', id: 't-4', status: 'draft', intent: 'order', authoredOn: '2026-11-04T09:00:00Z', for: { reference: 'Patient/pat-c' } },
];

/** [query, ids of the matches in any order]. */
type Row = [string, string[]];

describe.each(storeKinds())('search semantics on %s', (kind) => {
  let gw: TestGateway;
  let between: string;

  const get = async (path: string): Promise<{ status: number; body: Bundle }> => {
    const response = await fetch(new URL(path, gw.base), { headers: FHIR });
    return { status: response.status, body: (await response.json()) as Bundle };
  };
  const transaction = async (resources: Resource[]) => {
    const entry: BundleEntry[] = resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
    const response = await fetch(gw.base, { method: 'POST', headers: FHIR, body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }) });
    if (response.status !== 200) {
      throw new Error(`seed transaction failed: ${response.status} ${await response.text()}`);
    }
  };
  const matchIds = (bundle: Bundle) => (bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!.id!);
  const includeKeys = (bundle: Bundle) => (bundle.entry ?? []).filter((e) => e.search?.mode === 'include').map((e) => `${e.resource!.resourceType}/${e.resource!.id}`);

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await transaction([...orgs, ...patients, ...referralResources]);
    // _lastUpdated needs a moment that lies strictly between two writes.
    await new Promise((r) => setTimeout(r, 20));
    between = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    await transaction([pat('pat-late', 'unknown', '2000-01-01', [{ system: 'urn:example:mrn', value: 'L1' }])]);
  });
  afterAll(async () => {
    await gw?.close();
  });

  const check = async ([query, expected]: Row) => {
    const { status, body } = await get(query);
    expect(status, query).toBe(200);
    expect(matchIds(body).sort(), query).toEqual([...expected].sort());
  };

  test.each<Row>([
    ['Patient?identifier=urn:example:mrn|A1', ['pat-a']],
    ['Patient?identifier=A1', ['pat-a', 'pat-b', 'pat-c']],
    ['Patient?identifier=|A1', ['pat-c']],
    ['Patient?identifier=urn:other|', ['pat-b']],
    ['Patient?identifier=urn:example:mrn|A1,urn:example:mrn|D1', ['pat-a', 'pat-d']],
    ['Patient?gender:not=female&_id=pat-a,pat-b,pat-c,pat-d', ['pat-b', 'pat-c']],
    ['Task?status:not=requested', ['t-2', 't-3', 't-4']],
    ['Task?status=accepted,completed', ['t-2', 't-3']],
  ])('token %s', async (...row) => check(row));

  test.each<Row>([
    ['Task?owner=Organization/org-food', ['t-1', 't-3']],
    ['Task?owner=org-food', ['t-1', 't-3']],
    ['Task?owner:Organization=org-house', ['t-2']],
    ['Task?focus=ServiceRequest/sr-1', ['t-1', 't-3']],
    ['Task?owner:missing=true', ['t-4']],
    ['Task?owner:missing=false', ['t-1', 't-2', 't-3']],
    ['ServiceRequest?supporting-info=Consent/consent-1', ['sr-1']],
  ])('reference %s', async (...row) => check(row));

  test('reference: an absolute URL on this server matches like Type/id', async () => {
    await check([`Task?owner=${encodeURIComponent(`${gw.base}Organization/org-house`)}`, ['t-2']]);
  });

  test.each<Row>([
    ['Patient?birthdate=1980', ['pat-a', 'pat-b']],
    ['Patient?birthdate=1980-05', ['pat-a', 'pat-b']],
    ['Patient?birthdate=1980-05-01', ['pat-a']],
    ['Patient?birthdate=eq1981', ['pat-c']],
    ['Patient?birthdate=ge1980-05-02&_id=pat-a,pat-b,pat-c,pat-d', ['pat-b', 'pat-c', 'pat-d']],
    ['Patient?birthdate=gt1980-05-20&_id=pat-a,pat-b,pat-c,pat-d', ['pat-c', 'pat-d']],
    ['Patient?birthdate=lt1980-05-20', ['pat-a']],
    ['Patient?birthdate=le1980-05-20', ['pat-a', 'pat-b']],
    ['Patient?birthdate=ge1980-05-10&birthdate=le1980-12-31', ['pat-b']],
    ['Patient?birthdate=gt1980&birthdate=lt1995', ['pat-c', 'pat-d']],
    ['Task?authored-on=ge2026-11-03T09:00:00Z&authored-on=lt2026-11-05', ['t-3', 't-4']],
    ['Task?authored-on=2026-11-01', ['t-1']],
  ])('date %s', async (...row) => check(row));

  test.each<Row>([
    ['Organization?name=eastside', ['org-food']],
    ['Organization?name=EASTSIDE%20food', ['org-food']],
    ['Organization?name=food', ['org-upper']],
    ['Organization?name=cafe', ['org-cafe']],
    ['Organization?name:exact=Café%20Solidarité', ['org-cafe']],
    ['Organization?name:exact=cafe%20solidarite', []],
    ['Organization?name:exact=Café', []],
    ['Organization?name:contains=bank', ['org-food']],
    ['Organization?name:contains=food', ['org-food', 'org-upper']],
    ['Organization?name:contains=SOLIDARITE', ['org-cafe']],
  ])('string %s', async (...row) => check(row));

  test.each<Row>([
    ['Task?_id=t-1,t-2', ['t-1', 't-2']],
    ['Task?_id=nope', []],
    [`Task?_profile=${encodeURIComponent(TASK_PROFILE)}`, ['t-1', 't-2', 't-3']],
    ['Task?_tag=urn:example:tags|urgent', ['t-1']],
    ['Task?_tag=urgent', ['t-1']],
    ['Task?_tag=urn:example:tags|other', []],
  ])('special %s', async (...row) => check(row));

  test('_lastUpdated with prefixes', async () => {
    await check([`Patient?_lastUpdated=gt${between}`, ['pat-late']]);
    await check([`Patient?_lastUpdated=le${between}&_id=pat-a,pat-late`, ['pat-a']]);
    await check([`Patient?_lastUpdated=ge${between.slice(0, 4)}&_id=pat-a,pat-late`, ['pat-a', 'pat-late']]);
  });

  test.each<[string, string[]]>([
    ['Patient?_id=pat-a,pat-b,pat-c,pat-d&_sort=gender,-birthdate', ['pat-d', 'pat-a', 'pat-b', 'pat-c']],
    ['Patient?_id=pat-a,pat-b,pat-c,pat-d&_sort=-gender,birthdate', ['pat-c', 'pat-b', 'pat-a', 'pat-d']],
    ['Patient?_id=pat-a,pat-b,pat-c,pat-d&_sort=-birthdate', ['pat-d', 'pat-c', 'pat-b', 'pat-a']],
    ['Task?_sort=-authored-on', ['t-2', 't-4', 't-3', 't-1']],
    ['Task?_sort=status,authored-on', ['t-2', 't-3', 't-4', 't-1']],
    ['Task?_sort=-_id', ['t-4', 't-3', 't-2', 't-1']],
  ])('_sort %s gives this order', async (query, expected) => {
    expect(matchIds((await get(query)).body)).toEqual(expected);
  });

  test.each<[string, string[], string[]]>([
    ['Task?_id=t-1&_include=Task:focus', ['t-1'], ['ServiceRequest/sr-1']],
    ['Task?_id=t-1,t-2&_include=Task:owner', ['t-1', 't-2'], ['Organization/org-food', 'Organization/org-house']],
    ['Task?_id=t-1&_include=Task:focus&_include=Task:owner', ['t-1'], ['Organization/org-food', 'ServiceRequest/sr-1']],
    ['ServiceRequest?_id=sr-1&_include=ServiceRequest:supporting-info', ['sr-1'], ['Consent/consent-1']],
    ['ServiceRequest?_id=sr-1&_revinclude=Task:focus', ['sr-1'], ['Task/t-1', 'Task/t-3']],
    ['Organization?_id=org-food&_revinclude=Task:owner', ['org-food'], ['Task/t-1', 'Task/t-3']],
    ['Task?_id=t-4&_include=Task:owner', ['t-4'], []],
  ])('%s includes', async (query, matches, included) => {
    const { body } = await get(query);
    expect(matchIds(body).sort()).toEqual(matches);
    expect(includeKeys(body).sort()).toEqual(included);
  });

  test('_summary=count gives the total and no entries; _total=accurate counts every page', async () => {
    const count = (await get('Task?owner=Organization/org-food&_summary=count')).body;
    expect(count.total).toBe(2);
    expect(count.entry).toBeUndefined();
    const accurate = (await get('Task?_total=accurate&_count=1')).body;
    expect(accurate.total).toBe(4);
    expect(matchIds(accurate)).toHaveLength(1);
    expect(accurate.link?.some((l) => l.relation === 'next')).toBe(true);
  });

  test('_count with next links: every original match exactly once while others write between pages', async () => {
    const ids = Array.from({ length: 9 }, (_, i) => `page-${i}`);
    await transaction(ids.map((id) => pat(id, 'female', '1970-01-01', [{ system: 'urn:example:paging', value: id }])));
    let next: string | undefined = `Patient?identifier=urn:example:paging|&_count=2`;
    const seen: string[] = [];
    let pages = 0;
    while (next) {
      const { body } = await get(next);
      seen.push(...matchIds(body));
      next = body.link?.find((l) => l.relation === 'next')?.url;
      pages++;
      // Concurrent writes: a new match, an update of a match not yet reached, an update of one already seen.
      await Promise.all([
        transaction([pat(`page-new-${pages}`, 'female', '1970-01-01', [{ system: 'urn:example:paging', value: `new-${pages}` }])]),
        transaction([pat(ids[8], 'male', '1970-01-01', [{ system: 'urn:example:paging', value: ids[8] }])]),
        transaction([pat(ids[0], 'male', '1970-01-01', [{ system: 'urn:example:paging', value: ids[0] }])]),
      ]);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => ids.includes(id)).sort()).toEqual(ids);
    expect(pages).toBeGreaterThanOrEqual(5);
  });
});
