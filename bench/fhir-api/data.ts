// Synthetic SDOHCC referral data for the FHIR API benchmark: owners, ServiceRequests and the
// Tasks that focus on them, shaped like SDOHCC-TaskForReferralManagement (valid for writes).
import type { Organization, ServiceRequest, Task } from '@medplum/fhirtypes';

export const OWNERS = 200;
const PATIENTS = 5000;
export const STATUSES: Task['status'][] = ['requested', 'accepted', 'in-progress', 'completed', 'rejected', 'cancelled'];
const SDOHCC = 'http://hl7.org/fhir/us/sdoh-clinicalcare/StructureDefinition';

export function makeOrganization(i: number): Organization & { id: string } {
  return {
    resourceType: 'Organization',
    id: `org-${i}`,
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'cg' }] }],
    name: `Community Organisation ${i}`,
  };
}

export function makeServiceRequest(i: number): ServiceRequest & { id: string } {
  return {
    resourceType: 'ServiceRequest',
    id: `sr-${i}`,
    meta: { profile: [`${SDOHCC}/SDOHCC-ServiceRequest`] },
    identifier: [{ system: 'urn:bench:referral', value: `R-${i}` }],
    status: 'active',
    intent: 'order',
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: '410606002', display: 'Social service procedure' }] }],
    code: { coding: [{ system: 'http://snomed.info/sct', code: '467771000124109' }] },
    subject: { reference: `Patient/pat-${i % PATIENTS}` },
    authoredOn: '2026-11-20T15:04:00Z',
    performer: [{ reference: `Organization/org-${(i * 7) % OWNERS}` }],
  };
}

export function makeTask(i: number): Task & { id: string } {
  return {
    resourceType: 'Task',
    id: `task-${i}`,
    meta: { profile: [`${SDOHCC}/SDOHCC-TaskForReferralManagement`] },
    identifier: [{ system: 'urn:bench:referral', value: `R-${i}` }],
    status: STATUSES[i % STATUSES.length],
    intent: 'order',
    code: { coding: [{ system: 'http://hl7.org/fhir/CodeSystem/task-code', code: 'fulfill' }] },
    focus: { reference: `ServiceRequest/sr-${i}` },
    for: { reference: `Patient/pat-${i % PATIENTS}` },
    authoredOn: '2026-11-20T15:05:00Z',
    requester: { reference: 'Organization/org-0' },
    owner: { reference: `Organization/org-${(i * 7) % OWNERS}` },
  };
}

/** A new Task for the write measurement (server-assigned id). */
export function newTaskBody(i: number): Task {
  const { id: _id, ...task } = makeTask(i);
  return { ...task, identifier: [{ system: 'urn:bench:write', value: `W-${i}` }] };
}
