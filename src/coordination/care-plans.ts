// Care plans in the workflow (issue 9): a partner's case plan (care-plan mapping, through the
// partner API) or a FHIR client's CarePlan is stored in the writer's tenant through the FHIR
// API core (validated against the profiles it claims, versioned), linked to the referrals it
// holds (CarePlan.activity.reference to their Tasks), copied into the platform's record with
// its Goals and what they name, and announced to the EHR that holds each linked referral by
// an outbox item `ehr:<name>` in the same transaction (src/sync/care-plan-delivery.ts pushes
// it with If-Match).
//
// - Partner records: `referralIds` names referrals of the partner's inbox; the plan, its
//   Goals and Conditions take the referral's patient as subject. Every post writes a new
//   CarePlan version; a Goal is written again only when it changed, so its history holds one
//   version per step the partner reported.
// - The platform's copy: references to the partner's downstream Tasks and ServiceRequests
//   point at the platform's source referral; the partner's own resources (Goals, Conditions,
//   CareTeam, Practitioners) are copied under ids derived from tenant and id; the partner
//   organisation is a contributor (the report's organisation of the plan).
import type { CarePlan, OperationOutcome, OperationOutcomeIssue, Reference, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { OperationOutcomeError, hasErrors, normalize, notFound, outcome } from '../fhir/index.ts';
import type { MappingEngine } from '../mapping/index.ts';
import type { RestContext, WriteEvent } from '../rest/context.ts';
import type { FhirRest } from '../rest/fhir-rest.ts';
import type { Partner, Store, StoredVersion, StoreOps } from '../store/store.ts';
import { rewriteReferences } from '../workflow/reference-rewrite.ts';
import { deterministicId } from '../workflow/references.ts';
import { ORIGIN_SYSTEM, PARTNER_REFERRAL_ID, type PlatformSettings } from './platform.ts';

/** Outbox reason and payload of a care plan to push to an EHR. */
export const CARE_PLAN_CHANGED = 'care-plan-changed';
export interface CarePlanPayload {
  tenant: string;
  resourceType: 'CarePlan';
  id: string;
}

export function isCarePlanPayload(value: unknown): value is CarePlanPayload {
  const p = value as Partial<CarePlanPayload> | null;
  return typeof p === 'object' && p !== null && typeof p.tenant === 'string' && p.resourceType === 'CarePlan' && typeof p.id === 'string';
}

export type CarePlanResult =
  | {
      index: number;
      planId?: string;
      status: 'applied';
      carePlan: { id: string; versionId: string };
      goals: { id: string; versionId: string; changed: boolean }[];
      referralIds: string[];
    }
  | { index: number; planId?: string; status: 'rejected'; outcome: OperationOutcome };

export interface CarePlanDeps {
  store: Store;
  rest: FhirRest;
  engine: MappingEngine;
}

/** JSON records: one object, an array, or `{ "carePlans": [...] }`. */
export function carePlanRecordsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null && Array.isArray((body as { carePlans?: unknown }).carePlans)) return (body as { carePlans: unknown[] }).carePlans;
  return [body];
}

/** Types copied from a partner's tenant into the platform's record with a care plan. */
const COPIED: ReadonlySet<string> = new Set(['Goal', 'Condition', 'CareTeam', 'Practitioner', 'PractitionerRole']);
const WRITE_ORDER = ['Practitioner', 'PractitionerRole', 'CareTeam', 'Condition', 'Goal', 'CarePlan'];
const MAX_COPIED = 100;
const LOCAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

function referralIdsOf(record: unknown): string[] {
  const ids = (record as { referralIds?: unknown } | null)?.referralIds;
  if (ids === undefined) return [];
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id === '')) {
    throw new OperationOutcomeError(
      outcome('bad-request', [{ severity: 'error', code: 'structure', details: { text: 'referralIds must be a list of referral ids from your inbox' }, expression: ['referralIds'] }]),
    );
  }
  return [...new Set(ids as string[])];
}

