// The coordination platform at work (SDOHCC "intermediary", rules refer-1/refer-2): the
// workflow rules (src/workflow, pure) applied to stored referrals inside the same store
// transaction as the write that triggered them. Plugged into the FHIR API as WriteHooks.
//
// - A source referral (Task + ServiceRequest in the platform tenant, status requested) is
//   offered to each target organisation that is a partner: consent gate, minimum necessary
//   disclosure into the partner's tenant, a mirror in the platform tenant, a webhook.
// - A partner's change to its downstream Task is checked (state machine, who may change
//   what), mirrored, reflected on the source Task, and its outcomes copied back; an EHR
//   holding the source gets an outbox item.
// - A referral an organisation originates (it is the requester) is copied into the platform's
//   record and offered the same way; when its target is a clinic reached through an EHR
//   (settings.clinics), an outbox item for that EHR is written instead, and the EHR's Task
//   (taken in by the sync engine, partOf the platform's Task) is the clinic's answer: its
//   changes are checked with the clinic as owner and reflected back to the originator.
import { randomUUID } from 'node:crypto';
import type { Consent, OperationOutcomeIssue, Patient, Procedure, Reference, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { RestContext, WriteEvent, WriteHooks } from '../rest/context.ts';
import type { Partner, StoredVersion, StoreOps } from '../store/store.ts';
import {
  PLATFORM,
  buildDownstreamReferral,
  checkTaskChange,
  consentDecision,
  copyOutcomesBack,
  minimumNecessary,
  party,
  propagateSourceClosure,
  reflectOnSource,
  type Actor,
  type PlatformContext,
  type SourceReferral,
} from '../workflow/index.ts';
import { rewriteReferences } from '../workflow/reference-rewrite.ts';
import { carePlanHooks } from './care-plans.ts';
import { ORIGIN_SYSTEM, ORIGINATED_DELIVERY, PARTNER_REFERRAL_ID, type OriginatedDelivery, type PlatformSettings } from './platform.ts';

export interface CoordinatorOptions {
  settings: PlatformSettings;
  now?: () => string;
}

const FULFILL = 'fulfill';

export function createCoordinator(options: CoordinatorOptions): WriteHooks {
  const settings = options.settings;
  const now = options.now ?? (() => new Date().toISOString());
  const platform: PlatformContext = { baseUrl: settings.baseUrl, organization: settings.organization };
  const carePlans = carePlanHooks(settings);

  return {
    async check(event: WriteEvent): Promise<OperationOutcomeIssue[]> {
      const after = event.after;
      if (after?.resourceType === 'CarePlan') return carePlans.check(event);
      if (after?.resourceType !== 'Task' || !isReferralTask(after)) {
        return [];
      }
      if (event.before === undefined && event.ctx.actor === undefined) {
        // The platform's own record takes referrals in as they are (an EHR's Task may already be
        // accepted when it is first seen); parties must start them as draft or requested.
        return [];
      }
      const actor = (await clinicActor(event.tx, event.ctx, event.before as Task | undefined, after)) ?? actorOf(event.ctx);
      const issues = checkTaskChange(event.before as Task | undefined, after, actor);
      if (event.ctx.tenant !== settings.tenant && event.before === undefined && !isOriginatedBy(after, event.ctx)) {
        issues.push({
          severity: 'error',
          code: 'business-rule',
          details: { text: 'A partner creates referral Tasks only as their requester (an originated referral)' },
          expression: ['Task.requester'],
        });
      }
      return issues;
    },

    async afterWrite(event: WriteEvent & { version: StoredVersion }): Promise<void> {
      const resource = event.version.resource;
      if (resource.resourceType === 'CarePlan' || resource.resourceType === 'Goal') return carePlans.afterWrite(event);
      if (resource.resourceType !== 'Task' || !isReferralTask(resource)) {
        return;
      }
      const tx = event.tx;
      if (event.ctx.tenant === settings.tenant) {
        if (resource.partOf?.length) {
          if (isEhrCopy(resource)) {
            await onClinicTask(tx, resource); // An EHR's Task for a referral an organisation originated.
          }
          return; // Otherwise a mirror of a downstream Task: changed by the coordinator itself.
        }
        await offerSource(tx, resource);
        await closeDownstream(tx, resource);
        return;
      }
      if (!resource.partOf?.length && isOriginatedBy(resource, event.ctx)) {
        await takeInOriginated(tx, event.ctx.tenant, resource);
        return;
      }
      await onPartnerTask(tx, event.ctx, resource);
    },
  };

  /**
   * A referral an organisation originated (it is the requester): its Task, ServiceRequest and
   * what they reference are copied into the platform's record, tagged with their origin, and
   * offered to the target like any source referral. Its status goes back the same way.
   */
  async function takeInOriginated(tx: StoreOps, tenant: string, task: Task): Promise<void> {
    const prefix = originPrefix(tenant);
    const refs = new Set<string>([`Task/${task.id}`]);
    const sr = await readLocal<ServiceRequest>(tx, tenant, task.focus);
    for (const ref of [task.focus?.reference, task.for?.reference, ...[...(sr?.supportingInfo ?? []), ...(sr?.reasonReference ?? [])].map((r) => r.reference)]) {
      if (ref && /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+$/.test(ref)) refs.add(ref);
    }
    const rename = (ref: string): string => (refs.has(ref) ? ref.replace('/', `/${prefix}`) : ref);
    for (const version of await tx.readMany(tenant, [...refs])) {
      const copy = rewriteReferences(version.resource, rename);
      copy.id = `${prefix}${version.id}`.slice(0, 64);
      copy.meta = { ...copy.meta, tag: [...(copy.meta?.tag ?? []).filter((t) => t.system !== ORIGIN_SYSTEM), { system: ORIGIN_SYSTEM, code: `partner:${tenant}` }] };
      await upsert(tx, settings.tenant, copy);
    }
    const source = await tx.readResource<Task>(settings.tenant, 'Task', `${prefix}${task.id}`.slice(0, 64));
    if (source) {
      await offerSource(tx, source.resource);
      await closeDownstream(tx, source.resource); // the originator withdrew it
    }
  }

  /** The status of a referral an organisation originated goes back to its own Task. */
  async function notifyOriginator(tx: StoreOps, source: Task): Promise<void> {
    const origin = source.meta?.tag?.find((t) => t.system === ORIGIN_SYSTEM)?.code;
    if (!origin?.startsWith('partner:')) {
      return;
    }
    const tenant = origin.slice('partner:'.length);
    const id = (source.id ?? '').slice(originPrefix(tenant).length);
    const original = await tx.readResource<Task>(tenant, 'Task', id);
    if (original && !original.deleted && (original.resource.status !== source.status || JSON.stringify(original.resource.output) !== JSON.stringify(source.output))) {
      const back: Task = { ...original.resource, status: source.status, statusReason: source.statusReason, lastModified: source.lastModified };
      if (!back.statusReason) delete back.statusReason;
      await upsert(tx, tenant, back);
      const partner = (await tx.listPartners()).find((p) => p.tenant === tenant);
      if (partner) {
        await notifyPartner(tx, partner, back, 'referral-status-changed');
      }
    }
  }

  /**
   * Who changes an EHR's Task for an originated referral: the clinic, its owner (SDOHCC: the
   * owner sets accepted, rejected, in-progress, completed...). Undefined for every other write.
   */
  async function clinicActor(tx: StoreOps, ctx: RestContext, before: Task | undefined, after: Task): Promise<Actor | undefined> {
    if (ctx.actor !== undefined || ctx.tenant !== settings.tenant || !before?.owner?.reference || !isEhrCopy(after)) {
      return undefined;
    }
    const source = await readPlatformTask(tx, after.partOf?.[0]);
    return source && isPartnerOriginated(source) ? party(before.owner.reference) : undefined;
  }

  /** The clinic changed its Task on the EHR: reflect it on the originated referral, then on the originator's Task. */
  async function onClinicTask(tx: StoreOps, task: Task): Promise<void> {
    const source = await readPlatformTask(tx, task.partOf?.[0]);
    if (!source || !isPartnerOriginated(source)) {
      return;
    }
    const downstream = await mirrorsOf(tx, source);
    let current = source;
    for (const version of reflectOnSource(source, downstream, now()).versions) {
      current = (await upsert(tx, settings.tenant, version)).resource as Task;
    }
    if (current !== source) {
      await notifyOriginator(tx, current);
    }
  }

  /** A Task of the platform's record named by a relative reference or an absolute one on the gateway's base. */
  async function readPlatformTask(tx: StoreOps, reference: Reference | undefined): Promise<Task | undefined> {
    const ref = reference?.reference ?? '';
    const relative = ref.startsWith(settings.baseUrl) ? ref.slice(settings.baseUrl.length) : ref;
    return /^Task\/[A-Za-z0-9\-.]{1,64}$/.test(relative) ? readLocal<Task>(tx, settings.tenant, { reference: relative }) : undefined;
  }

  /**
   * An originated referral whose target is a clinic reached through an EHR (and not a partner):
   * under the consent gate, an outbox item asks that EHR's deliverer to create it there.
   */
  async function offerToClinics(tx: StoreOps, task: Task, sr: ServiceRequest, partners: Partner[]): Promise<void> {
    if (!isPartnerOriginated(task)) {
      return;
    }
    const targets = targetsOf(task, sr).filter((ref) => !partners.some((p) => sameOrg(p.organization, ref)));
    const routes = (settings.clinics ?? []).filter((route) => targets.some((ref) => sameOrg(route.organization, ref)));
    const consents = routes.length ? await readConsents(tx, sr) : [];
    for (const route of routes) {
      const decision = consentDecision({ serviceRequest: sr, consents, policy: { requiresConsent: settings.requiresConsent }, now: now(), recipient: { reference: route.organization } });
      if (!decision.allowed) {
        continue; // No consent, no disclosure to the clinic either; the referral stays requested.
      }
      const ehrOrganizations = (settings.clinics ?? []).filter((c) => c.ehr === route.ehr).map((c) => c.organization);
      const payload: OriginatedDelivery = { kind: ORIGINATED_DELIVERY, tenant: settings.tenant, resourceType: 'Task', id: task.id ?? '', organization: route.organization, ehrOrganizations };
      await tx.enqueue({ destination: `ehr:${route.ehr}`, orderingKey: `Task/${task.id}`, reason: ORIGINATED_DELIVERY, payload });
    }
  }

  function actorOf(ctx: RestContext): Actor {
    return ctx.actor ? party(ctx.actor) : PLATFORM;
  }

  /** refer-2: offer a requested source referral to each target partner (once per partner). */
  async function offerSource(tx: StoreOps, task: Task): Promise<void> {
    if (task.status !== 'requested') {
      return;
    }
    const sr = await readLocal<ServiceRequest>(tx, settings.tenant, task.focus);
    if (!sr) {
      return;
    }
    const partners = await tx.listPartners();
    const targets = targetsOf(task, sr).flatMap((ref) => partners.filter((p) => sameOrg(p.organization, ref)));
    const source: SourceReferral = { task, serviceRequest: sr };
    for (const partner of unique(targets)) {
      const target = { reference: partner.organization };
      const pair = buildDownstreamReferral(source, target, platform, now());
      const existing = await tx.readResource(settings.tenant, 'Task', pair.task.id ?? '');
      if (existing) {
        continue;
      }
      const consents = await readConsents(tx, sr);
      const decision = consentDecision({ serviceRequest: sr, consents, policy: { requiresConsent: settings.requiresConsent }, now: now(), recipient: target });
      if (!decision.allowed) {
        continue; // No consent, no disclosure (SDOHCC privacy); the source stays requested.
      }
      const patient = await readLocal<Patient>(tx, settings.tenant, task.for);
      const downstreamTask: Task = { ...pair.task, identifier: [...(pair.task.identifier ?? []), { system: PARTNER_REFERRAL_ID, value: pair.task.id }] };
      const disclosure = patient
        ? minimumNecessary({ task: downstreamTask, serviceRequest: pair.serviceRequest, patient, resources: consents, consentInForce: decision.reason === 'consent-in-force' })
        : { resources: [pair.serviceRequest, downstreamTask] as Resource[] };
      const tenant = partner.tenant;
      for (const resource of disclosure.resources) {
        await upsert(tx, tenant, resource);
      }
      await upsert(tx, settings.tenant, pair.serviceRequest);
      await upsert(tx, settings.tenant, downstreamTask);
      await notifyPartner(tx, partner, downstreamTask, 'referral-offered');
    }
    await offerToClinics(tx, task, sr, partners);
  }

  /** The requester cancelled the source: cancel every open downstream Task. */
  async function closeDownstream(tx: StoreOps, source: Task): Promise<void> {
    const downstream = await mirrorsOf(tx, source);
    for (const next of propagateSourceClosure(source, downstream, now())) {
      await upsert(tx, settings.tenant, next);
      if (isEhrCopy(next)) {
        await notifyOrigin(tx, next); // a clinic's Task: the cancellation is pushed to its EHR
        continue;
      }
      const partner = await partnerOfOwner(tx, next);
      if (partner) {
        await upsert(tx, partner.tenant, next);
        await notifyPartner(tx, partner, next, 'referral-cancelled');
      }
    }
  }

  /** A partner changed its downstream Task: mirror, reflect on the source, copy outcomes back. */
  async function onPartnerTask(tx: StoreOps, ctx: RestContext, task: Task): Promise<void> {
    const mirrorBefore = await tx.readResource<Task>(settings.tenant, 'Task', task.id ?? '');
    if (!mirrorBefore || !task.partOf?.length) {
      return;
    }
    await upsert(tx, settings.tenant, task);
    const source = await readLocal<Task>(tx, settings.tenant, task.partOf[0]);
    if (!source) {
      return;
    }
    const downstream = await mirrorsOf(tx, source);
    let current = source;
    const reflection = reflectOnSource(source, downstream, now());
    for (const version of reflection.versions) {
      current = (await upsert(tx, settings.tenant, version)).resource as Task;
    }
    const procedures = await partnerProcedures(tx, ctx.tenant, task);
    if (procedures.length) {
      const sr = await readLocal<ServiceRequest>(tx, settings.tenant, current.focus);
      if (sr) {
        const back = copyOutcomesBack({ task: current, serviceRequest: sr }, task, procedures, platform);
        for (const procedure of back.procedures) {
          await upsert(tx, settings.tenant, procedure);
        }
        if (back.task !== current) {
          current = (await upsert(tx, settings.tenant, back.task)).resource as Task;
        }
      }
    }
    if (current !== source) {
      await notifyOrigin(tx, current);
      await notifyOriginator(tx, current);
    }
  }

  async function mirrorsOf(tx: StoreOps, source: Task): Promise<Task[]> {
    const result = await tx.search(settings.tenant, {
      resourceType: 'Task',
      filters: [{ kind: 'reference', param: 'part-of', values: [`Task/${source.id}`, `${settings.baseUrl}Task/${source.id}`] }],
      count: 1000,
    });
    return result.versions.map((v) => v.resource as Task);
  }

  async function partnerProcedures(tx: StoreOps, tenant: string, task: Task): Promise<Procedure[]> {
    const refs = (task.output ?? []).flatMap((o) => (o.valueReference?.reference?.startsWith('Procedure/') ? [o.valueReference.reference] : []));
    if (refs.length === 0) {
      return [];
    }
    return (await tx.readMany(tenant, refs)).map((v) => v.resource as Procedure);
  }

  async function partnerOfOwner(tx: StoreOps, task: Task): Promise<Partner | undefined> {
    const owner = task.owner?.reference;
    return owner ? (await tx.listPartners()).find((p) => sameOrg(p.organization, owner)) : undefined;
  }

  async function readConsents(tx: StoreOps, sr: ServiceRequest): Promise<Consent[]> {
    const refs = (sr.supportingInfo ?? []).flatMap((r) => (r.reference?.startsWith('Consent/') ? [r.reference] : []));
    return refs.length ? (await tx.readMany(settings.tenant, refs)).map((v) => v.resource as Consent) : [];
  }

  async function notifyPartner(tx: StoreOps, partner: Partner, task: Task, reason: string): Promise<void> {
    if (!partner.webhookUrl) {
      return;
    }
    // The delivery id travels in the payload, so a replayed dead letter (a new outbox item) keeps it.
    await tx.enqueue({ destination: `webhook:${partner.id}`, orderingKey: `Task/${task.id}`, reason, payload: { tenant: partner.tenant, taskId: task.id, deliveryId: randomUUID() } });
  }

  /** A source referral taken in from an EHR is updated there through the outbox (the sync engine delivers). */
  async function notifyOrigin(tx: StoreOps, source: Task): Promise<void> {
    const origin = source.meta?.tag?.find((t) => t.system === ORIGIN_SYSTEM)?.code;
    if (!origin?.startsWith('ehr:')) {
      return;
    }
    await tx.enqueue({ destination: origin, orderingKey: `Task/${source.id}`, reason: 'source-task-changed', payload: { tenant: settings.tenant, resourceType: 'Task', id: source.id } });
  }
}

function originPrefix(tenant: string): string {
  return `o-${tenant}-`;
}

function isEhrCopy(task: Task): boolean {
  return (task.meta?.tag ?? []).some((t) => t.system === ORIGIN_SYSTEM && t.code?.startsWith('ehr:'));
}

function isPartnerOriginated(task: Task): boolean {
  return (task.meta?.tag ?? []).some((t) => t.system === ORIGIN_SYSTEM && t.code?.startsWith('partner:'));
}

function isReferralTask(task: Task): boolean {
  return (task.code?.coding ?? []).some((c) => c.code === FULFILL);
}

function isOriginatedBy(task: Task, ctx: RestContext): boolean {
  return ctx.actor !== undefined && sameOrg(task.requester?.reference ?? '', ctx.actor);
}

function targetsOf(task: Task, sr: ServiceRequest): string[] {
  const owner = task.owner?.reference;
  const performers = (sr.performer ?? []).flatMap((p) => (p.reference ? [p.reference] : []));
  return owner ? [owner, ...performers] : performers;
}

function sameOrg(a: string, b: string): boolean {
  const tail = (ref: string) => /(Organization\/[^/]+)$/.exec(ref)?.[1] ?? ref;
  return tail(a) === tail(b);
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

async function readLocal<T extends Resource>(tx: StoreOps, tenant: string, reference: Reference | undefined): Promise<T | undefined> {
  const ref = reference?.reference;
  const match = ref ? /([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref) : null;
  if (!match) {
    return undefined;
  }
  const version = await tx.readResource<T>(tenant, match[1] as T['resourceType'], match[2]);
  return version && !version.deleted ? version.resource : undefined;
}

async function upsert(tx: StoreOps, tenant: string, resource: Resource): Promise<StoredVersion> {
  const { meta, ...rest } = resource;
  const keep = meta ? { ...meta, versionId: undefined, lastUpdated: undefined } : undefined;
  const body = { ...rest, meta: keep && (keep.profile || keep.tag || keep.security) ? { profile: keep.profile, tag: keep.tag, security: keep.security } : undefined } as Resource & { id: string };
  return (await tx.updateResource(tenant, body)).version;
}
