// The report projection (pure): per resource version, the few facts the referral report
// needs, so the store can keep them beside each write and the report can read them without
// the resource histories. `report-facts.ts` turns whole resources into report facts; this
// file turns one version into a compact row entry, and the rows of a tenant back into the
// same report facts the history read produces (same window, same exclusions), and keeps per
// Task a summary of how it counts in any period that holds all its versions and per care
// plan the row its figures are summarised from.
import type { CarePlan, Goal, Procedure, ServiceRequest, Task } from '@medplum/fhirtypes';
import { parseReference } from '../references.ts';
import { isReferralTaskStatus } from '../task-status.ts';
import { instantMs } from './instant.ts';
import { carePlanCategories, summariseGoals, summariseReferral } from './compute-report.ts';
import { carePlanFact, goalDefiner, goalFact, procedureFact, referralFact, sdohCategories, taskVersionFact } from './report-facts.ts';
import type { CarePlanSummary, GoalSteps, ProcedureFact, ReferralFact, TaskVersionFact } from './report-types.ts';

/** One Task version in the projection. Short keys: a referral has a few, a tenant 100,000s. */
export interface TaskEntry {
  /** versionId */
  v: number;
  /** meta.lastUpdated (the store's stamp) */
  t: string;
  /** Task.status as written (any code, not only the referral ones) */
  s: string;
  /** 1 for a version written by a delete */
  d?: 1;
  /** statusReason text or first code */
  r?: string;
  /** owner reference, when it differs from the previous entry's ('' for none) */
  o?: string;
  /** number of resulting-activity outputs, when not 0 */
  n?: number;
  /** Procedure ids those outputs name, when any */
  p?: string[];
  /** id of the focus ServiceRequest, when it differs from the previous entry's */
  f?: string;
  /** 1 when this version is not a referral of its own (focus not a ServiceRequest, or partOf another Task) */
  x?: 1;
}

export interface TaskProjection {
  /** Current focus ServiceRequest id (undefined when the focus is something else). */
  focusId?: string;
  /** Current version is live. */
  live: boolean;
  firstMs: number;
  lastMs: number;
  entries: TaskEntry[];
}

export interface ServiceRequestProjection {
  categories: string[];
  consent: boolean;
}

export interface CarePlanProjection {
  /** created, or the version's lastUpdated without one (epoch ms; NaN when unreadable). */
  createdMs: number;
  fact: { created: string; organization?: string; referralIds: string[]; goalIds: string[] };
}

export interface GoalEntry {
  /** achievement status code */
  a?: string;
  t: string;
}

export interface GoalProjection {
  definedBy?: string;
  /** A version written by a delete was seen: the Goal is left out of reports. */
  deleted: boolean;
  history: GoalEntry[];
}

function focusServiceRequest(task: Task): string | undefined {
  const parsed = parseReference(task.focus?.reference);
  return parsed?.resourceType === 'ServiceRequest' ? parsed.id : undefined;
}

function lastOwner(entries: readonly TaskEntry[], upTo: number): string | undefined {
  for (let i = upTo; i >= 0; i--) if (entries[i].o !== undefined) return entries[i].o === '' ? undefined : entries[i].o;
  return undefined;
}

function lastFocus(entries: readonly TaskEntry[], upTo: number): string | undefined {
  for (let i = upTo; i >= 0; i--) if (entries[i].f !== undefined) return entries[i].f === '' ? undefined : entries[i].f;
  return undefined;
}

/**
 * The projection of a Task after writing version `versionId` at `lastUpdated`, from the
 * previous projection (undefined for the first version seen).
 */
export function nextTaskProjection(previous: TaskProjection | undefined, task: Task, versionId: number, lastUpdated: string, deleted: boolean): TaskProjection {
  const entries = previous ? [...previous.entries] : [];
  const focus = focusServiceRequest(task);
  const entry: TaskEntry = { v: versionId, t: lastUpdated, s: typeof task.status === 'string' ? task.status : '' };
  if (deleted) entry.d = 1;
  const fact = isReferralTaskStatus(task.status) ? taskVersionFact(task) : undefined;
  const reason = fact ? fact.reason : (task.statusReason?.text ?? task.statusReason?.coding?.[0]?.code);
  if (reason !== undefined) entry.r = reason;
  const owner = task.owner?.reference;
  if (entries.length === 0 ? owner !== undefined : lastOwner(entries, entries.length - 1) !== owner) entry.o = owner ?? '';
  if (fact && fact.outcomes > 0) entry.n = fact.outcomes;
  if (fact && fact.outputProcedures.length > 0) entry.p = fact.outputProcedures;
  if (entries.length === 0 || lastFocus(entries, entries.length - 1) !== focus) entry.f = focus ?? '';
  if (focus === undefined || (task.partOf?.length ?? 0) > 0) entry.x = 1;
  entries.push(entry);
  const ms = instantMs(lastUpdated);
  return {
    focusId: focus,
    live: !deleted,
    firstMs: previous ? previous.firstMs : ms,
    lastMs: ms,
    entries,
  };
}

