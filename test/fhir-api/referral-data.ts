// SDOHCC-shaped referral resources for the FHIR API suites, built to pass the write validation
// (SDOHCC 3.0.0 ServiceRequest, TaskForReferralManagement and Consent profiles), so the 422 on
// invalid writes stays on while clients and concurrency are exercised.
import type { Bundle, BundleEntry, Consent, Organization, Patient, ServiceRequest, Task } from '@medplum/fhirtypes';

export const SDOHCC = 'http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition';
export const TASK_PROFILE = `${SDOHCC}/SDOHCC-TaskForReferralManagement`;
export const SR_PROFILE = `${SDOHCC}/SDOHCC-ServiceRequest`;
export const CONSENT_PROFILE = `${SDOHCC}/SDOHCC-Consent`;
export const REFERRAL_SYSTEM = 'urn:example:test:referrals';

export function organization(name: string, id?: string): Organization {
  return {
    resourceType: 'Organization',
    ...(id ? { id } : {}),
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'cg', display: 'Community Group' }] }],
    name,
  };
}

export function patient(family: string, mrn: string, id?: string): Patient {
  return {
    resourceType: 'Patient',
    ...(id ? { id } : {}),
    identifier: [{ system: 'urn:example:test:mrn', value: mrn }],
    name: [{ family, given: ['Test'] }],
    gender: 'female',
    birthDate: '1984-03-12',
  };
}

export function consent(patientRef: string, orgRef: string, id?: string): Consent {
  return {
    resourceType: 'Consent',
    ...(id ? { id } : {}),
    meta: { profile: [CONSENT_PROFILE] },
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IDSCL' }] }],
    patient: { reference: patientRef },
    dateTime: '2026-11-02',
    organization: [{ reference: orgRef }],
    sourceAttachment: { contentType: 'application/pdf', title: 'Signed disclosure authorisation' },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentpolicycodes', code: 'hipaa-auth' }] },
    provision: { type: 'permit', period: { start: '2026-11-02', end: '2027-11-02' } },
  };
}

export interface ServiceRequestOptions {
  id?: string;
  referral: string;
  patientRef: string;
  performerRef: string;
  consentRef?: string;
  category?: 'food-insecurity' | 'homelessness';
  authoredOn?: string;
}

export function serviceRequest(o: ServiceRequestOptions): ServiceRequest {
  const category = o.category ?? 'food-insecurity';
  return {
    resourceType: 'ServiceRequest',
    ...(o.id ? { id: o.id } : {}),
    meta: { profile: [SR_PROFILE] },
    identifier: [{ system: REFERRAL_SYSTEM, value: o.referral }],
    status: 'active',
    intent: 'order',
    category: [
      { coding: [{ system: 'http://snomed.info/sct', code: '410606002', display: 'Social service procedure' }] },
      { coding: [{ system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes', code: category }] },
    ],
    code: { coding: [{ system: 'http://snomed.info/sct', code: '467771000124109', display: 'Assistance with application for food pantry program' }] },
    subject: { reference: o.patientRef },
    authoredOn: o.authoredOn ?? '2026-11-20T15:04:00Z',
    performer: [{ reference: o.performerRef }],
    ...(o.consentRef ? { supportingInfo: [{ reference: o.consentRef }] } : {}),
  };
}

export interface TaskOptions {
  id?: string;
  referral: string;
  focusRef: string;
  patientRef: string;
  ownerRef: string;
  /** Defaults to the owner (SDOHCC requires a requester). */
  requesterRef?: string;
  status?: Task['status'];
  authoredOn?: string;
  priority?: Task['priority'];
}

export function task(o: TaskOptions): Task {
  return {
    resourceType: 'Task',
    ...(o.id ? { id: o.id } : {}),
    meta: { profile: [TASK_PROFILE] },
    identifier: [{ system: REFERRAL_SYSTEM, value: o.referral }],
    status: o.status ?? 'requested',
    intent: 'order',
    ...(o.priority ? { priority: o.priority } : {}),
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
    focus: { reference: o.focusRef },
    for: { reference: o.patientRef },
    authoredOn: o.authoredOn ?? '2026-11-20T15:05:00Z',
    requester: { reference: o.requesterRef ?? o.ownerRef },
    owner: { reference: o.ownerRef },
  };
}

/** A transaction that creates one referral (organisation, patient, consent, ServiceRequest, Task) with urn:uuid links. */
export function referralTransaction(referral: string, uuid: (n: number) => string): Bundle {
  const [org, pat, con, sr, tk] = [1, 2, 3, 4, 5].map(uuid);
  const entries: [string, BundleEntry['resource']][] = [
    [org, organization(`Food Bank ${referral}`)],
    [pat, patient('Rivera', `mrn-${referral}`)],
    [con, consent(pat, org)],
    [sr, serviceRequest({ referral, patientRef: pat, performerRef: org, consentRef: con })],
    [tk, task({ referral, focusRef: sr, patientRef: pat, ownerRef: org })],
  ];
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: entries.map(([fullUrl, resource]) => ({ fullUrl, resource, request: { method: 'POST', url: resource!.resourceType } })),
  };
}
