// The profiles offered on the Validate page: the SDOHCC and US Core profiles a referral uses
// and the project's own, each listed only when its definition is loaded. Pure.

export interface ProfileChoice {
  url: string;
  title: string;
  resourceType: string;
}

const SDOHCC = 'http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition/';
const US_CORE = 'http://hl7.org/fhir/us/core/StructureDefinition/';
const OWN = 'https://w3id.org/social-care-gateway/fhir/StructureDefinition/';

export const PROFILE_CHOICES: readonly ProfileChoice[] = [
  { url: `${SDOHCC}SDOHCC-TaskForReferralManagement`, title: 'SDOHCC Task for referral management', resourceType: 'Task' },
  { url: `${SDOHCC}SDOHCC-ServiceRequest`, title: 'SDOHCC ServiceRequest', resourceType: 'ServiceRequest' },
  { url: `${SDOHCC}SDOHCC-Procedure`, title: 'SDOHCC Procedure', resourceType: 'Procedure' },
  { url: `${SDOHCC}SDOHCC-Consent`, title: 'SDOHCC Consent', resourceType: 'Consent' },
  { url: `${SDOHCC}SDOHCC-Goal`, title: 'SDOHCC Goal', resourceType: 'Goal' },
  { url: `${SDOHCC}SDOHCC-Condition`, title: 'SDOHCC Condition', resourceType: 'Condition' },
  { url: `${SDOHCC}SDOHCC-TaskForPatient`, title: 'SDOHCC Task for patient', resourceType: 'Task' },
  { url: `${US_CORE}us-core-patient`, title: 'US Core Patient', resourceType: 'Patient' },
  { url: `${OWN}case-management-careplan`, title: 'Case management CarePlan (this project)', resourceType: 'CarePlan' },
  { url: `${OWN}goal-defined-by`, title: 'Goal defined by (extension, this project)', resourceType: 'Extension' },
];

export function availableProfiles(isLoaded: (url: string) => boolean): ProfileChoice[] {
  return PROFILE_CHOICES.filter((p) => isLoaded(p.url));
}