export function serviceRequestProjection(serviceRequest: ServiceRequest): ServiceRequestProjection {
  const fact = referralFact([], serviceRequest);
  return { categories: sdohCategories(serviceRequest), consent: fact.consent };
}

export function procedureProjection(procedure: Procedure): { performed?: string } {
  const fact = procedureFact(procedure);
  return fact.performed === undefined ? {} : { performed: fact.performed };
}

export function carePlanProjection(carePlan: CarePlan): CarePlanProjection {
  const fact = carePlanFact(carePlan, []);
  const goalIds: string[] = [];
  for (const g of carePlan.goal ?? []) {
    const parsed = parseReference(g.reference);
    if (parsed?.resourceType === 'Goal') goalIds.push(parsed.id);
  }
  const out: CarePlanProjection['fact'] = { created: fact.created, referralIds: fact.referralIds, goalIds };
  if (fact.organization !== undefined) out.organization = fact.organization;
  return { createdMs: instantMs(fact.created), fact: out };
}

export function nextGoalProjection(previous: GoalProjection | undefined, goal: Goal, deleted: boolean): GoalProjection {
  const fact = goalFact([goal]);
  const history = previous ? [...previous.history] : [];
  if (deleted) return { ...(previous?.definedBy !== undefined ? { definedBy: previous.definedBy } : {}), deleted: true, history };
  const h = fact.history[0];
  history.push(h.achievementStatus === undefined ? { t: h.lastUpdated } : { a: h.achievementStatus, t: h.lastUpdated });
  const out: GoalProjection = { deleted: previous?.deleted ?? false, history };
  if (fact.definedBy !== undefined) out.definedBy = fact.definedBy;
  return out;
}

let lastIso: { ms: number; iso: string | undefined }[] = [];

/** ISO text of an instant in the years 1970-9999 (undefined otherwise); the last two are kept (a report asks for the same two bounds per row). */
function isoCache(ms: number): string | undefined {
  for (const c of lastIso) if (c.ms === ms) return c.iso;
  const iso = !Number.isFinite(ms) || ms < 0 || ms >= 253402300800000 ? undefined : new Date(ms).toISOString();
  lastIso = [{ ms, iso }, ...lastIso.slice(0, 1)];
  return iso;
}

/** A Task row as read back for a report: its projection and the need data of its current focus. */
export interface TaskRow {
  id: string;
  entries: readonly TaskEntry[];
  /** Need data of the current focus ServiceRequest (undefined when there is none in the store). */
  request?: ServiceRequestProjection;
  focusId?: string;
}

export interface ReferralFromRow {
  fact: ReferralFact;
  /** Focus ServiceRequest of the last version in the window, when it differs from the current one. */
  otherFocus?: string;
}

/**
 * The referral fact the history read produces for this Task and period, or undefined when the
 * history read leaves it out: versions in [start, end) only; none there, a delete there, or
 * a first one there that was sent before the period (not version 1, not a draft, and the
 * version before it not a live draft); the last one there not a referral of its own.
 */
export function referralFromRow(row: TaskRow, startMs: number, endMs: number, requestOf: (focusId: string | undefined) => ServiceRequestProjection | undefined): ReferralFact | undefined {
  const entries = row.entries;
  let from = -1;
  let to = -1;
  // The store stamps versions as 24-character ISO instants (UTC, milliseconds), which compare
  // as text in time order: no parsing for those.
  const startIso = isoCache(startMs);
  const endIso = isoCache(endMs);
  for (let i = 0; i < entries.length; i++) {
    const text = entries[i].t;
    const inWindow =
      text.length === 24 && startIso !== undefined && endIso !== undefined
        ? text >= startIso && text < endIso
        : instantMs(text) >= startMs && instantMs(text) < endMs;
    if (inWindow) {
      if (from < 0) from = i;
      to = i;
      if (entries[i].d === 1) return undefined;
    }
  }
  if (from < 0) return undefined;
  const first = entries[from];
  if (first.v !== 1 && first.s !== 'draft') {
    const before = from > 0 ? entries[from - 1] : undefined;
    if (!before || before.v !== first.v - 1 || before.d === 1 || before.s !== 'draft') return undefined;
  }
  const last = entries[to];
  if (last.x === 1) return undefined;
  const versions: TaskVersionFact[] = [];
  let owner = from > 0 ? lastOwner(entries, from - 1) : undefined;
  for (let i = from; i <= to; i++) {
    const e = entries[i];
    if (e.o !== undefined) owner = e.o === '' ? undefined : e.o;
    if (!isReferralTaskStatus(e.s)) continue;
    const v: TaskVersionFact = { status: e.s, reason: e.r, owner, lastUpdated: e.t, outcomes: e.n ?? 0, outputProcedures: e.p ?? [] };
    versions.push(v);
  }
  const focus = lastFocus(entries, to);
  const request = focus === row.focusId && row.request !== undefined ? row.request : requestOf(focus);
  return { id: row.id, authoredOn: '', categories: request?.categories ?? [], versions, consent: request?.consent ?? false };
}

