// A referral made in an EHR, the SDOHCC IG's own example resources, reaches a partner's
// inbox: the engine finds each role by following the Task's references, and partner ids
// fall back to resource ids where the EHR has no partner identifier.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMappingEngine, loadMappings, shippedMappingsDir } from '../../src/mapping/index.ts';
import { packagesDir, SDOHCC_PACKAGE } from '../support/packages-dir.ts';
import { testValidator } from './validator.ts';

const dir = packagesDir();
const EXAMPLES = [
  'Task-SDOHCC-TaskReferralManagementOrderFulfillmentCompletedExample.json',
  'ServiceRequest-SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample.json',
  'Patient-pat-53234.json',
  'PractitionerRole-SDOHCC-PractitionerRoleDrJanWaterExample.json',
  'Practitioner-SDOHCC-PractitionerDrJanWaterExample.json',
  'Organization-SDOHCC-OrganizationClinicExample.json',
  'Organization-SDOHCC-OrganizationCoordinationPlatformExample.json',
  'Condition-SDOHCC-ConditionFoodInsecurityExample.json',
  'Procedure-SDOHCC-ProcedureFoodPantryApplicationAssistanceExample.json',
];

describe.skipIf(!dir)('SDOHCC example referral to the partner inbox', async () => {
  const { validator } = await testValidator();
  const engine = createMappingEngine({ mappings: await loadMappings([shippedMappingsDir()]), validator });
  const entry = EXAMPLES.map((f) => ({ resource: JSON.parse(readFileSync(path.join(dir ?? '', SDOHCC_PACKAGE, 'package', 'example', f), 'utf8')) }));

  it('maps the IG example Task and what it references to a partner referral record', () => {
    const result = engine.map('referral', 'from-fhir', { resourceType: 'Bundle', type: 'collection', entry });
    expect(result.outcome.issue?.filter((i) => i.severity === 'error')).toEqual([]);
    expect(result.record).toEqual({
      referralId: 'SDOHCC-TaskReferralManagementOrderFulfillmentCompletedExample',
      status: 'completed',
      createdAt: '2020-09-11T21:56:54.671Z',
      need: { category: 'food' },
      service: { code: 'food-pantry-application' },
      client: {
        id: 'pat-53234',
        familyName: 'ABBAS',
        givenName: 'COLIN',
        gender: 'M',
        birthDate: '1987-02-20',
        phone: '555-555-5555',
        address: { line: '49 Meadow St', city: 'Mounds', state: 'OK', postalCode: '74047' },
      },
      referringOrganization: { id: 'SDOHCC-OrganizationClinicExample', name: 'Better Health Clinic' },
      referringPractitioner: { npi: '9941339100', familyName: 'Water', givenName: 'Jan', phone: '639 442 6719' },
      assignedTo: { id: 'SDOHCC-OrganizationCoordinationPlatformExample', name: 'ABC Coordination Platform' },
    });
  });
});
