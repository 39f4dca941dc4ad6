// Polling an EHR for new and changed referral Tasks (RELIABILITY.md "polling"; SDOHCC STU3
// "Polling" in the exchange-workflow page):
// - `Task?owner=<org>&_lastUpdated=ge<cursor - overlap>&_sort=_lastUpdated` per configured
//   organisation; the cursor is the EHR's own time for the first page (Bundle.meta.lastUpdated
//   or the Date header), never the local clock, so a skewed gateway clock misses nothing;
// - the overlap window takes in transactions that committed late with an earlier timestamp;
//   what is seen twice is recognised by (id, versionId) in the copy's EHR version tag;
// - the cursor moves (compare-and-set, forward only, fence checked) only after a page is applied;
// - each Task comes in through the FHIR API in the platform tenant, after local copies of
//   its focus ServiceRequest and the resources it refers to (SDOHCC intermediary rule refer-1),
//   so the coordinator offers it to partners as it would a Task posted to the gateway;
// - the requester side, `Task?requester=<org>` with its own cursor, finds the referrals those
//   organisations sent to the clinic through the gateway (the EHR's Task is partOf the
//   platform's Task): the clinic's status changes come in on the same path, where the
//   coordinator checks them with the clinic as owner and relays them to the originator.
//   Tasks on that side that the gateway did not deliver are left alone (`unmatched`).
import type { Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { EhrClient } from '../ehr/ehr-client.ts';
import { isEhrNotFound } from '../ehr/failures.ts';
import { OperationOutcomeError } from '../fhir/errors.ts';
import { statusOf } from '../fhir/http-status.ts';
import { conflict } from '../fhir/outcomes.ts';
import type { PlatformSettings } from '../coordination/platform.ts';
import type { RestContext } from '../rest/context.ts';
import type { FhirRest } from '../rest/fhir-rest.ts';
import type { Store, StoreOps } from '../store/store.ts';
import { buildLocalCopies, planLocalCopies, toLocalCopy, type CopyEntry } from '../workflow/local-copies.ts';
import { rewriteReferences } from '../workflow/reference-rewrite.ts';
import { deepEqual } from '../workflow/resource-diff.ts';
import { deterministicId, parseReference, toAbsolute } from '../workflow/references.ts';
import { ehrVersionOf, localIdOf, syncTags, versionCode } from './ehr-tags.ts';
import { mergeIntake, sameContent } from './task-merge.ts';

export interface PollerOptions {
  ehrName: string;
  ehrBaseUrl: string;
  organizations: readonly string[];
  client: EhrClient;
  store: Store;
  rest: FhirRest;
  settings: PlatformSettings;
  /** How far before the cursor each query starts (late commits); default 5 minutes. */
  overlapMs?: number;
  pageSize?: number;
  /** Tasks of a page whose referenced resources are fetched at the same time. */
  fetchConcurrency?: number;
}

export interface PollStats {
  pages: number;
  seen: number;
  applied: number;
  unchanged: number;
  duplicates: number;
  refused: number;
  /** Requester-side Tasks that are not the gateway's (not partOf a platform Task): left alone. */
  unmatched: number;
  cursorsMoved: number;
}

/** Which Tasks of an organisation a query finds: those it owns, or those it requested. */
export type PollSide = 'owner' | 'requester';

/** The lease a scheduled run holds: cursors are written only while its token is current. */
export interface Fence {
  lease: string;
  token: number;
}

export interface Poller {
  pollOnce(options?: { fence?: Fence; signal?: AbortSignal }): Promise<PollStats>;
  /** Takes in Tasks read from this EHR another way (subscription notifications) on the same path as a polled page; no cursor moves. */
  intake(tasks: readonly Task[], options?: { signal?: AbortSignal }): Promise<PollStats>;
}

type Outcome = 'applied' | 'unchanged' | 'duplicate' | 'refused';

type Prepared = { kind: 'duplicate' } | { kind: 'apply'; localId: string; copies: Resource[]; fromEhr: Task };

export function emptyPollStats(): PollStats {
  return { pages: 0, seen: 0, applied: 0, unchanged: 0, duplicates: 0, refused: 0, unmatched: 0, cursorsMoved: 0 };
}

export function cursorName(ehrName: string, organization: string, side: PollSide = 'owner'): string {
  return `ehr:${ehrName}:Task:${side}=${organization}`;
}

/** A Task the gateway delivered to an EHR: partOf a Task on the gateway's own base URL. */
export function isPartOfPlatformTask(task: Task, gatewayBaseUrl: string): boolean {
  return (task.partOf ?? []).some((ref) => {
    const value = ref.reference ?? '';
    return value.startsWith(gatewayBaseUrl) && /^Task\/[A-Za-z0-9\-.]{1,64}$/.test(value.slice(gatewayBaseUrl.length));
  });
}

export function createPoller(options: PollerOptions): Poller {
  const { client, store, rest, settings } = options;
  const overlapMs = options.overlapMs ?? 5 * 60_000;
  const pageSize = options.pageSize ?? 100;
  const fetchConcurrency = options.fetchConcurrency ?? 8;
  const ctx: RestContext = { tenant: settings.tenant, baseUrl: settings.baseUrl, strict: false };
  const platform = { baseUrl: settings.baseUrl, organization: settings.organization };

  async function pollOrganization(organization: string, side: PollSide, stats: PollStats, fence?: Fence, signal?: AbortSignal): Promise<void> {
    const name = cursorName(options.ehrName, organization, side);
    const cursor = await store.getCursor(name);
    const params = new URLSearchParams({ [side]: organization, _sort: '_lastUpdated', _count: String(pageSize) });
    if (cursor) {
      params.set('_lastUpdated', `ge${new Date(Date.parse(cursor) - overlapMs).toISOString()}`);
    }
    let stored = cursor;
    let queryTime: string | undefined;
    for await (const page of client.search<Task>('Task', params, { signal })) {
      stats.pages += 1;
      // The EHR's time when the query began: everything committed before it is in these pages.
      queryTime ??= page.serverTime;
      if (side === 'requester') {
        const ours = page.resources.filter((task) => isPartOfPlatformTask(task, settings.baseUrl));
        stats.unmatched += page.resources.length - ours.length;
        await takeIn(ours, stats, signal);
      } else {
        await takeIn(page.resources, stats, signal);
      }
      const last = page.resources.at(-1)?.meta?.lastUpdated;
      const next = pageCursor(queryTime, last, page.bundle.link?.some((l) => l.relation === 'next') ?? false);
      if (next && (!stored || Date.parse(next) > Date.parse(stored))) {
        if (fence && !(await store.checkFence(fence.lease, fence.token))) {
          throw new OperationOutcomeError(conflict('The sync lease moved to another replica; cursor not written'));
        }
        if (!(await store.compareAndSetCursor(name, stored, next))) {
          throw new OperationOutcomeError(conflict('The sync cursor was moved by another run'));
        }
        stored = next;
        stats.cursorsMoved += 1;
      }
    }
  }

  /** The one intake path, for polled pages and notified Tasks alike. */
  async function takeIn(tasks: readonly Task[], stats: PollStats, signal?: AbortSignal): Promise<void> {
    // Fetching the referenced resources runs a few Tasks at a time; writing stays in order.
    const prepared = await mapLimit(tasks, fetchConcurrency, (task) => prepareTask(task, signal));
    for (const item of prepared) {
      stats.seen += 1;
      const outcome = item.kind === 'duplicate' ? 'duplicate' : await applyTask(item);
      stats[outcome === 'duplicate' ? 'duplicates' : outcome] += 1;
    }
  }

  /** Recognises a version already taken in, or fetches what refer-1 copies. */
  async function prepareTask(ehrTask: Task, signal?: AbortSignal): Promise<Prepared> {
    const ehrId = ehrTask.id ?? '';
    const key = { resourceType: 'Task', id: ehrId, versionId: ehrTask.meta?.versionId ?? '' };
    const localId = localIdOf(options.ehrName, 'Task', ehrId);
    const existing = await store.readResource<Task>(settings.tenant, 'Task', localId);
    const seen = existing && !existing.deleted ? ehrVersionOf(existing.resource) : undefined;
    if (seen && versionCode(seen) === versionCode(key)) {
      return { kind: 'duplicate' };
    }
    const { copies, localTask } = await fetchCopies(ehrTask, signal);
    const fromEhr: Task = { ...localTask, id: localId, meta: { tag: syncTags(ehrTask.meta?.tag, options.ehrName, key) } };
    if (ehrTask.meta?.profile && fromEhr.meta) {
      fromEhr.meta.profile = ehrTask.meta.profile;
    }
    return { kind: 'apply', localId, copies, fromEhr };
  }

  async function applyTask({ localId, copies, fromEhr }: Extract<Prepared, { kind: 'apply' }>): Promise<Outcome> {
    try {
      return await store.transaction(async (tx) => {
        for (const copy of copies) {
          await writeCopy(tx, copy);
        }
        const current = await tx.readResource<Task>(settings.tenant, 'Task', localId);
        const local = current && !current.deleted ? current.resource : undefined;
        const merged = mergeIntake(fromEhr, local);
        if (local && current && sameContent(merged, local)) {
          // Nothing new (often our own push coming back): remember the version only.
          await tx.updateResource(settings.tenant, { ...local, meta: { ...local.meta, tag: fromEhr.meta?.tag } } as Task & { id: string }, { ifMatch: current.versionId });
          return 'unchanged';
        }
        await rest.update(ctx, 'Task', localId, merged, { ifMatch: current && !current.deleted ? current.versionId : undefined }, tx);
        return 'applied';
      });
    } catch (error) {
      if (isRefusal(error)) {
        return 'refused';
      }
      throw error;
    }
  }

  /** refer-1: the focus ServiceRequest and what the Task and it refer to, fetched from the EHR. */
  async function fetchCopies(ehrTask: Task, signal?: AbortSignal): Promise<{ copies: Resource[]; localTask: Task }> {
    const focus = ehrTask.focus?.reference ? toAbsolute(ehrTask.focus.reference, options.ehrBaseUrl) : undefined;
    const sr = focus ? await fetchFromEhr<ServiceRequest>(focus, signal) : undefined;
    const source = { task: ehrTask, serviceRequest: sr ?? { resourceType: 'ServiceRequest', status: 'unknown', intent: 'order', subject: {} }, taskBase: options.ehrBaseUrl } as const;
    const plan = planLocalCopies({ ...source }, platform);
    const fetched = new Map<string, Resource>();
    if (sr && focus) {
      fetched.set(focus, sr);
    }
    for (const entry of plan) {
      if (!fetched.has(entry.original)) {
        const resource = await fetchFromEhr<Resource>(entry.original, signal);
        if (resource) {
          fetched.set(entry.original, resource);
        }
      }
    }
    // One level deeper for who referred: a PractitionerRole's practitioner and organization,
    // whom partners reply to (the referral mapping needs their names and identifiers).
    for (const entry of [...plan]) {
      const role = fetched.get(entry.original);
      if (role?.resourceType !== 'PractitionerRole') {
        continue;
      }
      const roleBase = parseReference(entry.original)?.base;
      for (const [ref, path] of [[role.practitioner?.reference, 'PractitionerRole.practitioner'], [role.organization?.reference, 'PractitionerRole.organization']] as const) {
        const abs = ref ? toAbsolute(ref, roleBase) : undefined;
        const parsed = abs ? parseReference(abs) : undefined;
        if (!abs || !parsed || plan.some((e) => e.original === abs)) {
          continue;
        }
        const resource = await fetchFromEhr<Resource>(abs, signal);
        if (resource) {
          const localId = deterministicId('copy', abs);
          fetched.set(abs, resource);
          plan.push({ original: abs, resourceType: parsed.resourceType, localId, localReference: `${parsed.resourceType}/${localId}`, paths: [path] });
        }
      }
    }
    // What the EHR does not hold (or another server holds) stays an absolute reference.
    const available: CopyEntry[] = plan.filter((e) => fetched.has(e.original));
    const { copies } = buildLocalCopies(available, fetched);
    const local = toLocalCopy(available);
    const localTask = rewriteReferences(ehrTask, (ref) => {
      const abs = toAbsolute(ref, options.ehrBaseUrl);
      return local(abs) ?? abs;
    });
    return { copies, localTask };
  }

  /** Reads a resource from this EHR only (a reference to another server is not followed). */
  async function fetchFromEhr<T extends Resource>(absolute: string, signal?: AbortSignal): Promise<T | undefined> {
    const parsed = parseReference(absolute);
    if (!parsed?.base || parsed.base.replace(/\/+$/, '') !== options.ehrBaseUrl.replace(/\/+$/, '')) {
      return undefined;
    }
    try {
      return await client.read<T>(parsed.resourceType as T['resourceType'], parsed.id, { signal });
    } catch (error) {
      if (isEhrNotFound(error)) {
        return undefined;
      }
      throw error;
    }
  }

  /** Writes a local copy through the FHIR API unless it already holds the same content. */
  async function writeCopy(tx: StoreOps, copy: Resource): Promise<void> {
    const id = copy.id ?? '';
    const current = await tx.readResource(settings.tenant, copy.resourceType, id);
    if (current && !current.deleted) {
      const { meta: _a, ...was } = current.resource;
      const { meta: _b, ...now } = copy;
      if (deepEqual(was, now) && current.resource.meta?.source === copy.meta?.source) {
        return;
      }
    }
    await rest.update(ctx, copy.resourceType, id, copy, {}, tx);
  }

  return {
    async pollOnce({ fence, signal } = {}) {
      const stats = emptyPollStats();
      for (const organization of options.organizations) {
        await pollOrganization(organization, 'owner', stats, fence, signal);
        await pollOrganization(organization, 'requester', stats, fence, signal);
      }
      return stats;
    },
    async intake(tasks, { signal } = {}) {
      const stats = emptyPollStats();
      await takeIn(tasks, stats, signal);
      return stats;
    },
  };
}

/**
 * The cursor after a page: the EHR time of the query once the last page is applied; before
 * that, the lastUpdated of the page's last Task (results are sorted by _lastUpdated), never
 * beyond the query time.
 */
export function pageCursor(queryTime: string | undefined, lastOnPage: string | undefined, morePages: boolean): string | undefined {
  if (!morePages) {
    return queryTime ?? lastOnPage;
  }
  if (!lastOnPage) {
    return undefined;
  }
  return queryTime && Date.parse(queryTime) < Date.parse(lastOnPage) ? queryTime : lastOnPage;
}

/** A decision about the Task (validation, workflow rules), not a failure to retry. */
function isRefusal(error: unknown): boolean {
  if (!(error instanceof OperationOutcomeError)) {
    return false;
  }
  const status = statusOf(error.outcome);
  return status === 400 || status === 422;
}

/** Maps with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(inputs: readonly T[], limit: number, fn: (input: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(inputs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await fn(inputs[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, lane));
  return results;
}
