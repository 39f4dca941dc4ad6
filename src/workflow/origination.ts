// Referrals in the other direction: a community organisation originates a referral, to
// another organisation or to a clinic. SDOHCC STU3 allows an Organization as
// Task.requester (us-core-organization target) and as ServiceRequest.requester; the pair is
// an SDOHCC ServiceRequest (intent order) and a TaskForReferralManagement (intent order,
// code fulfill, status requested) owned by the target.
import type { CodeableConcept, Identifier, Organization, Patient, Reference, ServiceRequest, Task } from '@medplum/fhirtypes';
import { deterministicId } from './references.ts';
import { PROFILE, TASK_CODE_FULFILL } from './sdohcc.ts';

export interface OriginatedReferralInput {
  /** The originating organisation (becomes requester of both resources). */
  requester: Reference<Organization>;
  /** Where it goes: a community organisation (its inbox) or a clinic (its EHR, through the outbox). */
  target: { kind: 'organization' | 'clinic'; reference: Reference<Organization> };
  patient: Reference<Patient>;
  /** What is requested (US Core procedure code). */
  code: CodeableConcept;
  /** SDOH category codings (SDOHCC-ValueSetSDOHCategory), e.g. food-insecurity. */
  category: CodeableConcept[];
  /** The originator's own identifier of the referral: ids derive from it. */
  identifier: Identifier;
  supportingInfo?: Reference[];
  reasonReference?: ServiceRequest['reasonReference'];
  priority?: Task['priority'];
  note?: string;
  now: string;
}

export interface OriginatedReferral {
  serviceRequest: ServiceRequest;
  task: Task;
  /** Delivery route: the target organisation's inbox, or the clinic EHR via the outbox. */
  route: 'inbox' | 'ehr-outbox';
}

export function buildOriginatedReferral(input: OriginatedReferralInput): OriginatedReferral {
  const key = [input.requester.reference ?? '', input.identifier.system ?? '', input.identifier.value ?? ''];
  const srId = deterministicId('osr', ...key);
  const taskId = deterministicId('otask', ...key);
  const serviceRequest: ServiceRequest = {
    resourceType: 'ServiceRequest',
    id: srId,
    meta: { profile: [PROFILE.serviceRequest] },
    identifier: [input.identifier],
    status: 'active',
    intent: 'order',
    category: input.category,
    code: input.code,
    subject: input.patient,
    authoredOn: input.now,
    requester: input.requester,
    performer: [input.target.reference],
  };
  if (input.supportingInfo?.length) serviceRequest.supportingInfo = input.supportingInfo;
  if (input.reasonReference?.length) serviceRequest.reasonReference = input.reasonReference;
  if (input.priority) serviceRequest.priority = input.priority;
  if (input.note) serviceRequest.note = [{ text: input.note }];

  const task: Task = {
    resourceType: 'Task',
    id: taskId,
    meta: { profile: [PROFILE.task] },
    identifier: [input.identifier],
    status: 'requested',
    intent: 'order',
    code: TASK_CODE_FULFILL,
    focus: { reference: `ServiceRequest/${srId}` },
    for: input.patient,
    authoredOn: input.now,
    requester: input.requester,
    owner: input.target.reference,
  };
  if (input.priority) task.priority = input.priority;
  return { serviceRequest, task, route: input.target.kind === 'clinic' ? 'ehr-outbox' : 'inbox' };
}
