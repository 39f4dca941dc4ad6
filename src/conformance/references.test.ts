// Reference targets (type.targetProfile) and extensions checked against their definitions
// by URL (extensibility.html).
import { describe, expect, test } from 'vitest';
import { baseConformance, issuesOf } from '../../test/conformance/support.ts';

const validate = async (r: unknown) => (await baseConformance()).validate(r);
const task = (extra: Record<string, unknown>) => ({ resourceType: 'Task', status: 'draft', intent: 'order', ...extra });

describe('reference target types', () => {
  test.each([
    ['relative', 'Organization/1', false],
    ['absolute', 'https://ehr.example.org/fhir/Organization/1/_history/2', false],
    ['relative, wrong type', 'Observation/1', true],
    ['absolute, wrong type', 'https://ehr.example.org/fhir/Observation/1', true],
    ['urn:uuid outside a Bundle (cannot be told)', 'urn:uuid:2d4c5a9e-1f1e-4d64-9c1b-0b3f3f1c1a11', false],
  ])('Task.owner -> %s', async (_name, reference, wrong) => {
    const e = issuesOf(await validate(task({ owner: { reference } })));
    expect(e.includes('Task.owner')).toBe(wrong);
  });

  test('Reference.type is used when the URL does not tell', async () => {
    expect(issuesOf(await validate(task({ owner: { type: 'Observation', identifier: { value: '1' } } })))).toContain('Task.owner');
  });

  test('a contained target is checked by its resourceType', async () => {
    const r = task({ contained: [{ resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x' } }], owner: { reference: '#o' } });
    expect(issuesOf(await validate(r))).toContain('Task.owner');
  });
});

describe('extensions by URL', () => {
  test('a known extension is checked against its definition', async () => {
    const r = { resourceType: 'Patient', extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueString: 'Paris' }] };
    // patient-birthPlace takes an Address, not a string.
    expect(issuesOf(await validate(r))).toContain('Patient.extension[0].valueString');
  });

  test('an unknown extension is a warning that says it could not be checked', async () => {
    const r = { resourceType: 'Patient', extension: [{ url: 'http://example.org/fhir/StructureDefinition/unknown', valueString: 'x' }] };
    const o = await validate(r);
    expect(issuesOf(o)).toEqual([]);
    expect(issuesOf(o, 'warning')).toContain('Patient.extension[0]');
  });

  test('an unknown modifier extension is an error', async () => {
    const r = { resourceType: 'Patient', modifierExtension: [{ url: 'http://example.org/fhir/StructureDefinition/unknown', valueString: 'x' }] };
    expect(issuesOf(await validate(r))).toContain('Patient.modifierExtension[0]');
  });

  test('a profile named in meta.profile that is not known is a warning, never an error', async () => {
    const o = await validate({ resourceType: 'Patient', meta: { profile: ['http://example.org/StructureDefinition/nope'] } });
    expect(issuesOf(o)).toEqual([]);
    expect(issuesOf(o, 'warning')).toContain('Patient');
  });
});

describe('extension context (extensibility.html#context)', () => {
  const definedBy = { url: 'https://w3id.org/social-care-gateway/fhir/StructureDefinition/goal-defined-by', valueCode: 'client' };

  test('an extension used on a resource its context does not allow is an error', async () => {
    const plan = { resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: { reference: 'Patient/p' }, extension: [definedBy] };
    expect(issuesOf(await validate(plan))).toContain('CarePlan.extension[0]');
  });

  test('the same extension on Goal is fine', async () => {
    const goal = { resourceType: 'Goal', lifecycleStatus: 'active', description: { text: 'x' }, subject: { reference: 'Patient/p' }, extension: [definedBy] };
    expect(issuesOf(await validate(goal))).toEqual([]);
  });
});
