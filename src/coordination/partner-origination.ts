// A referral an organisation without FHIR originates in its own format (its referral mapping,
// partner -> FHIR): the record becomes an SDOHCC ServiceRequest + Task with the organisation as
// requester and the target (`assignedTo.id`: another organisation's inbox, or a clinic reached
// through an EHR) as owner, written through the FHIR API core in the organisation's tenant in
// one store transaction, so validation, the workflow rules and the coordinator (offer to the
// target, or the outbox item for the clinic's EHR) apply as to a referral posted over FHIR.
// The record's organisations and practitioner stand for the requester and the target, whose
// references the gateway already holds: they are not stored again.
import type { Consent, OperationOutcomeIssue, Organization, Reference, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest, hasErrors, issue, outcome } from '../fhir/index.ts';
import type { MappingEngine } from '../mapping/index.ts';
import type { RestContext } from '../rest/context.ts';
import type { FhirRest } from '../rest/fhir-rest.ts';
import type { Partner, Store } from '../store/store.ts';
import { consentDecision } from '../workflow/index.ts';
import { PARTNER_REFERRAL_ID, type PlatformSettings } from './platform.ts';

export interface OriginationDeps {
  store: Store;
  rest: FhirRest;
  engine: MappingEngine;
  settings: PlatformSettings;
}

export interface OriginationResult {
  /** The originator's own id of the referral (its `referralId`). */
  referralId: string;
  /** The referral's Task in the originator's tenant (FHIR API: `Task/<taskId>`). */
  taskId: string;
  /** The Task status (FHIR code): `requested` until the target answers. */
  taskStatus: string;
  /** Where it goes: another organisation's inbox, or a clinic's EHR. */
  route: 'inbox' | 'ehr';
  /** False when the same referralId had been received before (nothing written again). */
  created: boolean;
}

/** Resource types of the record that stand for parties the gateway already knows. */
const PARTY_TYPES = new Set(['Organization', 'Practitioner', 'PractitionerRole']);

export async function originateFromPartner(deps: OriginationDeps, ctx: RestContext, partner: Partner, record: unknown, now: string): Promise<OriginationResult> {
  const mapped = deps.engine.map(partner.mapping, 'to-fhir', record, { partner: partner.id, skipValidation: true });
  if (hasErrors(mapped.outcome) || !mapped.resources) {
    throw new OperationOutcomeError(outcome('bad-request', mapped.outcome.issue.filter((i) => i.severity !== 'information')));
  }
  const resources = mapped.resources;
  const task = resources.find((r): r is Task => r.resourceType === 'Task');
  const sr = resources.find((r): r is ServiceRequest => r.resourceType === 'ServiceRequest');
  const referralId = task?.identifier?.find((i) => i.system === PARTNER_REFERRAL_ID)?.value;
  if (!task?.id || !sr || !referralId) {
    throw new OperationOutcomeError(badRequest(`The "${partner.mapping}" mapping does not make a referral (Task and ServiceRequest) of this record`));
  }
  if (task.status !== 'requested') {
    throw new OperationOutcomeError(unprocessable('A referral an organisation originates starts with status "new"', 'status'));
  }
  const target = targetOf(record);
  const route = await routeOf(deps, partner, target);

  // Parties: the requester is the organisation itself (SDOHCC allows an Organization as
  // requester), the owner the target; the record's copies of them are not stored.
  const ownerRef = task.owner?.reference;
  const parties = new Map<string, string>();
  for (const resource of resources) {
    if (PARTY_TYPES.has(resource.resourceType)) {
      const ref = `${resource.resourceType}/${resource.id}`;
      parties.set(ref, ref === ownerRef ? target : partner.organization);
    }
  }
  const rename = (ref: Reference | undefined): Reference | undefined => (ref?.reference && parties.has(ref.reference) ? { reference: parties.get(ref.reference) } : ref);
  const written: Resource[] = resources
    .filter((r) => !PARTY_TYPES.has(r.resourceType))
    .map((r) => {
      if (r.resourceType === 'Task') return { ...r, requester: { reference: partner.organization }, owner: { reference: target } };
      if (r.resourceType === 'ServiceRequest') return { ...r, requester: { reference: partner.organization }, performer: [{ reference: target }] };
      if (r.resourceType === 'Consent') return { ...r, organization: (r.organization ?? []).map((o) => (rename(o) ?? o) as Reference<Organization>) } as Consent;
      return r;
    });

  // Consent gate, before anything is stored: a referral that could never be disclosed to its
  // target is refused with the reason rather than kept waiting.
  const writtenSr = written.find((r): r is ServiceRequest => r.resourceType === 'ServiceRequest') as ServiceRequest;
  const consents = written.filter((r): r is Consent => r.resourceType === 'Consent');
  const decision = consentDecision({ serviceRequest: writtenSr, consents, policy: { requiresConsent: deps.settings.requiresConsent }, now, recipient: { reference: target } });
  if (!decision.allowed) {
    throw new OperationOutcomeError(outcome('unprocessable', decision.issues.map((i) => ({ ...i, expression: ['consent'] }))));
  }

  const existing = await deps.store.readResource<Task>(partner.tenant, 'Task', task.id);
  if (existing && !existing.deleted) {
    return { referralId, taskId: task.id, taskStatus: existing.resource.status, route, created: false };
  }
  const status = await deps.store.transaction(async (tx) => {
    // The Task last: when it is written, what it refers to is there for the coordinator.
    const ordered = [...written.filter((r) => r.resourceType !== 'Task'), ...written.filter((r) => r.resourceType === 'Task')];
    let last: Resource | undefined;
    for (const resource of ordered) {
      last = (await deps.rest.update(ctx, resource.resourceType, resource.id ?? '', resource, {}, tx)).resource as Resource | undefined;
    }
    return (last as Task | undefined)?.status ?? 'requested';
  });
  return { referralId, taskId: task.id, taskStatus: status, route, created: true };
}

/** `assignedTo.id`: the id of the target's Organization at the gateway. */
function targetOf(record: unknown): string {
  const id = (record as { assignedTo?: { id?: unknown } } | null)?.assignedTo?.id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(id)) {
    throw new OperationOutcomeError(badRequest('assignedTo.id must name the organisation the referral is for (its Organization id at the gateway)', 'assignedTo.id'));
  }
  return `Organization/${id}`;
}

/** A partner organisation's inbox, or a clinic an EHR routes; nothing else. */
async function routeOf(deps: OriginationDeps, partner: Partner, target: string): Promise<'inbox' | 'ehr'> {
  if (target === partner.organization) {
    throw new OperationOutcomeError(unprocessable('An organisation does not refer to itself', 'assignedTo.id'));
  }
  if ((await deps.store.listPartners()).some((p) => p.organization === target)) {
    return 'inbox';
  }
  if ((deps.settings.clinics ?? []).some((c) => c.organization === target)) {
    return 'ehr';
  }
  throw new OperationOutcomeError(unprocessable('assignedTo.id names no organisation the gateway delivers to (a partner, or a clinic of a configured EHR)', 'assignedTo.id'));
}

function unprocessable(text: string, expression: string): ReturnType<typeof outcome> {
  const found: OperationOutcomeIssue = issue('error', 'business-rule', text, expression);
  return outcome('unprocessable', [found]);
}
