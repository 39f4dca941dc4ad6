// Referrals originated by a community organisation (to another organisation or to a clinic).
import type { Task } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { party } from '../../src/workflow/actor.ts';
import { buildOriginatedReferral, type OriginatedReferralInput } from '../../src/workflow/origination.ts';
import { checkTaskChange } from '../../src/workflow/task-change.ts';
import { packagesDir } from '../support/packages-dir.ts';
import { type ProfileValidator, profileValidator } from './support/profile-validator.ts';

const SDOHCC = 'http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition';

const input: OriginatedReferralInput = {
  requester: { reference: 'Organization/food-bank' },
  target: { kind: 'clinic', reference: { reference: 'Organization/SDOHCC-OrganizationClinicExample' } },
  patient: { reference: 'Patient/pat-53234' },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '710925007', display: 'Provision of food' }] },
  category: [{ coding: [{ system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes', code: 'food-insecurity' }] }],
  identifier: { system: 'https://food-bank.example.org/cases', value: 'case-77' },
  now: '2026-03-02T09:00:00Z',
};

describe('an organisation originates a referral', () => {
  let validator: ProfileValidator | undefined;
  beforeAll(async () => {
    validator = await profileValidator();
  });

  it('builds an SDOHCC ServiceRequest + Task with the organisation as requester and the target as owner', () => {
    const { serviceRequest, task, route } = buildOriginatedReferral(input);
    expect(route).toBe('ehr-outbox');
    expect(serviceRequest).toMatchObject({ intent: 'order', status: 'active', requester: input.requester, subject: input.patient, performer: [input.target.reference] });
    expect(task).toMatchObject({ status: 'requested', intent: 'order', requester: input.requester, owner: input.target.reference, focus: { reference: `ServiceRequest/${serviceRequest.id}` } });
    expect(checkTaskChange(undefined, task, party('Organization/food-bank'))).toEqual([]);
    expect(checkTaskChange(undefined, task, party('Organization/SDOHCC-OrganizationClinicExample')).map((i) => i.details?.text)).toEqual([
      'SDOHCC task creation: only the requester may create a referral Task',
    ]);
  });

  it.skipIf(packagesDir() === undefined)('validates against the SDOHCC profiles', () => {
    const { serviceRequest, task } = buildOriginatedReferral(input);
    expect(validator?.errors(serviceRequest, `${SDOHCC}/SDOHCC-ServiceRequest`)).toEqual([]);
    expect(validator?.errors(task, `${SDOHCC}/SDOHCC-TaskForReferralManagement`)).toEqual([]);
  });

  it('routes to an organisation inbox and derives the same ids from the same identifier', () => {
    const toOrg = buildOriginatedReferral({ ...input, target: { kind: 'organization', reference: { reference: 'Organization/shelter' } } });
    expect(toOrg.route).toBe('inbox');
    expect(toOrg.task.id).toBe(buildOriginatedReferral(input).task.id);
    const other = buildOriginatedReferral({ ...input, identifier: { ...input.identifier, value: 'case-78' } });
    expect(other.task.id).not.toBe(toOrg.task.id);
  });

  it('lets the clinic accept and the originating organisation cancel', () => {
    const { task } = buildOriginatedReferral(input);
    const accepted: Task = { ...task, status: 'accepted' };
    expect(checkTaskChange(task, accepted, party('Organization/SDOHCC-OrganizationClinicExample'))).toEqual([]);
    expect(checkTaskChange(accepted, { ...accepted, status: 'cancelled', statusReason: { text: 'Need met elsewhere' } }, party('Organization/food-bank'))).toEqual([]);
  });
});
