// The referral outcome report (issue 9, "Reports"): for a period, overall and per
// organisation / need category, a funnel, timeliness, client-defined goals and data
// quality. Pure: the period comes in as data, nothing reads the clock.
//
// Definitions:
// - Versions are read as of the end of the period: versions updated at or after `end` are
//   ignored, so a report for a past period does not change when referrals move on.
// - A referral is *sent* when its Task first leaves draft; the cohort of a period is the
//   referrals sent in [start, end). Referrals whose latest version (as of end) is
//   entered-in-error are left out: they never existed.
// - accepted = reached accepted or a status that follows it (in-progress, on-hold,
//   completed, failed); rejected/awaiting(requested)/inProgress(accepted, in-progress,
//   on-hold)/completed/failed/cancelled = the status at the end of the period.
// - closed loop = the Task carries at least one resulting-activity output at the end of the
//   period (SDOHCC Task.output: the outcome was reported back).
// - time to acceptance / completion = from sending to the first accepted (or later) /
//   completed version; time to first service = from sending to the earliest performed start
//   of the Procedures the Task's outputs name.
// - organisation = the latest owner as of end ('unassigned' without one); a referral with
//   several need categories counts in each ('unspecified' without one).
// - care plans in scope: created in the period; grouped by their organisation and by the
//   categories of the referrals they contain. Goal achievement as of end: achieved =
//   achieved | sustaining, progressing = in-progress | improving (FHIR R4 goal-achievement).
//   A step = a version whose achievement status differs from the previous one, recorded in
//   the period.
// - outcomes without a Procedure = closed-loop referrals none of whose outputs names a
//   Procedure the gateway holds (code-only outcomes or dangling references).
import { instantMs } from './instant.ts';
import { durationStats } from './percentiles.ts';
import type {
  CarePlanFact,
  CarePlanSummary,
  GoalDefiner,
  GoalSteps,
  GoalsSummary,
  GroupFigures,
  ReferralFact,
  ReferralReport,
  ReferralReportInput,
  ReferralSummary,
  ReportDimension,
  SummaryGroup,
  ReportOptions,
} from './report-types.ts';

const ACCEPTED_OR_LATER = new Set(['accepted', 'in-progress', 'on-hold', 'completed', 'failed']);
const WORKING = new Set(['accepted', 'in-progress', 'on-hold']);
const ACHIEVED = new Set(['achieved', 'sustaining']);
const PROGRESSING = new Set(['in-progress', 'improving']);

export const UNASSIGNED = 'unassigned';
export const UNSPECIFIED = 'unspecified';

class Accumulator {
  sent = 0;
  accepted = 0;
  rejected = 0;
  rejectedByReason: Record<string, number> = {};
  awaiting = 0;
  inProgress = 0;
  completed = 0;
  failed = 0;
  cancelled = 0;
  closedLoop = 0;
  toAcceptance: number[] = [];
  toFirstService: number[] = [];
  toCompletion: number[] = [];
  missingConsent = 0;
  outcomesWithoutProcedure = 0;
  carePlans = 0;
  carePlansWithClientDefinedGoals = 0;
  goals = 0;
  goalsByDefiner: Record<GoalDefiner | 'unspecified', number> = { client: 0, 'case-manager': 0, jointly: 0, unspecified: 0 };
  goalsAchieved = 0;
  goalsProgressing = 0;
  stepsRecorded = 0;

  figures(): GroupFigures {
    const share = (n: number, d: number) => (d === 0 ? null : n / d);
    return {
      funnel: {
        sent: this.sent,
        accepted: this.accepted,
        rejected: this.rejected,
        rejectedByReason: this.rejectedByReason,
        awaiting: this.awaiting,
        inProgress: this.inProgress,
        completed: this.completed,
        failed: this.failed,
        cancelled: this.cancelled,
        closedLoop: this.closedLoop,
        closedLoopRate: share(this.closedLoop, this.sent),
      },
      timeliness: {
        toAcceptance: durationStats(this.toAcceptance),
        toFirstService: durationStats(this.toFirstService),
        toCompletion: durationStats(this.toCompletion),
      },
      goals: {
        carePlans: this.carePlans,
        carePlansWithClientDefinedGoals: this.carePlansWithClientDefinedGoals,
        clientDefinedShare: share(this.carePlansWithClientDefinedGoals, this.carePlans),
        goals: this.goals,
        goalsByDefiner: this.goalsByDefiner,
        goalsAchieved: this.goalsAchieved,
        goalsProgressing: this.goalsProgressing,
        achievedOrProgressingShare: share(this.goalsAchieved + this.goalsProgressing, this.goals),
        stepsRecorded: this.stepsRecorded,
      },
      dataQuality: { missingConsent: this.missingConsent, outcomesWithoutProcedure: this.outcomesWithoutProcedure },
    };
  }
}

