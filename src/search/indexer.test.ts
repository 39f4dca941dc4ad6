import type { SearchParameter, Task } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { dateRange } from './dates.ts';
import { loadSearchParameters } from './definitions.ts';
import { createIndexer, referenceOf } from './indexer.ts';

const outputReference: SearchParameter = {
  resourceType: 'SearchParameter',
  url: 'http://hl7.org/fhir/us/sdoh-clinicalcare/SearchParameter/Task-output-reference',
  name: 'TaskOutputReference',
  status: 'active',
  description: 'The value of any outputs of type Reference',
  code: 'output',
  base: ['Task'],
  type: 'reference',
  expression: 'Task.output.value.ofType(Reference)',
};

const parameters = loadSearchParameters([outputReference]);
const index = createIndexer(parameters);

const task: Task = {
  resourceType: 'Task',
  id: 't1',
  meta: { profile: ['http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/SDOHCC-TaskForReferralManagement'], tag: [{ system: 'urn:t', code: 'demo' }] },
  status: 'accepted',
  intent: 'order',
  code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
  focus: { reference: 'ServiceRequest/sr1' },
  for: { reference: 'Patient/p1' },
  authoredOn: '2026-11-20T15:05:00Z',
  requester: { reference: 'https://ehr.example.org/fhir/PractitionerRole/r1' },
  owner: { reference: 'Organization/food-bank' },
  output: [{ type: { text: 'x' }, valueReference: { reference: 'Procedure/pr1' } }],
};

describe('indexer', () => {
  const entries = index(task);
  const find = (param: string) => entries.filter((e) => e.param === param);

  test('tokens keep system and code', () => {
    expect(find('status')).toEqual([{ param: 'status', kind: 'token', system: '', value: 'accepted' }]);
    expect(find('code')).toEqual([{ param: 'code', kind: 'token', system: 'http://hl7.org/fhir/CodeSystem/task-code', value: 'fulfill' }]);
  });

  test('references are relative Type/id or the absolute URL', () => {
    expect(find('owner')).toEqual([{ param: 'owner', kind: 'reference', system: 'Organization', value: 'Organization/food-bank' }]);
    expect(find('requester')[0].value).toBe('https://ehr.example.org/fhir/PractitionerRole/r1');
    expect(find('patient')).toEqual([{ param: 'patient', kind: 'reference', system: 'Patient', value: 'Patient/p1' }]);
  });

  test('package search parameters are indexed (SDOHCC Task output)', () => {
    expect(find('output')).toEqual([{ param: 'output', kind: 'reference', system: 'Procedure', value: 'Procedure/pr1' }]);
  });

  test('dates become ranges by precision', () => {
    const [authored] = find('authored-on');
    expect(authored.low).toBe(Date.parse('2026-11-20T15:05:00Z'));
    expect(authored.high).toBe(Date.parse('2026-11-20T15:05:00.999Z'));
  });

  test('profiles and tags are indexed', () => {
    expect(find('_profile')[0].value).toContain('SDOHCC-TaskForReferralManagement');
    expect(find('_tag')).toEqual([{ param: '_tag', kind: 'token', system: 'urn:t', value: 'demo' }]);
  });
});

describe('date ranges', () => {
  test.each([
    ['2026', '2026-01-01T00:00:00.000Z', '2026-12-31T23:59:59.999Z'],
    ['2024-02', '2024-02-01T00:00:00.000Z', '2024-02-29T23:59:59.999Z'],
    ['2026-11-20', '2026-11-20T00:00:00.000Z', '2026-11-20T23:59:59.999Z'],
    ['2026-11-20T10:00:00+02:00', '2026-11-20T08:00:00.000Z', '2026-11-20T08:00:00.999Z'],
    ['2026-11-20T10:00:00.25Z', '2026-11-20T10:00:00.250Z', '2026-11-20T10:00:00.250Z'],
  ])('%s', (text, low, high) => {
    const range = dateRange(text)!;
    expect(new Date(range.low).toISOString()).toBe(low);
    expect(new Date(range.high).toISOString()).toBe(high);
  });

  test.each(['2023-02-29', '2026-13', 'yesterday'])('%s is not a date', (text) => {
    expect(dateRange(text)).toBeUndefined();
  });
});

test('contained references are not indexed', () => {
  expect(referenceOf({ reference: '#p1' })).toBeUndefined();
});
