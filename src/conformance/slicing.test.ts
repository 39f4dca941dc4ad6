// Slicing (profiling.html#slicing) with every discriminator type, closed and ordered rules,
// slice cardinality, fixed values, and snapshots generated from a differential (snapshot.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { issuesOf } from '../../test/conformance/support.ts';
import { createConformance, type Conformance } from './index.ts';

const PROFILE = 'http://example.org/StructureDefinition/sliced-observation';
const LOINC = 'http://loinc.org';

const source = `
resourceType: StructureDefinition
url: ${PROFILE}
name: SlicedObservation
status: draft
kind: resource
abstract: false
type: Observation
baseDefinition: http://hl7.org/fhir/StructureDefinition/Observation
derivation: constraint
differential:
  element:
    - id: Observation.status
      path: Observation.status
      fixedCode: final
    - id: Observation.identifier
      path: Observation.identifier
      slicing: { discriminator: [{ type: exists, path: system }], rules: open }
    - id: Observation.identifier:withSystem
      path: Observation.identifier
      sliceName: withSystem
      min: 1
      max: '1'
    - id: Observation.identifier:withSystem.system
      path: Observation.identifier.system
      min: 1
    - id: Observation.category
      path: Observation.category
      slicing: { discriminator: [{ type: pattern, path: $this }], rules: open }
    - id: Observation.category:vs
      path: Observation.category
      sliceName: vs
      min: 1
      max: '1'
      patternCodeableConcept: { coding: [{ system: http://terminology.hl7.org/CodeSystem/observation-category, code: vital-signs }] }
    - id: Observation.value[x]
      path: Observation.value[x]
      slicing: { discriminator: [{ type: type, path: $this }], rules: open }
    - id: Observation.value[x]:valueQuantity
      path: Observation.value[x]
      sliceName: valueQuantity
      min: 1
      type: [{ code: Quantity }]
    - id: Observation.hasMember
      path: Observation.hasMember
      slicing: { discriminator: [{ type: profile, path: resolve() }], rules: open }
    - id: Observation.hasMember:heartRate
      path: Observation.hasMember
      sliceName: heartRate
      min: 1
      type: [{ code: Reference, targetProfile: [http://hl7.org/fhir/StructureDefinition/heartrate] }]
    - id: Observation.component
      path: Observation.component
      slicing: { discriminator: [{ type: value, path: code.coding.code }], rules: closed, ordered: true }
    - id: Observation.component:systolic
      path: Observation.component
      sliceName: systolic
      min: 1
      max: '1'
    - id: Observation.component:systolic.code
      path: Observation.component.code
      patternCodeableConcept: { coding: [{ system: ${LOINC}, code: 8480-6 }] }
    - id: Observation.component:diastolic
      path: Observation.component
      sliceName: diastolic
      min: 1
      max: '1'
    - id: Observation.component:diastolic.code
      path: Observation.component.code
      patternCodeableConcept: { coding: [{ system: ${LOINC}, code: 8462-4 }] }
`;

const heartRate = {
  resourceType: 'Observation',
  id: 'hr',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: LOINC, code: '8867-4' }] },
  subject: { reference: 'Patient/p' },
  effectiveDateTime: '2024-01-01T10:00:00Z',
  valueQuantity: { value: 60, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
};

const component = (code: string, value: number) => ({ code: { coding: [{ system: LOINC, code }] }, valueQuantity: { value, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } });

const valid = () => ({
  resourceType: 'Observation',
  meta: { profile: [PROFILE] },
  contained: [heartRate],
  identifier: [{ value: 'no-system' }, { system: 'http://example.org/ids', value: '1' }],
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: LOINC, code: '85354-9' }] },
  subject: { reference: 'Patient/p' },
  valueQuantity: { value: 1, unit: 'x', system: 'http://unitsofmeasure.org', code: '1' },
  hasMember: [{ reference: '#hr' }],
  component: [component('8480-6', 120), component('8462-4', 80)],
});

let conformance: Conformance;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slicing-profiles-'));
  writeFileSync(path.join(dir, 'sliced-observation.yaml'), source);
  conformance = await createConformance({ packagesDir: '/nonexistent-fhir-packages', profilesDir: dir });
});

const errors = (r: unknown) => issuesOf(conformance.validate(r));

describe('slicing discriminators and rules', () => {
  test('the snapshot generated from the differential has the slices and their children', () => {
    const ids = conformance.definitions.structureDefinition(PROFILE)?.snapshot?.element?.map((e) => e.id) ?? [];
    expect(ids).toContain('Observation.component:systolic.code');
    expect(ids).toContain('Observation.component:diastolic.valueQuantity'.replace('valueQuantity', 'value[x]'));
    expect(ids.indexOf('Observation.component:systolic')).toBeGreaterThan(ids.indexOf('Observation.component.modifierExtension'));
  });

  test('a conforming resource has no errors', () => {
    expect(errors(valid())).toEqual([]);
  });

  test.each([
    ['value: slice cardinality, a required slice missing', (r: ReturnType<typeof valid>) => (r.component = [component('8480-6', 1)]), 'Observation.component'],
    ['value: closed slicing rejects an item of no slice', (r: ReturnType<typeof valid>) => r.component.push(component('9999-9', 1)), 'Observation.component[2]'],
    ['value: ordered slicing rejects items out of order', (r: ReturnType<typeof valid>) => r.component.reverse(), 'Observation.component[1]'],
    ['value: slice max exceeded', (r: ReturnType<typeof valid>) => r.component.push(component('8480-6', 1)), 'Observation.component'],
    ['pattern: the required category slice is missing', (r: ReturnType<typeof valid>) => (r.category = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }]), 'Observation.category'],
    ['exists: no identifier has a system', (r: ReturnType<typeof valid>) => (r.identifier = [{ value: 'a' }]), 'Observation.identifier'],
    ['type: the value must be a Quantity', (r: ReturnType<typeof valid>) => { delete (r as Record<string, unknown>).valueQuantity; (r as Record<string, unknown>).valueString = 'x'; }, 'Observation.value'],
    ['profile: a contained member that is not a heart rate', (r: ReturnType<typeof valid>) => (r.contained[0] = { ...heartRate, code: { coding: [{ system: LOINC, code: '1-8' }] } }), 'Observation.hasMember'],
    ['fixed value differs', (r: ReturnType<typeof valid>) => (r.status = 'amended'), 'Observation.status'],
  ])('%s', (_name, mutate, expression) => {
    const r = valid();
    mutate(r);
    expect(errors(r)).toContain(expression);
  });

  test('profile: a member that cannot be resolved here is "could not check", not an error', () => {
    const r = valid();
    r.hasMember = [{ reference: 'Observation/elsewhere' }];
    delete (r as Record<string, unknown>).contained;
    const o = conformance.validate(r);
    expect(issuesOf(o)).toEqual([]);
    const info = (o.issue ?? []).filter((i) => i.severity === 'information' && /could not check slice 'heartRate'/.test(i.details?.text ?? ''));
    expect(info).toHaveLength(1);
  });
});
