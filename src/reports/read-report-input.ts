// Reads what the referral report needs from the store, for one tenant and period (issue 9,
// "Reports"): Task version histories (type history from the period start), the
// ServiceRequests they focus on, the Procedures their outputs name, CarePlans created in the
// period and their Goals' histories, and the dead letters waiting for an operator.
// The computation itself is pure (src/workflow/report/); this file only reads.
import { performance } from 'node:perf_hooks';
import type { CarePlan, Goal, Procedure, ServiceRequest, Task } from '@medplum/fhirtypes';
import type { Store, StoredVersion } from '../store/store.ts';
import { carePlanCategories } from '../workflow/report/compute-report.ts';
import { instantMs } from '../workflow/report/instant.ts';
import { carePlanFact, procedureFact, referralFact, sdohCategories } from '../workflow/report/report-facts.ts';
import type { CarePlanFact, ReferralFact, ReferralReportInput } from '../workflow/report/report-types.ts';
import { parseReference } from '../workflow/references.ts';
import type { ReportPeriod } from './report-request.ts';
import { countDeadLetters } from './sync-failures.ts';

export interface ReadReportOptions {
  tenant: string;
  period: ReportPeriod;
  /**
   * `projection` (default): the store's report projection, kept with every write, a few
   * indexed queries. `history`: the resource histories themselves (slow; kept to check the
   * projection against).
   */
  source?: 'projection' | 'history';
  /**
   * Versions per history page; default 100,000. The store pages history by offset and sorts
   * by (lastUpdated, id, version) on every page, so small pages cost a sort of the whole
   * history each (72 s instead of seconds for 300,000 Task versions on SQLite).
   */
  pageSize?: number;
  /** Called after each phase of the read with its duration (benchmarks). */
  onPhase?: (phase: string, ms: number) => void;
}

/** Ids per `_id` search (a search page holds at most 1000). */
const ID_CHUNK = 1000;
const PARALLEL_READS = 16;

/** Every version of `type` updated at or after `since` (all when undefined), paged by offset. */
async function typeHistory(store: Store, tenant: string, type: string, since: string | undefined, pageSize: number): Promise<StoredVersion[]> {
  const out: StoredVersion[] = [];
  for (let offset = 0; ; offset += pageSize) {
    const page = await store.readHistory(tenant, type, undefined, since === undefined ? { count: pageSize, offset } : { since, count: pageSize, offset });
    out.push(...page);
    if (page.length < pageSize) return out;
  }
}

/** Versions grouped by id, oldest first, without resources deleted as of `endMs` and versions at or after it. */
function byId(versions: readonly StoredVersion[], endMs: number): Map<string, StoredVersion[]> {
  const map = new Map<string, StoredVersion[]>();
  const deleted = new Set<string>();
  for (const v of versions) {
    if (!(instantMs(v.lastUpdated) < endMs)) continue;
    if (v.deleted) deleted.add(v.id);
    const list = map.get(v.id);
    if (list) list.push(v);
    else map.set(v.id, [v]);
  }
  for (const id of deleted) map.delete(id);
  for (const list of map.values()) list.sort((a, b) => Number(a.versionId) - Number(b.versionId));
  return map;
}

async function inBatches<T, R>(items: readonly T[], size: number, fn: (batch: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size * PARALLEL_READS) {
    const batches: T[][] = [];
    for (let j = i; j < Math.min(items.length, i + size * PARALLEL_READS); j += size) batches.push(items.slice(j, j + size));
    for (const r of await Promise.all(batches.map(fn))) out.push(...r);
  }
  return out;
}

/**
 * Current live versions of `type` with these ids. A search on `_id` in chunks: the store's
 * readMany (an OR of type/id pairs) was two orders of magnitude slower on SQLite for
 * hundreds of references.
 */
