// Delivers a referral an organisation originated to the EHR of the clinic it is for (outbox
// item `ehr:<name>` with an OriginatedDelivery payload, written by the coordinator in the same
// transaction as the referral). Each resource is created by conditional create on the
// gateway's business identifier (FHIR R4 http.html#ccreate), in dependency order: the
// patient, the Consents and Conditions the ServiceRequest names, the ServiceRequest, then the
// Task. A repeat after a lost answer finds what the first attempt created and creates nothing twice.
// References to what was created point at the EHR's copies; the organisations the EHR routes
// (the clinic, and the originator when the EHR routes it too) stay as the EHR knows them, so its
// requester-side queries find the Task; everything else points at the gateway, absolutely. The EHR's Task is
// partOf the platform's Task, so when the sync engine takes it in, the coordinator knows whose
// answer it carries.
import type { Reference, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { GATEWAY_RESOURCE_ID, ORIGIN_SYSTEM, type OriginatedDelivery } from '../coordination/platform.ts';
import type { EhrClient } from '../ehr/ehr-client.ts';
import type { Store } from '../store/store.ts';
import { rewriteReferences } from '../workflow/reference-rewrite.ts';
import { isAbsolute, toAbsolute } from '../workflow/references.ts';
import type { DeliveryResult } from './outbox-worker.ts';

export interface OriginatedDeliveryDeps {
  store: Store;
  client: EhrClient;
  /** The gateway's FHIR base URL, ending in `/`. */
  gatewayBaseUrl: string;
}

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;

export async function deliverOriginatedReferral(deps: OriginatedDeliveryDeps, payload: OriginatedDelivery, signal?: AbortSignal): Promise<DeliveryResult> {
  const { store, client } = deps;
  const task = await readLocal<Task>(store, payload.tenant, `Task/${payload.id}`);
  if (!task) {
    return { kind: 'parked', reason: 'the originated referral no longer exists' };
  }
  const sr = await readLocal<ServiceRequest>(store, payload.tenant, task.focus?.reference);
  if (!sr) {
    return { kind: 'parked', reason: 'the originated referral has no ServiceRequest' };
  }
  const created = new Map<string, string>();
  const send = async (resource: Resource): Promise<string> => {
    const platformRef = `${resource.resourceType}/${resource.id}`;
    const identifier = { system: GATEWAY_RESOURCE_ID, value: platformRef };
    const known = new Set([payload.organization, ...(payload.ehrOrganizations ?? [])]);
    const body = toEhr(resource, created, known, deps.gatewayBaseUrl) as Resource & { identifier?: unknown[] };
    body.identifier = [...((body.identifier as unknown[] | undefined) ?? []), identifier];
    const result = await client.conditionalCreate(body, identifier, { signal });
    const ehrRef = `${resource.resourceType}/${result.resource.id}`;
    created.set(platformRef, ehrRef);
    return ehrRef;
  };

  // What the ServiceRequest and Task refer to, from the platform's record: patient first.
  const dependencies = [task.for, sr.subject, ...(sr.supportingInfo ?? []), ...(sr.reasonReference ?? [])];
  for (const ref of dependencies) {
    const reference = ref?.reference;
    if (!reference || created.has(reference) || !RELATIVE.test(reference)) {
      continue;
    }
    const resource = await readLocal<Resource>(store, payload.tenant, reference);
    if (resource && ['Patient', 'Consent', 'Condition'].includes(resource.resourceType)) {
      await send(resource);
    }
  }
  await send(sr);
  await send({ ...task, partOf: [{ reference: `${deps.gatewayBaseUrl}Task/${task.id}` }] });
  return { kind: 'delivered' };
}

/** The resource as the EHR gets it: no id, profiles kept, origin tags dropped, references mapped. */
function toEhr(resource: Resource, created: ReadonlyMap<string, string>, known: ReadonlySet<string>, gatewayBaseUrl: string): Resource {
  const { id: _id, meta, ...rest } = resource;
  const tags = (meta?.tag ?? []).filter((t) => t.system !== ORIGIN_SYSTEM);
  const body = { ...rest } as Resource;
  if (meta?.profile?.length || tags.length) {
    body.meta = { ...(meta?.profile?.length ? { profile: meta.profile } : {}), ...(tags.length ? { tag: tags } : {}) };
  }
  return rewriteReferences(body, (ref) => {
    const mapped = created.get(ref);
    if (mapped) {
      return mapped;
    }
    if (known.has(ref) || isAbsolute(ref) || !RELATIVE.test(ref)) {
      return ref;
    }
    return toAbsolute(ref, gatewayBaseUrl);
  });
}

async function readLocal<T extends Resource>(store: Store, tenant: string, reference: Reference['reference']): Promise<T | undefined> {
  const match = reference ? RELATIVE.exec(reference) : null;
  if (!match) {
    return undefined;
  }
  const version = await store.readResource<T>(tenant, match[1] as T['resourceType'], match[2]);
  return version && !version.deleted ? version.resource : undefined;
}
