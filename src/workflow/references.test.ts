import { describe, expect, it } from 'vitest';
import { absoluteUrl, deterministicId, parseReference, sameTarget, toAbsolute } from './references.ts';

describe('references (FHIR R4 references.html#literal)', () => {
  it.each([
    ['Patient/p1', { resourceType: 'Patient', id: 'p1' }],
    ['Patient/p1/_history/3', { resourceType: 'Patient', id: 'p1' }],
    ['https://ehr.example.org/fhir/Patient/p1', { resourceType: 'Patient', id: 'p1', base: 'https://ehr.example.org/fhir' }],
    ['https://ehr.example.org/fhir/Task/t.1/_history/2', { resourceType: 'Task', id: 't.1', base: 'https://ehr.example.org/fhir' }],
    ['#contained', undefined],
    ['urn:uuid:1234', undefined],
    ['', undefined],
  ])('parses %s', (ref, expected) => {
    expect(parseReference(ref)).toEqual(expected);
  });

  it('makes relative references absolute against the containing server', () => {
    expect(toAbsolute('Patient/p1', 'https://ehr.example.org/fhir')).toBe('https://ehr.example.org/fhir/Patient/p1');
    expect(toAbsolute('Patient/p1', 'https://ehr.example.org/fhir/')).toBe('https://ehr.example.org/fhir/Patient/p1');
    expect(toAbsolute('https://other.example.org/Patient/p1', 'https://ehr.example.org/fhir')).toBe('https://other.example.org/Patient/p1');
    expect(toAbsolute('#c1', 'https://ehr.example.org/fhir')).toBe('#c1');
    expect(toAbsolute('Patient/p1', undefined)).toBe('Patient/p1');
    expect(absoluteUrl('https://x.example.org/base', 'Task', 'a b')).toBe('https://x.example.org/base/Task/a%20b');
  });

  it('matches a relative reference with any base, two absolute ones only on the same base', () => {
    expect(sameTarget('Organization/o1', 'https://gw.example.org/fhir/Organization/o1')).toBe(true);
    expect(sameTarget('https://a.example.org/Organization/o1', 'https://b.example.org/Organization/o1')).toBe(false);
    expect(sameTarget('Organization/o1', 'Organization/o2')).toBe(false);
    expect(sameTarget('Organization/o1', undefined)).toBe(false);
  });

  it('derives valid, stable, distinct ids', () => {
    const a = deterministicId('dtask', 'https://ehr/Task/1', 'Organization/x');
    expect(a).toMatch(/^dtask-[0-9a-f]{32}$/);
    expect(deterministicId('dtask', 'https://ehr/Task/1', 'Organization/x')).toBe(a);
    expect(deterministicId('dtask', 'https://ehr/Task/1Organization/x')).not.toBe(a);
  });
});
