// Every example of SDOHCC 3.0.0 validates against its meta.profile with no error; what the
// package cannot let us check (VSAC value sets, missing definitions) shows as warnings or
// information, never errors.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { packagesDir, packagesSkipReason, SDOHCC_PACKAGE } from '../support/packages-dir.ts';
import { errorsOf, testConformance } from './support.ts';

const dir = packagesDir();
const examples = dir ? path.join(dir, SDOHCC_PACKAGE, 'package', 'example') : '';
const files = dir ? readdirSync(examples).filter((f) => f.endsWith('.json')).sort() : [];

describe.skipIf(!dir)(`SDOHCC 3.0.0 examples (${dir ? 'packages found' : packagesSkipReason})`, () => {
  test('the example folder holds all 69 examples', () => {
    expect(files.length).toBe(69);
  });

  test.each(files)('%s validates against its meta.profile with no error', async (file) => {
    const conformance = await testConformance();
    const resource = JSON.parse(readFileSync(path.join(examples, file), 'utf8'));
    const o = conformance.validate(resource);
    expect(errorsOf(o)).toEqual([]);
    // The profile was really used: no "not known here" for the profiles the example claims.
    const unknownProfile = (o.issue ?? []).filter((i) => /^Profile .* is not known here/.test(i.details?.text ?? ''));
    expect(unknownProfile).toEqual([]);
  });

  test('a value set from VSAC that is not in the package is a warning that says so', async () => {
    const conformance = await testConformance();
    const resource = JSON.parse(readFileSync(path.join(examples, 'PractitionerRole-SDOHCC-PractitionerRolePatWilliamsMSWExample.json'), 'utf8'));
    const o = conformance.validate(resource);
    const vsac = (o.issue ?? []).filter((i) => (i.details?.text ?? '').includes('cts.nlm.nih.gov'));
    expect(vsac.length).toBeGreaterThan(0);
    expect(vsac.every((i) => i.severity === 'warning' && /could not check/i.test(i.details?.text ?? ''))).toBe(true);
  });

  test('a package profile without a snapshot whose base is missing is a warning that says why, and the base still applies', async () => {
    const conformance = await testConformance();
    const o = conformance.validate({
      resourceType: 'QuestionnaireResponse',
      meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse'] },
      status: 'not-a-status',
    });
    const warning = (o.issue ?? []).find((i) => i.severity === 'warning' && i.expression?.[0] === 'QuestionnaireResponse');
    expect(warning?.details?.text).toMatch(/no snapshot.*sdc-questionnaireresponse is not available/);
    expect(errorsOf(o).map((e) => e.expression)).toContain('QuestionnaireResponse.status');
  });

  test('SDOH-Con-2 (FHIRPath memberOf) is answered from local terminology', async () => {
    const conformance = await testConformance();
    const resource = JSON.parse(readFileSync(path.join(examples, 'Condition-SDOHCC-ConditionHomelessExample.json'), 'utf8')) as { category: unknown[] };
    expect((conformance.validate(resource).issue ?? []).some((i) => /SDOH-Con-2/.test(i.details?.text ?? ''))).toBe(false);
    resource.category = resource.category.filter((c) => !/encounter-diagnosis|health-concern|problem-list/.test(JSON.stringify(c)));
    const failed = (conformance.validate(resource).issue ?? []).filter((i) => i.severity === 'error' && /SDOH-Con-2 failed/.test(i.details?.text ?? ''));
    expect(failed.map((i) => i.expression?.[0])).toEqual(['Condition']);
  });
});