class Groups {
  readonly overall = new Accumulator();
  readonly byOrganization = new Map<string, Accumulator>();
  readonly byCategory = new Map<string, Accumulator>();
  readonly dimensions: ReadonlySet<ReportDimension>;
  constructor(dimensions: ReadonlySet<ReportDimension>) {
    this.dimensions = dimensions;
  }

  /** The accumulators a record with this organisation and these categories counts in. */
  targets(organization: string, categories: readonly string[]): Accumulator[] {
    const out = [this.overall];
    if (this.dimensions.has('organization')) {
      out.push(get(this.byOrganization, organization));
    }
    if (this.dimensions.has('category')) {
      const cats = categories.length === 0 ? [UNSPECIFIED] : categories;
      for (let i = 0; i < cats.length; i++) {
        if (cats.indexOf(cats[i]) === i) out.push(get(this.byCategory, cats[i]));
      }
    }
    return out;
  }
}

function get(map: Map<string, Accumulator>, key: string): Accumulator {
  let acc = map.get(key);
  if (!acc) {
    acc = new Accumulator();
    map.set(key, acc);
  }
  return acc;
}

/**
 * How a referral counts in a period ending at `endMs` (versions at or after it ignored), or
 * undefined when it does not count at all (no referral version before the end, or entered
 * in error). The caller checks that it was sent in the period (`sentAt >= start`).
 */
export function summariseReferral(r: ReferralFact, endMs: number): ReferralSummary | undefined {
  let sentAt = -1;
  let acceptedAt = -1;
  let completedAt = -1;
  let asOf: ReferralFact['versions'][number] | undefined;
  let owner: string | undefined;
  for (const v of r.versions) {
    const t = instantMs(v.lastUpdated);
    if (!(t < endMs)) continue;
    if (sentAt < 0 && v.status !== 'draft') sentAt = t;
    if (acceptedAt < 0 && ACCEPTED_OR_LATER.has(v.status)) acceptedAt = t;
    if (completedAt < 0 && v.status === 'completed') completedAt = t;
    if (v.owner !== undefined) owner = v.owner;
    asOf = v;
  }
  if (asOf === undefined || asOf.status === 'entered-in-error') return undefined;
  const out: ReferralSummary = {
    id: r.id,
    sentAt,
    acceptedAt,
    completedAt,
    status: asOf.status,
    outcomes: asOf.outcomes,
    outputProcedures: asOf.outputProcedures,
    categories: r.categories,
    consent: r.consent,
  };
  if (asOf.reason !== undefined) out.reason = asOf.reason;
  if (owner !== undefined) out.owner = owner;
  return out;
}

/** Whether a referral's outputs name Procedures the input holds, and the earliest performed start among them. */
function procedureFacts(outputProcedures: readonly string[], performedById: ReadonlyMap<string, number>): { known: boolean; firstService: number } {
  let firstService = Number.POSITIVE_INFINITY;
  let known = false;
  for (const id of outputProcedures) {
    if (!performedById.has(id)) continue;
    known = true;
    const performed = performedById.get(id) as number;
    if (performed < firstService) firstService = performed; // false for NaN (unknown)
  }
  return { known, firstService };
}

function addStatus(acc: Accumulator, status: ReferralSummary['status'], reason: string | undefined, n: number): void {
  if (status === 'rejected') {
    acc.rejected += n;
    const key = reason ?? UNSPECIFIED;
    acc.rejectedByReason[key] = (acc.rejectedByReason[key] ?? 0) + n;
  } else if (status === 'requested') acc.awaiting += n;
  else if (WORKING.has(status)) acc.inProgress += n;
  else if (status === 'completed') acc.completed += n;
  else if (status === 'failed') acc.failed += n;
  else if (status === 'cancelled') acc.cancelled += n;
}

