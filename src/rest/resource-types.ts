// The resource types the coordination-platform FHIR API serves: the server side of
// SDOHCC CapabilityStatement-SDOHCC-CoordinationPlatform plus the SHOULDs that matter for
// referrals, and CarePlan (the project's case-management profile).
import type { TypeInteraction } from '../http/capabilities.ts';

export const SERVED_TYPES = [
  'CarePlan',
  'CareTeam',
  'Condition',
  'Consent',
  'Device',
  'DocumentReference',
  'Goal',
  'Group',
  'HealthcareService',
  'Location',
  'Observation',
  'Organization',
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'Procedure',
  'Questionnaire',
  'QuestionnaireResponse',
  'RelatedPerson',
  'ServiceRequest',
  'Task',
] as const;

export const INTERACTIONS: TypeInteraction[] = ['read', 'vread', 'create', 'update', 'delete', 'history-instance', 'history-type', 'search-type'];

const SERVED = new Set<string>(SERVED_TYPES);

export function isServedType(type: string): boolean {
  return SERVED.has(type);
}