async function readByIds<T>(store: Store, tenant: string, type: string, ids: readonly string[]): Promise<T[]> {
  const unique = [...new Set(ids)];
  const found = await inBatches(unique, ID_CHUNK, async (chunk) => {
    const page = await store.search(tenant, { resourceType: type, filters: [{ kind: 'id', values: chunk }], count: ID_CHUNK });
    return page.versions;
  });
  return found.map((v) => v.resource as T);
}

/**
 * Task histories of the referrals that may be in the cohort. The type history starts at the
 * period start; a Task whose first version in it is not its first and not a draft was sent
 * before the period unless the version just before it is still a draft (a Task never returns
 * to draft, task.html#statemachine), so one readVersion settles it.
 */
async function referralHistories(store: Store, tenant: string, period: ReportPeriod, pageSize: number): Promise<Task[][]> {
  const endMs = instantMs(period.end);
  const grouped = byId(await typeHistory(store, tenant, 'Task', period.start, pageSize), endMs);
  const unsure: string[] = [];
  for (const [id, versions] of grouped) {
    const first = versions[0];
    if (first.versionId !== '1' && (first.resource as Task).status !== 'draft') unsure.push(id);
  }
  const earlierStillDraft = await inBatches(unsure, 1, async ([id]) => {
    const first = (grouped.get(id) as StoredVersion[])[0];
    const before = await store.readVersion<Task>(tenant, 'Task', id, String(Number(first.versionId) - 1));
    return [{ id, draft: before !== undefined && !before.deleted && before.resource.status === 'draft' }];
  });
  for (const { id, draft } of earlierStillDraft) if (!draft) grouped.delete(id);
  const out: Task[][] = [];
  for (const versions of grouped.values()) {
    const tasks = versions.map((v) => v.resource as Task);
    const last = tasks[tasks.length - 1];
    // SDOHCC TaskForReferralManagement: Task.focus is the ServiceRequest being fulfilled. The
    // platform's mirrors of downstream Tasks (partOf a source Task) are not referrals of their
    // own: the source Task, which reflects them, is counted once.
    if (parseReference(last.focus?.reference)?.resourceType === 'ServiceRequest' && !last.partOf?.length) out.push(tasks);
  }
  return out;
}

/** Every current CarePlan (search pages of up to 1000). */
async function allCarePlans(store: Store, tenant: string): Promise<CarePlan[]> {
  const out: CarePlan[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.search(tenant, { resourceType: 'CarePlan', filters: [], count: 1000, ...(cursor ? { cursor } : {}) });
    for (const v of page.versions) out.push(v.resource as CarePlan);
    cursor = page.next;
  } while (cursor !== undefined);
  return out;
}

/** Need categories of the referral Tasks `ids` (from their focus ServiceRequests), for those not in `known`. */
async function categoriesOf(store: Store, tenant: string, ids: readonly string[], known: Map<string, readonly string[]>): Promise<void> {
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length === 0) return;
  const tasks = await readByIds<Task>(store, tenant, 'Task', missing);
  const focusOf = new Map<string, string>();
  for (const t of tasks) {
    const focus = parseReference(t.focus?.reference);
    if (focus?.resourceType === 'ServiceRequest' && t.id) focusOf.set(t.id, focus.id);
  }
  const requests = new Map<string, ServiceRequest>();
  for (const sr of await readByIds<ServiceRequest>(store, tenant, 'ServiceRequest', [...focusOf.values()])) requests.set(sr.id ?? '', sr);
  for (const id of missing) {
    const sr = focusOf.has(id) ? requests.get(focusOf.get(id) as string) : undefined;
    known.set(id, sdohCategories(sr));
  }
}