function addReferral(s: ReferralSummary, startMs: number, performedById: ReadonlyMap<string, number>, groups: Groups): void {
  const { sentAt, acceptedAt, completedAt } = s;
  if (sentAt < startMs) {
    return;
  }
  const closedLoop = s.outcomes > 0;
  const { known, firstService } = procedureFacts(s.outputProcedures, performedById);
  for (const acc of groups.targets(s.owner ?? UNASSIGNED, s.categories)) {
    acc.sent++;
    if (acceptedAt >= 0) {
      acc.accepted++;
      acc.toAcceptance.push(acceptedAt - sentAt);
    }
    addStatus(acc, s.status, s.reason, 1);
    if (completedAt >= 0) acc.toCompletion.push(completedAt - sentAt);
    if (firstService !== Number.POSITIVE_INFINITY) acc.toFirstService.push(firstService - sentAt);
    if (closedLoop) {
      acc.closedLoop++;
      if (!known) acc.outcomesWithoutProcedure++;
    }
    if (!s.consent) acc.missingConsent++;
  }
}

function addGroup(g: SummaryGroup, groups: Groups): void {
  for (const acc of groups.targets(g.owner ?? UNASSIGNED, g.categories)) {
    acc.sent += g.count;
    acc.accepted += g.toAcceptance.length;
    for (const d of g.toAcceptance) acc.toAcceptance.push(d);
    addStatus(acc, g.status, g.reason, g.count);
    for (const d of g.toCompletion) acc.toCompletion.push(d);
    for (const d of g.toFirstService) acc.toFirstService.push(d);
    if (g.closedLoop) {
      acc.closedLoop += g.count;
      acc.outcomesWithoutProcedure += g.outcomesWithoutProcedure;
    }
    if (!g.consent) acc.missingConsent += g.count;
  }
}

/**
 * The summaries of referrals sent in [startMs, ...) grouped as the store groups them in SQL
 * (same key, same figures): what `summaryGroups` of the input holds.
 */
export function groupSummaries(summaries: readonly ReferralSummary[], startMs: number, performedById: ReadonlyMap<string, number>): SummaryGroup[] {
  const byKey = new Map<string, SummaryGroup>();
  for (const s of summaries) {
    if (s.sentAt < startMs) continue;
    const closedLoop = s.outcomes > 0;
    const key = JSON.stringify([s.owner ?? null, s.categories, s.status, s.reason ?? null, s.consent, closedLoop]);
    let g = byKey.get(key);
    if (!g) {
      g = { categories: s.categories, status: s.status, consent: s.consent, closedLoop, count: 0, toAcceptance: [], toCompletion: [], toFirstService: [], outcomesWithoutProcedure: 0 };
      if (s.owner !== undefined) g.owner = s.owner;
      if (s.reason !== undefined) g.reason = s.reason;
      byKey.set(key, g);
    }
    g.count++;
    if (s.acceptedAt >= 0) g.toAcceptance.push(s.acceptedAt - s.sentAt);
    if (s.completedAt >= 0) g.toCompletion.push(s.completedAt - s.sentAt);
    const { known, firstService } = procedureFacts(s.outputProcedures, performedById);
    if (firstService !== Number.POSITIVE_INFINITY) g.toFirstService.push(firstService - s.sentAt);
    if (closedLoop && !known) g.outcomesWithoutProcedure++;
  }
  return [...byKey.values()];
}

/** The need categories of a care plan: those of the referrals it contains, each once, in order. */
export function carePlanCategories(referralIds: Iterable<string>, categoriesOf: (referralId: string) => readonly string[] | undefined): string[] {
  const found: string[] = [];
  for (const id of referralIds) for (const c of categoriesOf(id) ?? []) if (!found.includes(c)) found.push(c);
  return found;
}

