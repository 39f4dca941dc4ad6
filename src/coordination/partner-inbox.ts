// A partner's inbox: the referral Tasks in its tenant, changed since a cursor, in the partner's
// own format (through its mapping). The cursor is the (lastUpdated, id) of the last record
// returned, so polling with it is stable under concurrent updates: a Task updated later gets
// a later lastUpdated and comes again. Referrals whose consent is no longer in force are not
// disclosed (SDOHCC privacy; the platform's copies of the Consents decide).
// With role `requester` the same feed lists the referrals the partner originated, with the
// status their target gave them (the partner's own data: no consent gate).
import type { Consent, OperationOutcome, Organization, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest } from '../fhir/index.ts';
import type { MappingEngine } from '../mapping/index.ts';
import type { Partner, Store, StoreOps } from '../store/store.ts';
import { consentDecision } from '../workflow/index.ts';
import type { PlatformSettings } from './platform.ts';

export interface InboxPage {
  referrals: ({ record: unknown } | { taskId: string; outcome: OperationOutcome })[];
  /** Pass back as `since` to get what changed after this page. */
  next?: string;
}

/** Referrals offered to the partner (it is the Task owner), or those it originated (requester). */
export type InboxRole = 'owner' | 'requester';

interface Position {
  t: string;
  id: string;
}

export async function readInbox(store: Store, engine: MappingEngine, settings: PlatformSettings, partner: Partner, since: string | undefined, limit: number, now: string, role: InboxRole = 'owner'): Promise<InboxPage> {
  const position = since ? decodeCursor(since) : undefined;
  const result = await store.search(partner.tenant, {
    resourceType: 'Task',
    filters: [
      { kind: 'reference', param: role, values: [partner.organization] },
      ...(position ? [{ kind: 'lastUpdated' as const, values: [{ prefix: 'ge' as const, value: position.t }] }] : []),
    ],
    sort: [{ param: '_lastUpdated' }, { param: '_id' }],
    count: limit + 50,
  });
  const after = result.versions.filter((v) => !position || v.lastUpdated > position.t || (v.lastUpdated === position.t && v.id > position.id)).slice(0, limit);
  const referrals: InboxPage['referrals'] = [];
  for (const version of after) {
    const task = version.resource as Task;
    const resources = await recordResources(store, settings, partner, task, now);
    if (!resources) {
      continue;
    }
    const mapped = engine.map(partner.mapping, 'from-fhir', resources, { partner: partner.id, skipValidation: true });
    referrals.push(mapped.record !== undefined ? { record: mapped.record } : { taskId: version.id, outcome: mapped.outcome });
  }
  const last = after[after.length - 1];
  const next = last ? encodeCursor({ t: last.lastUpdated, id: last.id }) : since;
  return { referrals, next };
}

/** One referral of the partner's tenant in its format (undefined when it may not be disclosed now). */
export async function readInboxRecord(store: Store, engine: MappingEngine, settings: PlatformSettings, partner: Partner, taskId: string, now: string): Promise<unknown> {
  const version = await store.readResource<Task>(partner.tenant, 'Task', taskId);
  const resources = version && !version.deleted ? await recordResources(store, settings, partner, version.resource, now) : undefined;
  if (!resources) {
    return undefined;
  }
  return engine.map(partner.mapping, 'from-fhir', resources, { partner: partner.id, skipValidation: true }).record;
}

/** What the mapping needs for one record; undefined when the referral may not be disclosed now. */
async function recordResources(store: Store, settings: PlatformSettings, partner: Partner, task: Task, now: string): Promise<Resource[] | undefined> {
  if (isOriginatedBy(task, partner)) {
    return ownReferralResources(store, settings, partner, task);
  }
  if (!(await disclosable(store, settings, task, now))) {
    return undefined;
  }
  const referring = await referrers(store, settings.tenant, task, partner.tenant);
  return [...(await referralResources(store, partner.tenant, task, referring[0])), ...referring];
}

function isOriginatedBy(task: Task, partner: Partner): boolean {
  return !task.partOf?.length && task.requester?.reference === partner.organization;
}

/** A referral the partner originated: its own resources, and who it went to. */
async function ownReferralResources(store: StoreOps, settings: PlatformSettings, partner: Partner, task: Task): Promise<Resource[]> {
  const local = (refs: (string | undefined)[]) => refs.filter((r): r is string => r !== undefined && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(r));
  const first = (await store.readMany(partner.tenant, local([task.focus?.reference, task.for?.reference]))).map((v) => v.resource);
  const sr = first.find((r): r is ServiceRequest => r.resourceType === 'ServiceRequest');
  const more = local([...(sr?.supportingInfo ?? []), ...(sr?.reasonReference ?? [])].map((r) => r.reference));
  const second = more.length ? (await store.readMany(partner.tenant, more)).map((v) => v.resource) : [];
  const parties = await organizations(store, [partner.tenant, settings.tenant], local([task.requester?.reference, task.owner?.reference]));
  return [task, ...first, ...second, ...parties];
}

