// Delivers a care plan of the platform's record to the EHR that holds a referral it contains
// (outbox items `ehr:<name>` with a CarePlanPayload, enqueued by src/coordination/care-plans.ts):
// its Goals first, then the CarePlan, each found on the EHR by the gateway's identifier.
// - New there: conditional create on that identifier (FHIR R4 http.html#ccreate), so a
//   repeat after a lost answer never makes a second one.
// - Already there: read, and updated with If-Match of the version read only when its content
//   differs; on a version conflict (409/412) read again and re-apply, up to `rounds` times
//   (RELIABILITY.md scenario 6).
// References: the referral Task becomes the EHR's Task, its ServiceRequest the EHR Task's
// focus, the patient the EHR Task's patient, Goals the EHR's Goals; anything else points at
// the gateway's own resource, absolutely.
import type { CarePlan, Goal, Resource, Task } from '@medplum/fhirtypes';
import type { BusinessIdentifier, EhrClient } from '../ehr/ehr-client.ts';
import { isEhrConflict } from '../ehr/failures.ts';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { conflict } from '../fhir/outcomes.ts';
import type { CarePlanPayload } from '../coordination/care-plans.ts';
import type { Store } from '../store/store.ts';
import { rewriteReferences } from '../workflow/reference-rewrite.ts';
import { toAbsolute } from '../workflow/references.ts';
import { ehrVersionOf } from './ehr-tags.ts';
import type { DeliveryResult } from './outbox-worker.ts';

/** Business identifier of the care plans and Goals the gateway writes on an EHR. */
export const CARE_PLAN_SYNC_ID = 'https://w3id.org/social-care-gateway/fhir/NamingSystem/care-plan-sync-id';

export interface CarePlanDeliveryDeps {
  store: Store;
  client: EhrClient;
  gatewayBaseUrl: string;
  rounds: number;
}

const LOCAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

/** Same content: everything but id, meta and narrative, key order aside. */
function sameContent(a: Resource, b: Resource): boolean {
  return JSON.stringify(stripped(a)) === JSON.stringify(stripped(b));
}

function stripped(resource: Resource): unknown {
  const { id: _id, meta: _meta, text: _text, ...rest } = resource as Resource & { text?: unknown };
  const sort = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sort);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value as object).sort().map((k) => [k, sort((value as Record<string, unknown>)[k])]));
    }
    return value;
  };
  return sort(rest);
}

export async function deliverCarePlan(deps: CarePlanDeliveryDeps, payload: CarePlanPayload, signal?: AbortSignal): Promise<DeliveryResult> {
  const { store, client } = deps;
  const stored = await store.readResource<CarePlan>(payload.tenant, 'CarePlan', payload.id);
  if (!stored || stored.deleted) {
    return { kind: 'parked', reason: 'the care plan no longer exists' };
  }
  const plan = stored.resource;
  // The referral Tasks of this EHR the plan contains.
  const taskMap = new Map<string, string>();
  let ehrTask: Task | undefined;
  let platformFocus: string | undefined;
  for (const a of plan.activity ?? []) {
    const ref = a.reference?.reference;
    const m = ref ? LOCAL.exec(ref) : null;
    if (!m || m[1] !== 'Task') continue;
    const task = await store.readResource<Task>(payload.tenant, 'Task', m[2]);
    const key = task && !task.deleted ? ehrVersionOf(task.resource) : undefined;
    if (!key || key.resourceType !== 'Task') continue;
    taskMap.set(ref as string, `Task/${key.id}`);
    if (!ehrTask) {
      ehrTask = await client.read<Task>('Task', key.id, { signal });
      platformFocus = task?.resource.focus?.reference;
    }
  }
  if (!ehrTask) {
    return { kind: 'parked', reason: 'the care plan names no referral held by this EHR' };
  }
  const patient = ehrTask.for?.reference;
  const known = new Map<string, string>(taskMap);
  if (platformFocus && ehrTask.focus?.reference) known.set(platformFocus, ehrTask.focus.reference);

  const toEhr = <T extends Resource>(resource: T): T => {
    const { id: _id, meta: _meta, ...rest } = resource;
    return rewriteReferences({ ...rest } as T, (ref) => {
      const mapped = known.get(ref);
      if (mapped) return mapped;
      if (ref.startsWith('Patient/') && patient) return patient;
      return toAbsolute(ref, deps.gatewayBaseUrl);
    });
  };

  for (const g of plan.goal ?? []) {
    const m = g.reference ? LOCAL.exec(g.reference) : null;
    if (!m || m[1] !== 'Goal') continue;
    const goal = await store.readResource<Goal>(payload.tenant, 'Goal', m[2]);
    if (!goal || goal.deleted) continue;
    const ehrId = await push(deps, withIdentifier(toEhr(goal.resource), `Goal/${m[2]}`), signal);
    known.set(g.reference as string, `Goal/${ehrId}`);
  }
  await push(deps, withIdentifier(toEhr(plan), `CarePlan/${payload.id}`), signal);
  return { kind: 'delivered' };
}

function withIdentifier<T extends Resource & { identifier?: { system?: string; value?: string }[] }>(resource: T, value: string): T & { identifier: BusinessIdentifier[] } {
  const others = (resource.identifier ?? []).filter((i) => i.system !== CARE_PLAN_SYNC_ID);
  return { ...resource, identifier: [...others, { system: CARE_PLAN_SYNC_ID, value }] } as T & { identifier: BusinessIdentifier[] };
}

/** Creates or updates (If-Match) the EHR's copy found by the sync identifier; returns its id there. */
async function push<T extends Resource & { identifier: BusinessIdentifier[] }>(deps: CarePlanDeliveryDeps, body: T, signal?: AbortSignal): Promise<string> {
  const { client } = deps;
  const identifier = body.identifier.find((i) => i.system === CARE_PLAN_SYNC_ID) as BusinessIdentifier;
  const created = await client.conditionalCreate<T>(body, identifier, { signal });
  let current = created.resource;
  const id = current.id ?? '';
  for (let round = 0; round < deps.rounds; round++) {
    if (sameContent(current, body)) return id;
    const version = current.meta?.versionId ?? '';
    try {
      await client.update<T>({ ...body, id, meta: { versionId: version } } as T, version, { signal });
      return id;
    } catch (error) {
      if (!isEhrConflict(error)) throw error;
      // Someone wrote it on the EHR between our read and write: read again, re-apply.
      current = await client.read<T>(body.resourceType as T['resourceType'], id, { signal });
    }
  }
  throw new OperationOutcomeError(conflict(`EHR ${body.resourceType} still changing after ${deps.rounds} attempts; retried later`));
}
