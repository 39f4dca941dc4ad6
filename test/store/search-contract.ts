// Search semantics per parameter type (FHIR R4 search.html), as table tests that every
// adapter must pass. `open` returns a store on a fresh database using the given clock.
import type { Observation, Patient, Questionnaire, Resource, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../../src/fhir/errors.ts';
import { statusOf } from '../../src/fhir/http-status.ts';
import type { SearchFilter, SearchQuery, SortKey, Store } from '../../src/store/store.ts';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const TENANT = 'search';

type WithId<T extends Resource> = T & { id: string };

const patients: WithId<Patient>[] = [
  {
    resourceType: 'Patient',
    id: 'p1',
    meta: { tag: [{ system: 'urn:tag', code: 'vip' }] },
    identifier: [{ system: 'urn:sys:a', value: 'MRN1' }],
    name: [{ family: 'Müller', given: ['Anna'] }],
    birthDate: '1980-05-12',
    generalPractitioner: [{ reference: 'Practitioner/d1' }],
  },
  {
    resourceType: 'Patient',
    id: 'p2',
    identifier: [{ value: 'X2' }],
    name: [{ family: 'Muller', given: ['Ben'] }],
    birthDate: '1980-05',
    generalPractitioner: [{ reference: 'Practitioner/d2' }],
  },
  {
    resourceType: 'Patient',
    id: 'p3',
    identifier: [{ system: 'urn:sys:b', value: 'MRN1' }],
    name: [{ family: 'Smith', given: ['Anne-Marie'] }],
    birthDate: '1990',
    generalPractitioner: [{ reference: 'https://other.example/fhir/Practitioner/d1' }],
  },
  { resourceType: 'Patient', id: 'p4', name: [{ family: 'Mullins' }], birthDate: '1980-05-12', identifier: [{ system: 'urn:sys:a', value: 'MRN1' }] },
];

const tasks: WithId<Task>[] = [
  {
    resourceType: 'Task',
    id: 't1',
    meta: { profile: ['http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement'] },
    status: 'requested',
    intent: 'order',
    owner: { reference: 'Organization/o1' },
    focus: { reference: 'ServiceRequest/s1' },
    for: { reference: 'Patient/p1' },
    authoredOn: '2024-03-01T10:00:00Z',
    executionPeriod: { start: '2024-03-01', end: '2024-03-31' },
  },
  {
    resourceType: 'Task',
    id: 't2',
    status: 'accepted',
    intent: 'order',
    owner: { reference: 'Organization/o2' },
    focus: { reference: 'ServiceRequest/s2' },
    for: { reference: 'Patient/p2' },
    authoredOn: '2024-03-15',
    executionPeriod: { start: '2024-04-01' },
  },
  { resourceType: 'Task', id: 't3', status: 'completed', intent: 'order', owner: { reference: 'Organization/o1/_history/2' }, for: { reference: 'Patient/p1' }, authoredOn: '2023-12-31T23:59:59Z' },
  { resourceType: 'Task', id: 't4', status: 'requested', intent: 'order', owner: { reference: 'Practitioner/o1' }, authoredOn: '2024' },
];

const observations: WithId<Observation>[] = [
  ['ob1', 100],
  ['ob2', 100.4],
  ['ob3', 99.4],
  ['ob4', 5.5],
  ['ob5', undefined],
].map(([id, value]) => ({
  resourceType: 'Observation',
  id: id as string,
  status: 'final',
  code: { text: 'x' },
  ...(value === undefined ? {} : { valueQuantity: { value: value as number } }),
}));

const questionnaires: WithId<Questionnaire>[] = [
  { resourceType: 'Questionnaire', id: 'q1', status: 'active', url: 'http://example.org/Questionnaire/phq9' },
  { resourceType: 'Questionnaire', id: 'q2', status: 'active', url: 'http://example.org/Questionnaire/phq9-short' },
  { resourceType: 'Questionnaire', id: 'q3', status: 'active', url: 'http://other.org/Questionnaire/x' },
];

interface Case {
  name: string;
  type: string;
  filters: SearchFilter[];
  expected: string[];
}

const token = (param: string, ...values: { system?: string; code?: string }[]): SearchFilter => ({ kind: 'token', param, values });
const date = (param: string, ...values: string[]): SearchFilter => ({
  kind: 'date',
  param,
  values: values.map((v) => ({ prefix: (/^[a-z]{2}/.exec(v)?.[0] ?? 'eq') as 'eq', value: v.replace(/^[a-z]{2}/, '') })),
});
const number = (param: string, ...values: string[]): SearchFilter => ({
  kind: 'number',
  param,
  values: values.map((v) => ({ prefix: (/^[a-z]{2}/.exec(v)?.[0] ?? 'eq') as 'eq', value: v.replace(/^[a-z]{2}/, '') })),
});

const cases: Case[] = [
  // search.html#token
  { name: 'token system|code', type: 'Patient', filters: [token('identifier', { system: 'urn:sys:a', code: 'MRN1' })], expected: ['p1'] },
  { name: 'token code in any system', type: 'Patient', filters: [token('identifier', { code: 'MRN1' })], expected: ['p1', 'p3'] },
  { name: 'token |code without a system', type: 'Patient', filters: [token('identifier', { system: '', code: 'X2' })], expected: ['p2'] },
  { name: 'token system| any code', type: 'Patient', filters: [token('identifier', { system: 'urn:sys:b' })], expected: ['p3'] },
  { name: 'token codes are case-sensitive', type: 'Patient', filters: [token('identifier', { code: 'mrn1' })], expected: [] },
  { name: 'token values are ORed', type: 'Task', filters: [token('status', { code: 'requested' }, { code: 'accepted' })], expected: ['t1', 't2', 't4'] },
  { name: 'token :not', type: 'Task', filters: [{ kind: 'token', param: 'status', not: true, values: [{ code: 'requested' }] }], expected: ['t2', 't3'] },
  { name: 'token :not with two values', type: 'Task', filters: [{ kind: 'token', param: 'status', not: true, values: [{ code: 'requested' }, { code: 'completed' }] }], expected: ['t2'] },
  { name: '_tag', type: 'Patient', filters: [token('_tag', { system: 'urn:tag', code: 'vip' })], expected: ['p1'] },
  {
    name: '_profile',
    type: 'Task',
    filters: [token('_profile', { code: 'http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement' })],
    expected: ['t1'],
  },
  // search.html#reference
  { name: 'reference Type/id (a versioned reference matches too)', type: 'Task', filters: [{ kind: 'reference', param: 'owner', values: ['Organization/o1'] }], expected: ['t1', 't3'] },
  { name: 'reference bare id matches any type', type: 'Task', filters: [{ kind: 'reference', param: 'owner', values: ['o1'] }], expected: ['t1', 't3', 't4'] },
  { name: 'reference values are ORed', type: 'Task', filters: [{ kind: 'reference', param: 'owner', values: ['Organization/o2', 'Practitioner/o1'] }], expected: ['t2', 't4'] },
  { name: 'reference relative does not match an absolute URL', type: 'Patient', filters: [{ kind: 'reference', param: 'general-practitioner', values: ['Practitioner/d1'] }], expected: ['p1'] },
  {
    name: 'reference absolute URL',
    type: 'Patient',
    filters: [{ kind: 'reference', param: 'general-practitioner', values: ['https://other.example/fhir/Practitioner/d1'] }],
    expected: ['p3'],
  },
  { name: 'reference :missing=true', type: 'Task', filters: [{ kind: 'missing', param: 'focus', indexKind: 'reference', missing: true }], expected: ['t3', 't4'] },
  { name: 'reference :missing=false', type: 'Task', filters: [{ kind: 'missing', param: 'focus', indexKind: 'reference', missing: false }], expected: ['t1', 't2'] },
  // search.html#date
  { name: 'date eq year contains day and month', type: 'Patient', filters: [date('birthdate', '1980')], expected: ['p1', 'p2'] },
  { name: 'date eq month', type: 'Patient', filters: [date('birthdate', '1980-05')], expected: ['p1', 'p2'] },
  { name: 'date eq day does not contain a month', type: 'Patient', filters: [date('birthdate', '1980-05-12')], expected: ['p1'] },
  { name: 'date ne', type: 'Patient', filters: [date('birthdate', 'ne1980')], expected: ['p3'] },
  { name: 'date lt: the target starts before', type: 'Patient', filters: [date('birthdate', 'lt1980-05-12')], expected: ['p2'] },
  { name: 'date gt: the target ends after', type: 'Patient', filters: [date('birthdate', 'gt1980-05-12')], expected: ['p2', 'p3'] },
  { name: 'date ge', type: 'Patient', filters: [date('birthdate', 'ge1980-05-12')], expected: ['p1', 'p2', 'p3'] },
  { name: 'date le', type: 'Patient', filters: [date('birthdate', 'le1980-05-12')], expected: ['p1', 'p2'] },
  { name: 'date sa', type: 'Patient', filters: [date('birthdate', 'sa1980-05-31')], expected: ['p3'] },
  { name: 'date eb', type: 'Patient', filters: [date('birthdate', 'eb1990')], expected: ['p1', 'p2'] },
  { name: 'date values are ORed', type: 'Patient', filters: [date('birthdate', '1990', '1980-05-12')], expected: ['p1', 'p3'] },
  { name: 'date filters are ANDed', type: 'Patient', filters: [date('birthdate', 'ge1980'), date('birthdate', 'lt1981')], expected: ['p1', 'p2'] },
  { name: 'date of a Period open at the end', type: 'Task', filters: [date('period', 'ge2024-04-15')], expected: ['t2'] },
  { name: 'date of a Period, lt', type: 'Task', filters: [date('period', 'lt2024-03-15')], expected: ['t1'] },
  { name: 'dateTime within a month', type: 'Task', filters: [date('authored-on', '2024-03')], expected: ['t1', 't2'] },
  { name: 'dateTime at second precision', type: 'Task', filters: [date('authored-on', '2024-03-01T10:00:00Z')], expected: ['t1'] },
  { name: 'dateTime with an offset', type: 'Task', filters: [date('authored-on', '2024-03-01T11:00:00+01:00')], expected: ['t1'] },
  { name: 'dateTime ge across a year boundary', type: 'Task', filters: [date('authored-on', 'ge2024-01-01')], expected: ['t1', 't2', 't4'] },
  // search.html#string
  { name: 'string starts-with, accent- and case-insensitive', type: 'Patient', filters: [{ kind: 'string', param: 'name', values: ['mull'] }], expected: ['p1', 'p2'] },
  { name: 'string upper case with accent', type: 'Patient', filters: [{ kind: 'string', param: 'name', values: ['MÜLLER'] }], expected: ['p1', 'p2'] },
  { name: 'string is not contains by default', type: 'Patient', filters: [{ kind: 'string', param: 'name', values: ['ller'] }], expected: [] },
  { name: 'string :exact', type: 'Patient', filters: [{ kind: 'string', param: 'name', modifier: 'exact', values: ['Müller'] }], expected: ['p1'] },
  { name: 'string :exact is case-sensitive', type: 'Patient', filters: [{ kind: 'string', param: 'name', modifier: 'exact', values: ['müller'] }], expected: [] },
  { name: 'string :contains', type: 'Patient', filters: [{ kind: 'string', param: 'name', modifier: 'contains', values: ['ARIE'] }], expected: ['p3'] },
  { name: 'string :contains treats % and _ literally', type: 'Patient', filters: [{ kind: 'string', param: 'name', modifier: 'contains', values: ['%'] }], expected: [] },
  { name: 'string values are ORed', type: 'Patient', filters: [{ kind: 'string', param: 'name', values: ['ann', 'ben'] }], expected: ['p1', 'p2', 'p3'] },
  // search.html#number
  { name: 'number eq uses the precision of the value', type: 'Observation', filters: [number('value-quantity', '100')], expected: ['ob1', 'ob2'] },
  { name: 'number eq with more precision', type: 'Observation', filters: [number('value-quantity', '100.0')], expected: ['ob1'] },
  { name: 'number gt', type: 'Observation', filters: [number('value-quantity', 'gt100')], expected: ['ob2'] },
  { name: 'number ge', type: 'Observation', filters: [number('value-quantity', 'ge100')], expected: ['ob1', 'ob2'] },
  { name: 'number lt', type: 'Observation', filters: [number('value-quantity', 'lt99.5')], expected: ['ob3', 'ob4'] },
  { name: 'number le', type: 'Observation', filters: [number('value-quantity', 'le5.5')], expected: ['ob4'] },
  { name: 'number ne', type: 'Observation', filters: [number('value-quantity', 'ne100')], expected: ['ob3', 'ob4'] },
  { name: 'number ap within 10%', type: 'Observation', filters: [number('value-quantity', 'ap100')], expected: ['ob1', 'ob2', 'ob3'] },
  { name: 'number :missing', type: 'Observation', filters: [{ kind: 'missing', param: 'value-quantity', indexKind: 'number', missing: true }], expected: ['ob5'] },
  // uri
  { name: 'uri exact', type: 'Questionnaire', filters: [{ kind: 'uri', param: 'url', values: ['http://example.org/Questionnaire/phq9'] }], expected: ['q1'] },
  { name: 'uri :below', type: 'Questionnaire', filters: [{ kind: 'uri', param: 'url', modifier: 'below', values: ['http://example.org/'] }], expected: ['q1', 'q2'] },
  // _id and deleted resources
  { name: '_id', type: 'Patient', filters: [{ kind: 'id', values: ['p1', 'p3', 'zz'] }], expected: ['p1', 'p3'] },
  { name: 'deleted resources never match', type: 'Patient', filters: [{ kind: 'id', values: ['p4'] }], expected: [] },
  { name: 'several parameters are ANDed', type: 'Task', filters: [token('status', { code: 'requested' }), { kind: 'reference', param: 'owner', values: ['o1'] }], expected: ['t1', 't4'] },
];

export function runSearchContract(name: string, open: (options: { now: () => number }) => Promise<Store>): void {
  describe(`Search contract: ${name}`, () => {
    let store: Store;
    let clock = T0;
    /** lastUpdated of each resource, by id. */
    const written = new Map<string, number>();

    const ids = async (query: SearchQuery): Promise<string[]> => (await store.search(TENANT, query)).versions.map((v) => v.id);

    beforeAll(async () => {
      store = await open({ now: () => clock });
      const all: WithId<Resource>[] = [...patients, ...tasks, ...observations, ...questionnaires];
      for (const resource of all) {
        clock += 1000;
        await store.createResource(TENANT, resource);
        written.set(resource.id, clock);
      }
      // Deleted resources keep their history but leave the indexes.
      await store.deleteResource(TENANT, 'Patient', 'p4');
      // The same resources in another tenant must never show up.
      await store.createResource('other', tasks[0]);
      await store.createResource('other', patients[0]);
    });
    afterAll(async () => {
      await store.close();
    });

    it.each(cases)('$name', async ({ type, filters, expected }) => {
      const result = await store.search(TENANT, { resourceType: type, filters, count: 100, total: 'accurate' });
      expect(result.versions.map((v) => v.id).sort()).toEqual(expected);
      expect(result.total).toBe(expected.length);
      expect(result.versions.every((v) => !v.deleted && v.resource.meta?.versionId === v.versionId)).toBe(true);
    });

    it('_lastUpdated compares the version instant with the prefix rules', async () => {
      const at = (id: string) => new Date(written.get(id)!).toISOString();
      const lastUpdated = (...values: [string, string][]): SearchFilter => ({
        kind: 'lastUpdated',
        values: values.map(([prefix, value]) => ({ prefix: prefix as 'eq', value })),
      });
      const tasksOnly = (filter: SearchFilter) => ids({ resourceType: 'Task', filters: [filter], count: 100 });
      expect(await tasksOnly(lastUpdated(['ge', at('t2')]))).toEqual(['t2', 't3', 't4']);
      expect(await tasksOnly(lastUpdated(['gt', at('t2')]))).toEqual(['t3', 't4']);
      expect(await tasksOnly(lastUpdated(['lt', at('t2')]))).toEqual(['t1']);
      expect(await tasksOnly(lastUpdated(['le', at('t2')]))).toEqual(['t1', 't2']);
      expect(await tasksOnly(lastUpdated(['eq', at('t3')]))).toEqual(['t3']);
      expect(await tasksOnly(lastUpdated(['ge', at('t2')], ['eq', at('t1')]))).toEqual(['t1', 't2', 't3', 't4']);
      expect(await tasksOnly(lastUpdated(['eq', at('t1').slice(0, 4)]))).toEqual(['t1', 't2', 't3', 't4']);
      expect(await tasksOnly(lastUpdated(['lt', '2000']))).toEqual([]);
    });

    const sorted = (type: string, sort: SortKey[]) => ids({ resourceType: type, filters: [], sort, count: 100 });

    it('sorts by a date: lowest start ascending, highest end descending', async () => {
      expect(await sorted('Task', [{ param: 'authored-on', kind: 'date' }])).toEqual(['t3', 't4', 't1', 't2']);
      expect(await sorted('Task', [{ param: 'authored-on', kind: 'date', descending: true }])).toEqual(['t4', 't2', 't1', 't3']);
    });

    it('sorts resources without a value last, in both directions', async () => {
      expect(await sorted('Task', [{ param: 'period', kind: 'date' }])).toEqual(['t1', 't2', 't3', 't4']);
      expect(await sorted('Task', [{ param: 'period', kind: 'date', descending: true }])).toEqual(['t2', 't1', 't3', 't4']);
      expect(await sorted('Observation', [{ param: 'value-quantity', kind: 'number', descending: true }])).toEqual(['ob2', 'ob1', 'ob3', 'ob4', 'ob5']);
    });

    it('sorts by several keys with mixed directions, then by id', async () => {
      expect(await sorted('Task', [{ param: 'status', kind: 'token' }, { param: '_id', descending: true }])).toEqual(['t2', 't3', 't4', 't1']);
      expect(await sorted('Task', [{ param: 'status', kind: 'token', descending: true }])).toEqual(['t1', 't4', 't3', 't2']);
      expect(await sorted('Patient', [{ param: 'name', kind: 'string' }])).toEqual(['p1', 'p3', 'p2']);
      expect(await sorted('Patient', [{ param: '_lastUpdated', descending: true }])).toEqual(['p3', 'p2', 'p1']);
      expect(await sorted('Questionnaire', [{ param: '_id', descending: true }])).toEqual(['q3', 'q2', 'q1']);
    });

    it('pages with a keyset cursor under every sort, matching the unpaged order', async () => {
      const sorts: SortKey[][] = [
        [],
        [{ param: '_lastUpdated', descending: true }],
        [{ param: 'status', kind: 'token' }, { param: 'authored-on', kind: 'date', descending: true }],
        [{ param: 'period', kind: 'date', descending: true }],
      ];
      for (const sort of sorts) {
        const whole = await sorted('Task', sort);
        const paged: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.search(TENANT, { resourceType: 'Task', filters: [], sort, count: 1, cursor, total: 'accurate' });
          expect(page.total).toBe(4);
          paged.push(...page.versions.map((v) => v.id));
          cursor = page.next;
          pages++;
        } while (cursor && pages < 10);
        expect(paged).toEqual(whole);
      }
    });

    it('keeps the next page stable when other resources are written between pages', async () => {
      const query: SearchQuery = { resourceType: 'Observation', filters: [], sort: [{ param: '_lastUpdated' }], count: 2 };
      const first = await store.search(TENANT, query);
      expect(first.versions.map((v) => v.id)).toEqual(['ob1', 'ob2']);
      // A new resource sorting before the cursor, and a change to one already seen, move nothing unseen.
      clock += 1000;
      await store.updateResource(TENANT, { ...observations[0], status: 'amended' });
      await store.createResource(TENANT, { resourceType: 'Observation', id: 'ob0', status: 'final', code: { text: 'x' } });
      const rest: string[] = [];
      let cursor = first.next;
      while (cursor) {
        const page = await store.search(TENANT, { ...query, cursor });
        rest.push(...page.versions.map((v) => v.id));
        cursor = page.next;
      }
      expect(rest.slice(0, 3)).toEqual(['ob3', 'ob4', 'ob5']);
      expect(new Set(rest).size).toBe(rest.length);
      expect(rest).not.toContain('ob2');
    });

    it('answers totals and _summary=count, and refuses foreign or broken cursors with 400', async () => {
      const summary = await store.search(TENANT, { resourceType: 'Task', filters: [token('status', { code: 'requested' })], summaryCount: true });
      expect(summary).toEqual({ versions: [], total: 2 });
      const none = await store.search(TENANT, { resourceType: 'Task', filters: [], count: 2 });
      expect(none.total).toBeUndefined();
      expect(none.versions).toHaveLength(2);
      const other = store.search(TENANT, { resourceType: 'Patient', filters: [], cursor: none.next });
      const broken = store.search(TENANT, { resourceType: 'Task', filters: [], cursor: 'not-a-cursor' });
      for (const attempt of [other, broken]) {
        const error = await attempt.then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(OperationOutcomeError);
        expect(statusOf((error as OperationOutcomeError).outcome)).toBe(400);
      }
      const badDate = await store.search(TENANT, { resourceType: 'Task', filters: [date('authored-on', '2024-13')] }).then(() => undefined, (e: unknown) => e);
      expect(statusOf((badDate as OperationOutcomeError).outcome)).toBe(400);
    });

    it('reads included resources and finds referencing ones (_include, _revinclude)', async () => {
      const included = await store.readMany(TENANT, ['Patient/p1', 'Patient/p4', 'Patient/zz', 'Patient/p1', 'not a reference', 'Task/t2']);
      expect(included.map((v) => `${v.resourceType}/${v.id}`).sort()).toEqual(['Patient/p1', 'Task/t2']);
      const referencing = await store.findReferencing(TENANT, { resourceType: 'Task', param: 'owner', targets: ['Organization/o1'] });
      expect(referencing.map((v) => v.id)).toEqual(['t1', 't3']);
      const byPatient = await store.findReferencing(TENANT, { resourceType: 'Task', param: 'patient', targets: ['Patient/p1', 'Patient/p2'], limit: 2 });
      expect(byPatient.map((v) => v.id)).toEqual(['t1', 't2']);
      expect(await store.findReferencing('other', { resourceType: 'Task', param: 'owner', targets: ['Organization/o2'] })).toEqual([]);
    });
  });
}
