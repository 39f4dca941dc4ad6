// The structural walk against the R4 base: FHIR JSON rules (json.html), unknown elements,
// cardinality and choice types (elementdefinition.html), resources nested in contained and
// Bundle entries, the issue limit.
import { describe, expect, test } from 'vitest';
import { baseConformance, issuesOf } from '../../test/conformance/support.ts';

const task = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Task', status: 'draft', intent: 'order', ...extra });

async function errors(resource: unknown, severity = 'error'): Promise<string[]> {
  return issuesOf((await baseConformance()).validate(resource), severity);
}

describe('FHIR JSON rules (json.html)', () => {
  test.each([
    ['resourceType missing', { status: 'draft' }, 'Resource'],
    ['unknown resourceType', { resourceType: 'Tusk' }, 'Resource.resourceType'],
    ['not an object', [1], 'Resource'],
    ['empty object (ele-1)', task({ executionPeriod: {} }), 'Task.executionPeriod'],
    ['object with only an id (ele-1)', task({ executionPeriod: { id: 'x' } }), 'Task.executionPeriod'],
    ['empty string', task({ description: '' }), 'Task.description'],
    ['empty array', task({ note: [] }), 'Task.note'],
    ['array for a single element', task({ description: ['a'] }), 'Task.description'],
    ['object for a repeating element', task({ note: { text: 'a' } }), 'Task.note'],
    ['null outside a primitive array', task({ description: null }), 'Task.description'],
    ['_x on a complex element', task({ _executionPeriod: { id: 'a' } }), 'Task._executionPeriod'],
    ['unknown property in _x', task({ _status: { value: 'x' } }), 'Task.status.value'],
    ['primitive of the wrong JSON type', task({ priority: 1 }), 'Task.priority'],
  ])('%s is an error', async (_name, resource, expression) => {
    expect(await errors(resource)).toContain(expression);
  });

  test('_x with an extension is allowed, and nulls pair primitive arrays with their extensions', async () => {
    const patient = {
      resourceType: 'Patient',
      birthDate: '1970-01-01',
      _birthDate: { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: '1970-01-01T10:00:00Z' }] },
      name: [{ given: ['A', null], _given: [null, { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unknown' }] }] }],
    };
    expect(await errors(patient)).toEqual([]);
  });
});

describe('elements and cardinality (elementdefinition.html)', () => {
  test.each([
    ['unknown element', task({ colour: 'red' }), 'Task.colour'],
    ['required element missing (Task.status 1..1)', { resourceType: 'Task', intent: 'order' }, 'Task.status'],
    ['required element inside a backbone (Task.input.type 1..1)', task({ input: [{ valueString: 'x' }] }), 'Task.input[0].type'],
    ['two types for one choice element', task({ input: [{ type: { text: 't' }, valueString: 'x', valueBoolean: true }] }), 'Task.input[0].value'],
    ['choice with a type it does not allow', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueHumanName: { text: 'x' } }, 'Observation.valueHumanName'],
    ['required code outside its value set', task({ status: 'almost-done' }), 'Task.status'],
    ['bad primitive inside a datatype', task({ executionPeriod: { start: '2023-02-30' } }), 'Task.executionPeriod.start'],
    ['choice value checked with its type', task({ input: [{ type: { text: 't' }, valueDate: '2023-02-30' }] }), 'Task.input[0].value.ofType(date)'],
  ])('%s', async (_name, resource, expression) => {
    expect(await errors(resource)).toContain(expression);
  });

  test('a valid resource has no errors', async () => {
    expect(await errors(task({ input: [{ type: { text: 't' }, valueReference: { reference: 'Patient/1' } }], executionPeriod: { start: '2024-01-01' } }))).toEqual([]);
  });
});

describe('nested resources', () => {
  test('contained resources are validated with indexed expressions', async () => {
    const r = task({ contained: [{ resourceType: 'Patient', id: 'p', gender: 'robot' }], for: { reference: '#p' } });
    expect(await errors(r)).toContain('Task.contained[0].gender');
  });

  test('Bundle entries are validated recursively, and references resolve by fullUrl', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: 'urn:uuid:2d4c5a9e-1f1e-4d64-9c1b-0b3f3f1c1a11', resource: { resourceType: 'Patient', gender: 'robot' } },
        { fullUrl: 'urn:uuid:5a1b2c3d-1f1e-4d64-9c1b-0b3f3f1c1a22', resource: { resourceType: 'Goal', lifecycleStatus: 'active', description: { text: 'x' }, subject: { reference: 'urn:uuid:2d4c5a9e-1f1e-4d64-9c1b-0b3f3f1c1a11' }, expressedBy: { reference: 'urn:uuid:5a1b2c3d-1f1e-4d64-9c1b-0b3f3f1c1a22' } } },
      ],
    };
    const e = await errors(bundle);
    expect(e).toContain('Bundle.entry[0].resource.gender');
    // Goal.expressedBy allows Patient, Practitioner, PractitionerRole, RelatedPerson: a Goal is not one.
    expect(e).toContain('Bundle.entry[1].resource.expressedBy');
    expect(e).not.toContain('Bundle.entry[1].resource.subject');
  });
});

describe('issue limit', () => {
  test('stops at the limit and says so', async () => {
    const many = task(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`unknown${i}`, 1])));
    const o = (await baseConformance()).validate(many, { maxIssues: 5 });
    expect(o.issue).toHaveLength(6);
    expect(o.issue?.[5].code).toBe('too-costly');
  });

  test('issues come out in the same order every time', async () => {
    const c = await baseConformance();
    const r = task({ colour: 1, note: [], priority: 'now', executionPeriod: {} });
    expect(JSON.stringify(c.validate(r))).toBe(JSON.stringify(c.validate(structuredClone(r))));
  });
});

describe('issue texts never quote input values', () => {
  test('invalid codes, dates and numbers are reported without their values', async () => {
    const canary = 'Zzcanary4471';
    const r = {
      resourceType: 'Patient',
      gender: canary,
      birthDate: `1970-02-30${canary}`,
      maritalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: canary }] },
      multipleBirthInteger: 1.5,
      communication: [{ language: { text: canary }, preferred: canary }],
    };
    const o = (await baseConformance()).validate(r);
    expect(issuesOf(o).length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(o)).not.toContain(canary);
  });
});
