// Canonical URLs and codes of SDOHCC STU3 (hl7.fhir.us.sdoh-clinicalcare 3.0.0) used by the
// workflow rules.
import type { CodeableConcept } from '@medplum/fhirtypes';

export const SDOHCC = 'http://hl7.org/fhir/us/sdoh-clinicalcare';

export const PROFILE = {
  task: `${SDOHCC}/StructureDefinition/SDOHCC-TaskForReferralManagement`,
  serviceRequest: `${SDOHCC}/StructureDefinition/SDOHCC-ServiceRequest`,
  procedure: `${SDOHCC}/StructureDefinition/SDOHCC-Procedure`,
  consent: `${SDOHCC}/StructureDefinition/SDOHCC-Consent`,
} as const;

/** SDOHCC-CodeSystemTemporaryCodes: Task.input/output types and SDOH categories. */
export const TEMPORARY_CODES = `${SDOHCC}/CodeSystem/SDOHCC-CodeSystemTemporaryCodes`;

/** FHIR R4 task-code#fulfill, fixed by the SDOHCC Task profile (Task.code pattern). */
export const TASK_CODE_FULFILL: CodeableConcept = {
  coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill', display: 'Fulfill the focal request' }],
};

/** Task.output slice PerformedActivityReference / PerformedActivityCode type. */
export const RESULTING_ACTIVITY: CodeableConcept = {
  coding: [{ system: TEMPORARY_CODES, code: 'resulting-activity', display: 'Resulting Activity' }],
};

/** FHIR R4 extension resource-pertainsToGoal, must-support on SDOHCC-ServiceRequest. */
export const PERTAINS_TO_GOAL = 'http://hl7.org/fhir/StructureDefinition/resource-pertainsToGoal';

export function hasCode(concept: CodeableConcept | undefined, system: string, code: string): boolean {
  return (concept?.coding ?? []).some((c) => c.system === system && c.code === code);
}