/**
 * Organizations by reference, from the first tenant that holds them; one the gateway knows
 * only as a partner's (or a clinic's) reference is described by its registered name.
 */
async function organizations(store: StoreOps, tenants: string[], refs: string[]): Promise<Resource[]> {
  const found: Resource[] = [];
  let missing = refs.filter((r) => r.startsWith('Organization/'));
  for (const tenant of tenants) {
    if (missing.length === 0) break;
    const versions = await store.readMany(tenant, missing);
    found.push(...versions.map((v) => v.resource));
    missing = missing.filter((r) => !versions.some((v) => `Organization/${v.id}` === r));
  }
  if (missing.length) {
    const partners = await store.listPartners();
    for (const ref of missing) {
      const id = ref.slice('Organization/'.length);
      const organization: Organization = { resourceType: 'Organization', id, active: true, name: partners.find((p) => p.organization === ref)?.name ?? id };
      found.push(organization);
    }
  }
  return found;
}

async function referralResources(store: StoreOps, tenant: string, task: Task, referrer: Resource | undefined): Promise<Resource[]> {
  const refs = new Set<string>();
  for (const ref of [task.focus?.reference, task.for?.reference]) {
    if (ref && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(ref)) refs.add(ref);
  }
  const first = (await store.readMany(tenant, [...refs])).map((v) => v.resource);
  const sr = first.find((r): r is ServiceRequest => r.resourceType === 'ServiceRequest');
  const more = (sr?.supportingInfo ?? []).flatMap((r) => (r.reference && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(r.reference) ? [r.reference] : []));
  const second = more.length ? (await store.readMany(tenant, more)).map((v) => v.resource) : [];
  // The partner replies to whoever referred: show the ServiceRequest's requester as the Task's
  // (the downstream Task's own requester is the platform, SDOHCC refer-2).
  const shown: Task = referrer ? { ...task, requester: { reference: `${referrer.resourceType}/${referrer.id}` } } : task;
  return [shown, ...first, ...second];
}

/**
 * Who referred: the ServiceRequest's requester (PractitionerRole, its Practitioner and
 * Organization) from the platform's record. Not the client's data; partners need it to reply.
 */
async function referrers(store: StoreOps, platformTenant: string, task: Task, tenant: string): Promise<Resource[]> {
  const srRef = task.focus?.reference;
  const sr = srRef ? (await store.readMany(tenant, [srRef]))[0]?.resource as ServiceRequest | undefined : undefined;
  // The downstream ServiceRequest is basedOn the source one, whose requester referred (refer-2).
  const basedOn = sr?.basedOn?.[0]?.reference;
  const source = basedOn && /^ServiceRequest\/[A-Za-z0-9\-.]+$/.test(basedOn) ? ((await store.readMany(platformTenant, [basedOn]))[0]?.resource as ServiceRequest | undefined) : undefined;
  const requester = source?.requester?.reference;
  if (!requester || !/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(requester)) {
    return [];
  }
  const found = requester.startsWith('Organization/')
    ? await organizations(store, [platformTenant], [requester]) // an organisation originated it
    : (await store.readMany(platformTenant, [requester])).map((v) => v.resource);
  const role = found[0];
  if (role?.resourceType === 'PractitionerRole') {
    const more = [role.practitioner?.reference, role.organization?.reference].filter((r): r is string => typeof r === 'string' && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(r));
    found.push(...(await store.readMany(platformTenant, more)).map((v) => v.resource));
  }
  return found;
}

/** The platform's own record decides: its ServiceRequest copy and Consents, at read time. */
async function disclosable(store: StoreOps, settings: PlatformSettings, task: Task, now: string): Promise<boolean> {
  if (!settings.requiresConsent) {
    return true;
  }
  const srId = /ServiceRequest\/([A-Za-z0-9\-.]+)$/.exec(task.focus?.reference ?? '')?.[1];
  const sr = srId ? await store.readResource<ServiceRequest>(settings.tenant, 'ServiceRequest', srId) : undefined;
  if (!sr || sr.deleted) {
    return false;
  }
  const consentRefs = (sr.resource.supportingInfo ?? []).flatMap((r) => (r.reference?.startsWith('Consent/') ? [r.reference] : []));
  const consents = consentRefs.length ? (await store.readMany(settings.tenant, consentRefs)).map((v) => v.resource as Consent) : [];
  return consentDecision({ serviceRequest: sr.resource, consents, policy: { requiresConsent: true }, now, recipient: task.owner }).allowed;
}

function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor(text: string): Position {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Position;
    if (typeof value.t === 'string' && typeof value.id === 'string' && !Number.isNaN(Date.parse(value.t))) {
      return value;
    }
  } catch {
    // fall through to the error below
  }
  throw new OperationOutcomeError(badRequest('since must be a cursor returned by a previous inbox page', 'since'));
}