/** How the Goals of a care plan count in [startMs, endMs): definers, achievement as of the end, steps in the period. */
export function summariseGoals(goals: readonly GoalSteps[], startMs: number, endMs: number): GoalsSummary {
  const out: GoalsSummary = { clientDefined: false, goals: goals.length, goalsByDefiner: { client: 0, 'case-manager': 0, jointly: 0, unspecified: 0 }, achieved: 0, progressing: 0, steps: 0 };
  for (const goal of goals) {
    out.goalsByDefiner[goal.definedBy ?? 'unspecified']++;
    if (goal.definedBy === 'client') out.clientDefined = true;
    let previous: string | undefined;
    for (let i = 0; i < goal.times.length; i++) {
      const t = goal.times[i];
      const status = goal.statuses[i];
      if (!(t < endMs) || status === undefined) continue;
      if (status !== previous && t >= startMs) out.steps++;
      previous = status;
    }
    if (previous !== undefined && ACHIEVED.has(previous)) out.achieved++;
    else if (previous !== undefined && PROGRESSING.has(previous)) out.progressing++;
  }
  return out;
}

function addCarePlan(cp: CarePlanFact, startMs: number, endMs: number, categoriesById: ReadonlyMap<string, readonly string[]>, groups: Groups): void {
  const created = instantMs(cp.created);
  if (!(created >= startMs && created < endMs)) {
    return;
  }
  const categories = cp.categories ?? carePlanCategories(cp.referralIds, (id) => categoriesById.get(id));
  const goals: GoalSteps[] = cp.goals.map((g) => ({
    definedBy: g.definedBy,
    times: g.history.map((h) => instantMs(h.lastUpdated)),
    statuses: g.history.map((h) => h.achievementStatus),
  }));
  const summary: CarePlanSummary = { ...summariseGoals(goals, startMs, endMs), categories };
  if (cp.organization !== undefined) summary.organization = cp.organization;
  addCarePlanSummary(summary, groups);
}

function addCarePlanSummary(s: CarePlanSummary, groups: Groups): void {
  for (const acc of groups.targets(s.organization ?? UNASSIGNED, s.categories)) {
    acc.carePlans++;
    if (s.clientDefined) acc.carePlansWithClientDefinedGoals++;
    acc.goals += s.goals;
    for (const k of Object.keys(s.goalsByDefiner) as (keyof CarePlanSummary['goalsByDefiner'])[]) acc.goalsByDefiner[k] += s.goalsByDefiner[k];
    acc.goalsAchieved += s.achieved;
    acc.goalsProgressing += s.progressing;
    acc.stepsRecorded += s.steps;
  }
}

function sortedFigures(map: Map<string, Accumulator>): { key: string; figures: GroupFigures }[] {
  return [...map.keys()].sort().map((key) => ({ key, figures: (map.get(key) as Accumulator).figures() }));
}

export function computeReferralReport(input: ReferralReportInput, options: ReportOptions): ReferralReport {
  const startMs = instantMs(options.period.start);
  const endMs = instantMs(options.period.end);
  const dimensions = new Set(options.groupBy);
  const groups = new Groups(dimensions);

  // Performed start per Procedure id (NaN when unknown), and the categories of the referrals
  // care plans name (only those are looked up).
  const performedById = new Map<string, number>();
  for (const p of input.procedures) {
    performedById.set(p.id, p.performed === undefined ? Number.NaN : instantMs(p.performed));
  }
  const named = new Set<string>();
  if (dimensions.has('category')) {
    for (const cp of input.carePlans) {
      if (cp.categories === undefined) for (const id of cp.referralIds) named.add(id);
    }
  }
  const categoriesById = new Map<string, readonly string[]>();
  for (const r of input.referrals) {
    if (named.size > 0 && named.has(r.id)) categoriesById.set(r.id, r.categories);
    const summary = summariseReferral(r, endMs);
    if (summary) addReferral(summary, startMs, performedById, groups);
  }
  for (const g of input.summaryGroups ?? []) addGroup(g, groups);
  for (const cp of input.carePlans) {
    addCarePlan(cp, startMs, endMs, categoriesById, groups);
  }
  for (const s of input.carePlanSummaries ?? []) addCarePlanSummary(s, groups);

  const report: ReferralReport = {
    period: { start: options.period.start, end: options.period.end },
    overall: groups.overall.figures(),
    pendingSyncFailures: input.pendingSyncFailures,
  };
  if (dimensions.has('organization')) report.byOrganization = sortedFigures(groups.byOrganization);
  if (dimensions.has('category')) report.byCategory = sortedFigures(groups.byCategory);
  return report;
}
