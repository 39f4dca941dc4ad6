// The project's case-management CarePlan profile and its terminology, against the valid
// and invalid examples under examples/careplan/.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { packagesDir, packagesSkipReason } from '../support/packages-dir.ts';
import { errorsOf, testConformance } from './support.ts';

const root = path.resolve(fileURLToPath(new URL('../../examples/careplan', import.meta.url)));
const read = (dir: string, file: string): unknown => JSON.parse(readFileSync(path.join(root, dir, file), 'utf8'));

const INVALID: Record<string, string> = {
  'CarePlan-missing-addresses.json': 'CarePlan.addresses',
  'CarePlan-unknown-activity-kind.json': 'CarePlan.category[1].coding[0]',
  'CarePlan-goal-not-a-goal.json': 'CarePlan.goal[0]',
  'CarePlan-completed-without-end.json': 'CarePlan',
  'CarePlan-no-assess-plan-category.json': 'CarePlan.category',
  'Goal-unknown-definer.json': 'Goal.extension[0].value.ofType(code)',
};

describe.skipIf(!packagesDir())(`case-management CarePlan examples (${packagesDir() ? 'packages found' : packagesSkipReason})`, () => {
  test('the project profiles load without issues', async () => {
    const conformance = await testConformance();
    expect(conformance.loadIssues).toEqual([]);
    expect(conformance.definitions.structureDefinition('https://w3id.org/social-care-gateway/fhir/StructureDefinition/case-management-careplan')?.snapshot?.element?.length).toBeGreaterThan(60);
  });

  test.each(readdirSync(path.join(root, 'valid')).sort())('valid/%s has no errors', async (file) => {
    const conformance = await testConformance();
    expect(errorsOf(conformance.validate(read('valid', file)))).toEqual([]);
  });

  test('every invalid example is listed with the expression of its error', () => {
    expect(readdirSync(path.join(root, 'invalid')).sort()).toEqual(Object.keys(INVALID).sort());
  });

  test.each(Object.entries(INVALID))('invalid/%s fails at %s', async (file, expression) => {
    const conformance = await testConformance();
    const errors = errorsOf(conformance.validate(read('invalid', file)));
    expect(errors.map((e) => e.expression)).toContain(expression);
  });

  test('the profile can be asked for explicitly, without meta.profile', async () => {
    const conformance = await testConformance();
    const resource = read('invalid', 'CarePlan-missing-addresses.json') as { meta?: unknown };
    delete resource.meta;
    expect(errorsOf(conformance.validate(resource))).toEqual([]);
    const o = conformance.validate(resource, { profiles: ['https://w3id.org/social-care-gateway/fhir/StructureDefinition/case-management-careplan'] });
    expect(errorsOf(o).map((e) => e.expression)).toContain('CarePlan.addresses');
  });
});
