// The native FHIRPath subset must give the same answer as the `fhirpath` package on every
// expression it accepts (FHIRPath N1 semantics, three-valued logic, singleton evaluation).
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { describe, expect, test } from 'vitest';
import { compileLite, Unsupported } from './fhirpath-lite.ts';

const observation = {
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '1-8' }] },
  valueQuantity: { value: 3, code: 'mg', system: 'http://unitsofmeasure.org' },
  component: [{ code: { coding: [{ system: 'http://loinc.org', code: '2-6' }] } }],
  effectivePeriod: { start: '2024-01-02T10:00:00Z', end: '2024-01-01T10:00:00+01:00' },
};
const empty = { resourceType: 'Observation', status: 'final' };

const env = { resource: {}, rootResource: {} };

const EXPRESSIONS = [
  '(identifier.count() + component.count()) > 0',
  "status = 'amended' implies component.first().code.is(CodeableConcept)",
  "code.coding.where(system = 'http://loinc.org').all(code.exists())",
  "code.coding.first().system.startsWith('http://loinc')",
  "code.coding.code.first().contains('-8')",
  'component.code.coding.intersect(%resource.code.coding).exists()',
  'valueQuantity.code.exists() implies ((valueQuantity.system = %ucum) and valueQuantity.value.exists())',
  'dataAbsentReason.empty() or value.empty()',
  'value.empty()',
  'value.exists()',
  "code.coding.where(system = 'http://loinc.org' and code = '1-8').exists()",
  "code.coding.exists(system = 'http://snomed.info/sct')",
  'component.code.coding.count() > 0',
  '(component.empty() and value.empty()) implies dataAbsentReason.exists()',
  "status = 'final' xor status = 'amended'",
  "status != 'final'",
  'value.code.empty() or value.system.exists()',
  'effectivePeriod.start.hasValue().not() or effectivePeriod.end.hasValue().not() or (effectivePeriod.start <= effectivePeriod.end)',
  'category.exists().not()',
  "category.coding.code = 'vital-signs'",
  'true and category.exists()',
  "(status = 'final') implies (issued.exists() or true)",
];

describe('native FHIRPath subset equals the fhirpath package', () => {
  test.each(EXPRESSIONS.flatMap((e) => [[e, 'full'], [e, 'empty']] as const))('%s on the %s resource', (expression, which) => {
    const resource = which === 'full' ? observation : empty;
    const expected = fhirpath.evaluate(resource, expression, { resource, rootResource: resource }, r4Model);
    expect(compileLite(expression)(resource, { resource, rootResource: resource })).toEqual(expected);
  });

  test.each(['a | b', 'a & b', "name in ('x')", '$index'])('%s is outside the subset and is left to the fhirpath package', (expression) => {
    expect(() => compileLite(expression)).toThrow(Unsupported);
  });

  test.each(['%context.empty()', 'reference.resolve().exists()', 'value.ofType(Quantity).exists()', "memberOf('x')", "name.matches('[a-z]+')"])(
    '%s compiles, and is left to the fhirpath package when evaluation reaches it',
    (expression) => {
      const f = compileLite(expression);
      expect(() => f({ name: 'x', reference: 'Patient/1' }, env)).toThrow(Unsupported);
    },
  );

  test('a left side that decides keeps evaluation native (obs-7 with no value)', () => {
    const f = compileLite('value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()');
    expect(f(empty, { resource: empty, rootResource: empty })).toEqual([true]);
    expect(f(observation, { resource: observation, rootResource: observation })).toEqual(
      fhirpath.evaluate(observation, 'value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()', { resource: observation, rootResource: observation }, r4Model),
    );
  });

  test('a comparison of different precisions is left to the fhirpath package at run time', () => {
    const f = compileLite('start <= end');
    expect(() => f({ start: '2024-01-01', end: '2024-01-01T10:00:00Z' }, env)).toThrow(Unsupported);
  });
});