/** Content without meta and narrative: what tells two versions apart. */
function content(resource: Resource): string {
  const { meta: _meta, text: _text, ...rest } = resource as Resource & { text?: unknown };
  return JSON.stringify(rest);
}

export async function applyPartnerCarePlans(deps: CarePlanDeps, ctx: RestContext, partner: Partner, records: unknown[]): Promise<CarePlanResult[]> {
  const results: CarePlanResult[] = [];
  for (const [index, record] of records.entries()) {
    const planId = typeof (record as { planId?: unknown } | null)?.planId === 'string' ? (record as { planId: string }).planId : undefined;
    try {
      const referralIds = referralIdsOf(record);
      const mapped = deps.engine.map('care-plan', 'to-fhir', record, { partner: partner.id, skipValidation: true });
      if (hasErrors(mapped.outcome) || !mapped.resources) {
        results.push({ index, planId, status: 'rejected', outcome: mapped.outcome });
        continue;
      }
      const resources = mapped.resources;
      const written = await deps.store.transaction(async (tx) => {
        const tasks: Task[] = [];
        for (const [i, referralId] of referralIds.entries()) tasks.push(await findReferral(tx, ctx.tenant, referralId, i));
        const patient = tasks.find((t) => t.for?.reference)?.for;
        const ordered = [...resources].sort((a, b) => WRITE_ORDER.indexOf(a.resourceType) - WRITE_ORDER.indexOf(b.resourceType));
        const goals: { id: string; versionId: string; changed: boolean }[] = [];
        let plan: { id: string; versionId: string } | undefined;
        for (const resource of ordered) {
          let body = resource;
          if (patient) body = rewriteReferences(body, (ref) => (ref.startsWith('Patient/') ? (patient.reference as string) : ref));
          if (body.resourceType === 'CarePlan') {
            const links = tasks.map((t) => ({ reference: { reference: `Task/${t.id}` } }));
            body = { ...body, activity: [...(body.activity ?? []), ...links] } as CarePlan;
          }
          const id = body.id ?? '';
          const current = await tx.readResource(ctx.tenant, body.resourceType, id);
          const changed = !current || current.deleted || content(current.resource) !== content(body);
          if (!changed && body.resourceType !== 'CarePlan') {
            if (body.resourceType === 'Goal') goals.push({ id, versionId: current.versionId, changed: false });
            continue;
          }
          const result = await deps.rest.update(ctx, body.resourceType, id, body, {}, tx);
          const versionId = result.resource?.meta?.versionId ?? '';
          if (body.resourceType === 'Goal') goals.push({ id, versionId, changed: true });
          if (body.resourceType === 'CarePlan') plan = { id, versionId };
        }
        if (!plan) throw new OperationOutcomeError(outcome('unprocessable', [{ severity: 'error', code: 'required', details: { text: 'The record made no CarePlan' } }]));
        return { plan, goals };
      });
      results.push({ index, planId, status: 'applied', carePlan: written.plan, goals: written.goals, referralIds });
    } catch (error) {
      results.push({ index, planId, status: 'rejected', outcome: normalize(error) });
    }
  }
  return results;
}

async function findReferral(tx: StoreOps, tenant: string, referralId: string, index: number): Promise<Task> {
  const found = await tx.search(tenant, {
    resourceType: 'Task',
    filters: [{ kind: 'token', param: 'identifier', values: [{ system: PARTNER_REFERRAL_ID, code: referralId }] }],
    count: 2,
  });
  const task = found.versions[0]?.resource as Task | undefined;
  if (!task) throw new OperationOutcomeError(notFound('No referral with this referralId in your inbox', `referralIds[${index}]`));
  return task;
}

/** The id of a partner resource's copy in the platform's record. */
export function platformCopyId(tenant: string, resourceType: string, id: string): string {
  return deterministicId('p', tenant, resourceType, id);
}