async function carePlanFacts(
  store: Store,
  tenant: string,
  period: ReportPeriod,
  pageSize: number,
  categoriesById: Map<string, readonly string[]>,
): Promise<CarePlanFact[]> {
  const startMs = instantMs(period.start);
  const endMs = instantMs(period.end);
  // Only care plans created in the period are in scope (compute-report.ts definitions).
  const inScope = (await allCarePlans(store, tenant)).filter((cp) => {
    const created = instantMs(cp.created ?? cp.meta?.lastUpdated ?? '');
    return created >= startMs && created < endMs;
  });
  const goalIds = new Set<string>();
  for (const cp of inScope) {
    for (const g of cp.goal ?? []) {
      const parsed = parseReference(g.reference);
      if (parsed?.resourceType === 'Goal') goalIds.add(parsed.id);
    }
  }
  // Achievement as of the end needs versions before the start too: the whole Goal history.
  // Every version goes to goalFact; compute-report reads it as of the end (a Goal of an
  // in-scope care plan counts even when its first version came later).
  const goals = goalIds.size === 0 ? new Map<string, StoredVersion[]>() : byId(await typeHistory(store, tenant, 'Goal', undefined, pageSize), Number.POSITIVE_INFINITY);
  const facts = inScope.map((cp) => {
    const histories: Goal[][] = [];
    for (const g of cp.goal ?? []) {
      const parsed = parseReference(g.reference);
      const versions = parsed?.resourceType === 'Goal' ? goals.get(parsed.id) : undefined;
      if (versions) histories.push(versions.map((v) => v.resource as Goal));
    }
    return carePlanFact(cp, histories);
  });
  // The categories of a care plan are those of the referrals it contains, cohort or not.
  await categoriesOf(store, tenant, [...new Set(facts.flatMap((f) => f.referralIds))], categoriesById);
  for (const f of facts) f.categories = carePlanCategories(f.referralIds, (id) => categoriesById.get(id));
  return facts;
}

/** The report input for `tenant` and `period`, read from the store. */
export async function readReportInput(store: Store, options: ReadReportOptions): Promise<ReferralReportInput> {
  if ((options.source ?? 'projection') === 'projection') {
    const t0 = performance.now();
    while (!(await store.completeReportProjection(options.tenant)).done);
    const read = await store.readReportProjection(options.tenant, options.period);
    const t1 = performance.now();
    options.onPhase?.('projection', t1 - t0);
    const pendingSyncFailures = await countDeadLetters(store);
    options.onPhase?.('dead letters', performance.now() - t1);
    return { ...read, carePlans: [], pendingSyncFailures };
  }
  return readReportHistories(store, options);
}

/** The report input read from the resource histories (the projection's reference). */
async function readReportHistories(store: Store, options: ReadReportOptions): Promise<ReferralReportInput> {
  const pageSize = options.pageSize ?? 100_000;
  const { tenant, period } = options;
  let mark = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    options.onPhase?.(name, now - mark);
    mark = now;
  };
  const histories = await referralHistories(store, tenant, period, pageSize);
  phase('task histories');

  const requestIds: string[] = [];
  const procedureIds = new Set<string>();
  for (const versions of histories) {
    const focus = parseReference(versions[versions.length - 1].focus?.reference);
    if (focus) requestIds.push(focus.id);
  }
  const requests = new Map<string, ServiceRequest>();
  for (const sr of await readByIds<ServiceRequest>(store, tenant, 'ServiceRequest', requestIds)) requests.set(sr.id ?? '', sr);
  phase('service requests');

  const referrals: ReferralFact[] = histories.map((versions) => {
    const focus = parseReference(versions[versions.length - 1].focus?.reference);
    const fact = referralFact(versions, focus ? requests.get(focus.id) : undefined);
    for (const v of fact.versions) for (const id of v.outputProcedures) procedureIds.add(id);
    return fact;
  });
  const procedures = (await readByIds<Procedure>(store, tenant, 'Procedure', [...procedureIds])).map(procedureFact);
  phase('procedures');
  const categoriesById = new Map<string, readonly string[]>(referrals.map((r) => [r.id, r.categories]));
  const carePlans = await carePlanFacts(store, tenant, period, pageSize, categoriesById);
  phase('care plans and goals');
  const pendingSyncFailures = await countDeadLetters(store);
  phase('dead letters');
  return { referrals, procedures, carePlans, pendingSyncFailures };
}