export function procedureFromRow(id: string, performed: string | null | undefined): ProcedureFact {
  return performed === null || performed === undefined ? { id } : { id, performed };
}

/**
 * What a care plan's row holds for reports, kept current by every write that changes it: the
 * organisation, each referral Task it names with that Task's current need categories (none
 * when the Task is deleted or unknown), and each of its Goals that exists and is not deleted
 * with its definer and its achievement status per version (times in epoch ms, null when
 * unreadable). Short arrays: a tenant has tens of thousands of plans.
 */
export type CarePlanReportRow = [
  organization: string | null,
  referrals: [id: string, categories: string[]][],
  goals: [definedBy: string | null, times: (number | null)[], statuses: (string | null)[]][],
];

/** Need data of a referral Task as a care plan's row reads it. */
export interface TaskNeed {
  live: boolean;
  /** Categories of its current focus ServiceRequest; null without one in the store. */
  categories: string[] | null;
}

/** The report row of a care plan from its projection, its Goals' and its Tasks' rows. */
export function carePlanReportRow(
  fact: CarePlanProjection['fact'],
  goals: ReadonlyMap<string, GoalProjection>,
  tasks: ReadonlyMap<string, TaskNeed>,
): CarePlanReportRow {
  const referrals: CarePlanReportRow[1] = fact.referralIds.map((id) => {
    const t = tasks.get(id);
    return [id, t?.live ? (t.categories ?? []) : []];
  });
  const goalRows: CarePlanReportRow[2] = [];
  for (const goalId of fact.goalIds) {
    const g = goals.get(goalId);
    if (!g || g.deleted) continue;
    goalRows.push([
      g.definedBy ?? null,
      g.history.map((h) => {
        const ms = instantMs(h.t);
        return Number.isFinite(ms) ? ms : null;
      }),
      g.history.map((h) => h.a ?? null),
    ]);
  }
  return [fact.organization ?? null, referrals, goalRows];
}

/**
 * How a care plan created in [startMs, endMs) counts, from its report row. `categoriesOf`
 * gives the categories of referrals as of the period where they may differ from the current
 * ones (those the report read from their entries); the others count with their current ones.
 */
export function carePlanSummaryFromRow(row: CarePlanReportRow, categoriesOf: ReadonlyMap<string, readonly string[]>, startMs: number, endMs: number): CarePlanSummary {
  const [organization, referrals, goalRows] = row;
  const current = new Map(referrals);
  const categories = carePlanCategories(current.keys(), (id) => categoriesOf.get(id) ?? current.get(id));
  const goals: GoalSteps[] = goalRows.map(([definedBy, times, statuses]) => {
    const g: GoalSteps = { times: times.map((t) => t ?? Number.NaN), statuses: statuses.map((a) => a ?? undefined) };
    const definer = goalDefiner(definedBy);
    if (definer !== undefined) g.definedBy = definer;
    return g;
  });
  const summary: CarePlanSummary = { ...summariseGoals(goals, startMs, endMs), categories };
  if (organization !== null) summary.organization = organization;
  return summary;
}

/** The summary columns of a Task row (see summaryColumns). */
export interface SummaryColumns {
  /** 1: counts in a period holding all its versions when sent in it; 0: left out of any such period. */
  counts: 0 | 1;
  sentMs: number | null;
  acceptedMs: number | null;
  completedMs: number | null;
  status: string | null;
  reason: string | null;
  owner: string | null;
  outcomes: number | null;
  /** JSON array of the Procedure ids the latest outputs name; null for none. */
  procedures: string | null;
}

/**
 * How the referral counts in any period that holds all its versions, kept beside a Task's
 * entries so that a report can count such referrals in SQL (summariseReferral of all its
 * versions); `counts` 0 when such a period leaves it out (deleted, not a referral of its own,
 * first seen after it was sent, never a referral status, entered in error); undefined when
 * its versions are not in time order, so that no period can be said to hold them all by its
 * first and last alone (the report then reads the entries).
 */
export function summaryColumns(id: string, entries: readonly TaskEntry[]): SummaryColumns | undefined {
  for (let i = 1; i < entries.length; i++) {
    if (!(instantMs(entries[i - 1].t) <= instantMs(entries[i].t))) return undefined;
  }
  const all = referralFromRow({ id, entries }, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, () => undefined);
  const s = all === undefined ? undefined : summariseReferral(all, Number.POSITIVE_INFINITY);
  if (s === undefined) {
    return { counts: 0, sentMs: null, acceptedMs: null, completedMs: null, status: null, reason: null, owner: null, outcomes: null, procedures: null };
  }
  return {
    counts: 1,
    sentMs: s.sentAt,
    acceptedMs: s.acceptedAt,
    completedMs: s.completedAt,
    status: s.status,
    reason: s.reason ?? null,
    owner: s.owner ?? null,
    outcomes: s.outcomes,
    procedures: s.outputProcedures.length === 0 ? null : JSON.stringify(s.outputProcedures),
  };
}