/** The coordinator's write hooks for CarePlans and their Goals (wired in coordinator.ts). */
export function carePlanHooks(settings: PlatformSettings) {
  const relative = (ref: string | undefined): string | undefined => {
    if (!ref) return undefined;
    const r = ref.startsWith(settings.baseUrl) ? ref.slice(settings.baseUrl.length) : ref;
    return LOCAL.test(r) ? r : undefined;
  };

  async function read<T extends Resource>(tx: StoreOps, tenant: string, ref: string | undefined): Promise<T | undefined> {
    const m = ref ? LOCAL.exec(ref) : null;
    if (!m) return undefined;
    const v = await tx.readResource<T>(tenant, m[1] as T['resourceType'], m[2]);
    return v && !v.deleted ? v.resource : undefined;
  }

  async function upsertIfChanged(tx: StoreOps, tenant: string, resource: Resource & { id: string }): Promise<StoredVersion | undefined> {
    const current = await tx.readResource(tenant, resource.resourceType, resource.id);
    if (current && !current.deleted && content(current.resource) === content(resource)) return undefined;
    const { meta, ...rest } = resource;
    const body = { ...rest, ...(meta?.profile || meta?.tag ? { meta: { profile: meta.profile, tag: meta.tag } } : {}) } as Resource & { id: string };
    return (await tx.updateResource(tenant, body)).version;
  }

  /** EHR connections holding the platform referral Tasks a care plan names. */
  async function ehrsOf(tx: StoreOps, carePlan: CarePlan): Promise<string[]> {
    const out = new Set<string>();
    for (const a of carePlan.activity ?? []) {
      const ref = relative(a.reference?.reference);
      if (!ref?.startsWith('Task/')) continue;
      const task = await read<Task>(tx, settings.tenant, ref);
      const origin = task?.meta?.tag?.find((t) => t.system === ORIGIN_SYSTEM)?.code;
      if (origin?.startsWith('ehr:')) out.add(origin);
    }
    return [...out];
  }

  /** Care plans announced in each transaction: a Goal and its CarePlan written together announce it once. */
  const announced = new WeakMap<StoreOps, Set<string>>();

  async function announce(tx: StoreOps, carePlan: CarePlan & { id: string }): Promise<void> {
    const done = announced.get(tx) ?? new Set<string>();
    announced.set(tx, done);
    for (const destination of await ehrsOf(tx, carePlan)) {
      const key = `${destination} ${carePlan.id}`;
      if (done.has(key)) continue;
      done.add(key);
      const payload: CarePlanPayload = { tenant: settings.tenant, resourceType: 'CarePlan', id: carePlan.id };
      await tx.enqueue({ destination, orderingKey: `CarePlan/${carePlan.id}`, reason: CARE_PLAN_CHANGED, payload });
    }
  }

  /** The live CarePlans of `tenant` that name Goal `goalId`. */
  async function plansOfGoal(tx: StoreOps, tenant: string, goalId: string): Promise<(CarePlan & { id: string })[]> {
    const found = await tx.search(tenant, { resourceType: 'CarePlan', filters: [{ kind: 'reference', param: 'goal', values: [`Goal/${goalId}`] }], count: 100 });
    return found.versions.map((v) => v.resource as CarePlan & { id: string });
  }

  /** A partner's CarePlan copied into the platform's record (with what it names), then announced. */
  async function mirror(tx: StoreOps, tenant: string, partnerPlan: CarePlan & { id: string }, actor: string | undefined): Promise<void> {
    const rename = new Map<string, string>();
    const copies: (Resource & { id: string })[] = [];
    const queue: Resource[] = [partnerPlan];
    const seen = new Set<string>([`CarePlan/${partnerPlan.id}`]);
    let patient: Reference | undefined;
    while (queue.length > 0 && seen.size <= MAX_COPIED) {
      const resource = queue.shift() as Resource;
      const refs: string[] = [];
      rewriteReferences(resource, (ref) => {
        refs.push(ref);
        return ref;
      });
      for (const ref of refs) {
        if (seen.has(ref) || !LOCAL.test(ref)) continue;
        seen.add(ref);
        const [type, id] = ref.split('/');
        if (type === 'Task') {
          // The partner's downstream Task: the platform's source referral it is part of.
          const task = await read<Task>(tx, tenant, ref);
          const source = relative(task?.partOf?.[0]?.reference);
          if (source) {
            rename.set(ref, source);
            const sourceTask = await read<Task>(tx, settings.tenant, source);
            if (sourceTask?.for?.reference) patient ??= sourceTask.for;
          }
        } else if (type === 'ServiceRequest') {
          const sr = await read<ServiceRequest>(tx, tenant, ref);
          const source = relative(sr?.basedOn?.[0]?.reference);
          if (source) rename.set(ref, source);
        } else if (COPIED.has(type)) {
          const found = await read<Resource & { id: string }>(tx, tenant, ref);
          if (found) {
            rename.set(ref, `${type}/${platformCopyId(tenant, type, id)}`);
            copies.push(found);
            queue.push(found);
          }
        }
      }
    }
    const map = (ref: string): string => {
      const renamed = rename.get(ref);
      if (renamed) return renamed;
      if (ref.startsWith('Patient/') && patient?.reference) return patient.reference;
      return ref;
    };
    const tag = { system: ORIGIN_SYSTEM, code: `partner:${tenant}` };
    const copyOf = <T extends Resource & { id: string }>(r: T): T => {
      const copy = rewriteReferences(structuredClone(r), map);
      copy.id = platformCopyId(tenant, r.resourceType, r.id);
      copy.meta = { ...(r.meta?.profile ? { profile: r.meta.profile } : {}), tag: [...(r.meta?.tag ?? []).filter((t) => t.system !== ORIGIN_SYSTEM), tag] };
      return copy;
    };
    for (const r of copies) await upsertIfChanged(tx, settings.tenant, copyOf(r));
    const plan = copyOf(partnerPlan);
    if (actor && !(plan.contributor ?? []).some((c) => c.reference === actor)) plan.contributor = [...(plan.contributor ?? []), { reference: actor }];
    await upsertIfChanged(tx, settings.tenant, plan);
    await announce(tx, plan);
  }

  return {
    /** Every Task or ServiceRequest a CarePlan's activities name exists in the writer's tenant. */
    async check(event: WriteEvent): Promise<OperationOutcomeIssue[]> {
      const plan = event.after as CarePlan | undefined;
      const issues: OperationOutcomeIssue[] = [];
      for (const [i, a] of (plan?.activity ?? []).entries()) {
        const ref = relative(a.reference?.reference);
        if (!ref || !(ref.startsWith('Task/') || ref.startsWith('ServiceRequest/'))) continue;
        if (!(await read(event.tx, event.ctx.tenant, ref))) {
          issues.push({ severity: 'error', code: 'not-found', details: { text: 'The activity names a referral that does not exist here' }, expression: [`CarePlan.activity[${i}].reference`] });
        }
      }
      return issues;
    },

    async afterWrite(event: WriteEvent & { version: StoredVersion }): Promise<void> {
      if (event.version.deleted) return;
      if (event.version.resource.resourceType === 'Goal') {
        // A step on a Goal alone (a FHIR client's achievement update) goes to the EHR with the
        // care plans naming it, as a CarePlan write does.
        for (const named of await plansOfGoal(event.tx, event.ctx.tenant, event.version.resource.id ?? '')) {
          if (event.ctx.tenant === settings.tenant) await announce(event.tx, named);
          else await mirror(event.tx, event.ctx.tenant, named, event.ctx.actor);
        }
        return;
      }
      const plan = event.version.resource as CarePlan & { id: string };
      if (event.ctx.tenant === settings.tenant) {
        await announce(event.tx, plan);
        return;
      }
      await mirror(event.tx, event.ctx.tenant, plan, event.ctx.actor);
    },
  };
}
