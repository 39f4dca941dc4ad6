// Delivers outbox items `ehr:<name>` (enqueued by the coordinator when a source Task taken
// in from that EHR changed): pushes the platform's status, statusReason, businessStatus and
// outcomes to the EHR's Task.
// - FHIR R4 http.html#concurrency: every update carries If-Match of the EHR version just
//   read; on a conflict (409/412) the Task is re-read and the change re-applied, or parked
//   when the state machine no longer allows it (RELIABILITY.md scenario 6).
// - Outcome Procedures go first, by conditional create on the gateway's outcome identifier
//   (http.html#ccreate), so a repeat after a lost answer never makes a second one (scenario 5).
import type { Procedure, Resource, Task, TaskOutput } from '@medplum/fhirtypes';
import type { EhrClient } from '../ehr/ehr-client.ts';
import { isEhrConflict } from '../ehr/failures.ts';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { conflict } from '../fhir/outcomes.ts';
import type { OutboxItem, Store } from '../store/store.ts';
import { rewriteReferences } from '../workflow/reference-rewrite.ts';
import { isAbsolute, parseReference, toAbsolute } from '../workflow/references.ts';
import { ehrVersionOf, OUTCOME_ID_SYSTEM } from './ehr-tags.ts';
import type { Deliverer, DeliveryResult } from './outbox-worker.ts';
import { planPush } from './task-merge.ts';
import { isOriginatedDelivery } from '../coordination/platform.ts';
import { deliverOriginatedReferral } from './originated-delivery.ts';
import { isCarePlanPayload } from '../coordination/care-plans.ts';
import { deliverCarePlan } from './care-plan-delivery.ts';

export interface EhrDelivererOptions {
  store: Store;
  client: EhrClient;
  /** The EHR's FHIR base URL, ending in `/`. */
  ehrBaseUrl: string;
  /** The gateway's FHIR base URL, ending in `/`. */
  gatewayBaseUrl: string;
  /** Re-reads after a version conflict before the item is retried later. */
  maxConflictRounds?: number;
}

export interface TaskPayload {
  tenant: string;
  resourceType: 'Task';
  id: string;
}

export function isTaskPayload(value: unknown): value is TaskPayload {
  const p = value as Partial<TaskPayload> | null;
  return typeof p === 'object' && p !== null && typeof p.tenant === 'string' && p.resourceType === 'Task' && typeof p.id === 'string';
}

export function createEhrDeliverer(options: EhrDelivererOptions): Deliverer {
  const { store, client } = options;
  const rounds = options.maxConflictRounds ?? 5;

  return {
    async deliver(item: OutboxItem, signal?: AbortSignal): Promise<DeliveryResult> {
      if (isOriginatedDelivery(item.payload)) {
        // A referral an organisation originated for a clinic of this EHR: created there.
        return deliverOriginatedReferral({ store, client, gatewayBaseUrl: options.gatewayBaseUrl }, item.payload, signal);
      }
      if (isCarePlanPayload(item.payload)) {
        // A care plan containing a referral this EHR holds: its Goals and the CarePlan, with If-Match.
        return deliverCarePlan({ store, client, gatewayBaseUrl: options.gatewayBaseUrl, rounds }, item.payload, signal);
      }
      if (!isTaskPayload(item.payload)) {
        return { kind: 'parked', reason: 'the outbox item does not name a Task' };
      }
      const { tenant, id } = item.payload;
      const current = await store.readResource<Task>(tenant, 'Task', id);
      if (!current || current.deleted) {
        return { kind: 'parked', reason: 'the platform Task no longer exists' };
      }
      const key = ehrVersionOf(current.resource);
      if (!key || key.resourceType !== 'Task') {
        return { kind: 'parked', reason: 'the platform Task does not record its EHR Task' };
      }
      const local = current.resource;
      const outputs = await pushOutputs(tenant, local, key.id, signal);
      for (let round = 0; round < rounds; round++) {
        const ehrTask = await client.read<Task>('Task', key.id, { signal });
        const plan = planPush(ehrTask, local, outputs);
        if (plan.kind === 'none') {
          return { kind: 'delivered' };
        }
        if (plan.kind === 'park') {
          return { kind: 'parked', reason: plan.reason };
        }
        try {
          let version = ehrTask.meta?.versionId ?? '';
          for (const step of plan.steps) {
            const stored = await client.update<Task>({ ...step, meta: { ...step.meta, versionId: version } }, version, { signal });
            version = stored.meta?.versionId ?? '';
          }
          return { kind: 'delivered' };
        } catch (error) {
          if (!isEhrConflict(error)) {
            throw error;
          }
          // Someone else wrote the EHR Task between our read and write: read again, re-apply.
        }
      }
      throw new OperationOutcomeError(conflict(`EHR Task still changing after ${rounds} attempts; retried later`));
    },
  };

  /** Creates the outcome Procedures on the EHR (once each) and returns the outputs pointing at them. */
  async function pushOutputs(tenant: string, local: Task, ehrTaskId: string, signal?: AbortSignal): Promise<TaskOutput[]> {
    const outputs: TaskOutput[] = [];
    for (const output of local.output ?? []) {
      const ref = output.valueReference?.reference;
      const match = ref ? /^Procedure\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
      if (!match) {
        outputs.push(output);
        continue;
      }
      const procedure = await store.readResource<Procedure>(tenant, 'Procedure', match[1]);
      if (!procedure || procedure.deleted) {
        continue;
      }
      const body = await toEhrProcedure(tenant, procedure.resource, local, ehrTaskId);
      const identifier = { system: OUTCOME_ID_SYSTEM, value: match[1] };
      const result = await client.conditionalCreate<Procedure>({ ...body, identifier: [...(body.identifier ?? []), identifier] }, identifier, { signal });
      outputs.push({ ...output, valueReference: { reference: `Procedure/${result.resource.id}` } });
    }
    return outputs;
  }

  /** References rewritten from the platform's resources to the EHR's originals (Meta.source of local copies). */
  async function toEhrProcedure(tenant: string, procedure: Procedure, local: Task, ehrTaskId: string): Promise<Procedure> {
    const refs = collectRelative(procedure);
    const known = new Map<string, string>([[`Task/${local.id}`, `Task/${ehrTaskId}`]]);
    for (const ref of refs) {
      const [type, id] = ref.split('/');
      // One read by id each: a Procedure names few resources.
      const version = await store.readResource(tenant, type as Resource['resourceType'], id);
      const source = version && !version.deleted ? version.resource.meta?.source : undefined;
      if (source && isAbsolute(source)) {
        known.set(ref, fromEhr(source));
      }
    }
    const { id: _id, meta: _meta, ...rest } = procedure;
    return rewriteReferences({ ...rest } as Procedure, (ref) => {
      const mapped = known.get(ref);
      if (mapped) {
        return mapped;
      }
      // Not a copy of an EHR resource: point at the gateway's own, absolutely.
      return isAbsolute(ref) ? fromEhr(ref) : toAbsolute(ref, options.gatewayBaseUrl);
    });
  }

  /** Relative when on the EHR's base (how the EHR itself refers to its resources), absolute otherwise. */
  function fromEhr(absolute: string): string {
    const parsed = parseReference(absolute);
    return parsed?.base && sameBaseUrl(parsed.base, options.ehrBaseUrl) ? `${parsed.resourceType}/${parsed.id}` : absolute;
  }
}

function collectRelative(resource: Resource): string[] {
  const found = new Set<string>();
  rewriteReferences(resource, (ref) => {
    if (/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(ref)) {
      found.add(ref);
    }
    return ref;
  });
  return [...found];
}

function sameBaseUrl(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
