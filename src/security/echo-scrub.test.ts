import { expect, test } from 'vitest';
import { outcome, issue } from '../fhir/index.ts';
import { isDataLike, scrubOutcome, suppliedValues } from './echo-scrub.ts';

test('data-like values are hidden, codes, type names and canonicals kept', () => {
  expect(['Smith', '1970-01-01', 'MRN-00123', '71802-3'].every(isDataLike)).toBe(true);
  expect(['requested', 'in-progress', 'Task', 'http://hl7.org/fhir/StructureDefinition/Task', 'ab'].some(isDataLike)).toBe(false);
});

test('ids from the path are hidden whatever their shape, so answers do not depend on it', () => {
  const values = suppliedValues({ pathSegments: ['c0ffee00-0000-4000-8000-000000000000', '_history', '2'], query: new URLSearchParams('status=requested&_count=abc') });
  const scrubbed = scrubOutcome(outcome('not-found', [issue('error', 'not-found', 'Task/c0ffee00-0000-4000-8000-000000000000 not found'), issue('error', 'invalid', "_count 'abc' is not a number; status 'requested'", '_count')]), values);
  expect(scrubbed.issue?.map((i) => i.details?.text)).toEqual(['Task/*** not found', "_count '***' is not a number; status '***'"]);
  expect(scrubbed.issue?.[1].expression).toEqual(['_count']);
});

test('body values deep in a resource are found, keys are not', () => {
  const values = suppliedValues({ body: { resourceType: 'Patient', name: [{ family: 'Quillon' }], gender: 'Zz-9', unknownKey: 'male' } });
  expect(values).toEqual(expect.arrayContaining(['Quillon', 'Zz-9']));
  expect(values).not.toContain('male');
  expect(values).not.toContain('unknownKey');
  expect(values).not.toContain('Patient');
});
