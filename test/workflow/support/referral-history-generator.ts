// A seeded generator of referral histories for the report tests and the benchmark. It
// decides, for each referral, what should be true at the end of the period (its scenario),
// builds the Task versions, Procedures, CarePlans and Goals that realise it, and records the
// expected report figures from those decisions as it goes, without calling the code under
// test.
import type {
  CarePlanFact,
  GoalDefiner,
  GoalFact,
  ProcedureFact,
  ReferralFact,
  ReferralReportInput,
  TaskVersionFact,
} from '../../../src/workflow/report/report-types.ts';
import type { ReferralTaskStatus } from '../../../src/workflow/task-status.ts';

export const PERIOD = { start: '2026-01-01T00:00:00.000Z', end: '2026-04-01T00:00:00.000Z' };
const START = Date.parse(PERIOD.start);
const END = Date.parse(PERIOD.end);
const MIN = 60_000;
const DAY = 1440 * MIN;

export const ORGS = ['Organization/cbo-food', 'Organization/cbo-housing', 'Organization/cbo-rides', 'Organization/cbo-money', 'Organization/cbo-friends'];
export const CATEGORIES = ['food-insecurity', 'housing-instability', 'transportation-insecurity', 'financial-insecurity', 'social-connection'];
const REASONS = ['No capacity', 'Outside service area', 'Not eligible', undefined];
const ACHIEVEMENT = ['in-progress', 'improving', 'worsening', 'no-change', 'achieved', 'sustaining', 'not-achieved', 'no-progress', 'not-attainable'];
// FHIR R4 goal-achievement, as the report groups them (issue 9 "goals achieved or progressing").
const COUNTS_AS_ACHIEVED = ['achieved', 'sustaining'];
const COUNTS_AS_PROGRESSING = ['in-progress', 'improving'];

/** mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ExpectedGroup {
  sent: number;
  accepted: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  awaiting: number;
  inProgress: number;
  completed: number;
  failed: number;
  cancelled: number;
  closedLoop: number;
  toAcceptance: number[];
  toFirstService: number[];
  toCompletion: number[];
  missingConsent: number;
  outcomesWithoutProcedure: number;
  carePlans: number;
  carePlansWithClientDefinedGoals: number;
  goals: number;
  goalsByDefiner: Record<GoalDefiner | 'unspecified', number>;
  goalsAchieved: number;
  goalsProgressing: number;
  stepsRecorded: number;
}

function emptyGroup(): ExpectedGroup {
  return {
    sent: 0, accepted: 0, rejected: 0, rejectedByReason: {}, awaiting: 0, inProgress: 0, completed: 0, failed: 0, cancelled: 0, closedLoop: 0,
    toAcceptance: [], toFirstService: [], toCompletion: [], missingConsent: 0, outcomesWithoutProcedure: 0,
    carePlans: 0, carePlansWithClientDefinedGoals: 0, goals: 0, goalsByDefiner: { client: 0, 'case-manager': 0, jointly: 0, unspecified: 0 },
    goalsAchieved: 0, goalsProgressing: 0, stepsRecorded: 0,
  };
}

export interface Expected {
  overall: ExpectedGroup;
  byOrganization: Map<string, ExpectedGroup>;
  byCategory: Map<string, ExpectedGroup>;
}

/** What a referral is at the end of the period, and what happens after. */
type Scenario =
  | 'awaiting' | 'awaiting-then-accepted-after-end' | 'rejected' | 'cancelled-before-accept' | 'accepted' | 'in-progress'
  | 'in-progress-then-completed-after-end' | 'on-hold' | 'completed-with-procedure' | 'completed-code-only'
  | 'completed-no-output' | 'completed-dangling-procedure' | 'in-progress-with-interim-procedure' | 'failed'
  | 'cancelled-after-accept' | 'entered-in-error';

const SCENARIOS: [Scenario, number][] = [
  ['awaiting', 6], ['awaiting-then-accepted-after-end', 3], ['rejected', 10], ['cancelled-before-accept', 3], ['accepted', 5],
  ['in-progress', 8], ['in-progress-then-completed-after-end', 4], ['on-hold', 4], ['completed-with-procedure', 25],
  ['completed-code-only', 4], ['completed-no-output', 4], ['completed-dangling-procedure', 2],
  ['in-progress-with-interim-procedure', 5], ['failed', 5], ['cancelled-after-accept', 4], ['entered-in-error', 3],
];
const SCENARIO_TOTAL = SCENARIOS.reduce((s, [, w]) => s + w, 0);

export interface Generated {
  input: ReferralReportInput;
  expected: Expected;
}

export function generateReferralHistory(count: number, seed: number): Generated {
  const rand = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const iso = (ms: number) => new Date(ms).toISOString();
  const expected: Expected = { overall: emptyGroup(), byOrganization: new Map(), byCategory: new Map() };
  const groupsOf = (org: string, categories: string[]): ExpectedGroup[] => {
    const gs = [expected.overall];
    const o = expected.byOrganization.get(org) ?? emptyGroup();
    expected.byOrganization.set(org, o);
    gs.push(o);
    for (const c of categories.length ? categories : ['unspecified']) {
      const g = expected.byCategory.get(c) ?? emptyGroup();
      expected.byCategory.set(c, g);
      gs.push(g);
    }
    return gs;
  };

  const referrals: ReferralFact[] = [];
  const procedures: ProcedureFact[] = [];
  const carePlans: CarePlanFact[] = [];
  const cohortForCarePlans: { id: string; org: string; categories: string[] }[] = [];

  for (let i = 0; i < count; i++) {
    const id = `task-${i}`;
    const org = pick(ORGS);
    const nCat = rand() < 0.05 ? 0 : rand() < 0.7 ? 1 : 2;
    const categories: string[] = [];
    while (categories.length < nCat) {
      const c = pick(CATEGORIES);
      if (!categories.includes(c)) categories.push(c);
    }
    let w = rand() * SCENARIO_TOTAL;
    let scenario: Scenario = SCENARIOS[0][0];
    for (const [s, weight] of SCENARIOS) {
      if ((w -= weight) < 0) {
        scenario = s;
        break;
      }
    }
    // Where the referral sits against the period: mostly sent inside (with 30 days of room
    // before the end), some before the start, after the end, on the boundary, or never sent.
    const placement = i === 0 ? 'at-start' : i === 1 ? 'just-before-start' : pick(['inside', 'inside', 'inside', 'inside', 'inside', 'inside', 'before', 'after', 'never-sent']);
    const sentAt =
      placement === 'at-start' ? START
      : placement === 'just-before-start' ? START - MIN
      : placement === 'before' ? START - int(1, 40 * 1440) * MIN
      : placement === 'after' ? END + int(0, 10 * 1440) * MIN
      : START + int(0, 60 * 1440) * MIN;
    const inCohort = (placement === 'inside' || placement === 'at-start') && scenario !== 'entered-in-error';
    const openTask = rand() < 0.05; // posted without owner, claimed on acceptance
    const consent = rand() >= 0.15;

    const versions: TaskVersionFact[] = [];
    let t = sentAt;
    let owner: string | undefined = openTask ? undefined : org;
    let outputs: string[] = [];
    let outcomes = 0;
    const push = (status: ReferralTaskStatus, at: number, reason?: string) => {
      versions.push({ status, reason, owner, lastUpdated: iso(at), outcomes, outputProcedures: [...outputs] });
    };
    if (rand() < 0.2 || placement === 'never-sent') {
      push('draft', sentAt - int(1, 600) * MIN);
    }
    if (placement === 'never-sent') {
      referrals.push({ id, authoredOn: iso(sentAt - DAY), categories, versions, consent });
      continue;
    }
    push('requested', sentAt);
    const gap = () => int(1, 6 * 1440) * MIN; // at most 6 days, at most 4 gaps: stays before the end
    const afterEnd = () => Math.max(END, t) + int(0, 2000) * MIN;
    let acceptedGap: number | undefined;
    let completedGap: number | undefined;
    let firstServiceGap: number | undefined;
    let status: ReferralTaskStatus = 'requested';
    let reasonAtEnd: string | undefined;
    let closedLoop = false;
    let withoutProcedure = false;

    const accept = () => {
      t += gap();
      owner = org;
      push('accepted', t);
      acceptedGap = t - sentAt;
      status = 'accepted';
    };
    const addProcedures = (n: number, exists: boolean) => {
      for (let k = 0; k < n; k++) {
        const pid = `proc-${i}-${outputs.length}`;
        outputs = [...outputs, pid];
        if (exists) {
          const performed = sentAt + int(0, 4 * 1440) * MIN + (acceptedGap ?? 0);
          procedures.push({ id: pid, performed: iso(performed) });
          firstServiceGap = firstServiceGap === undefined ? performed - sentAt : Math.min(firstServiceGap, performed - sentAt);
        }
      }
      outcomes += n;
    };
    switch (scenario) {
      case 'awaiting':
        break;
      case 'awaiting-then-accepted-after-end':
        owner = org;
        push('accepted', afterEnd());
        break;
      case 'rejected':
        reasonAtEnd = pick(REASONS);
        t += gap();
        owner = org;
        push('rejected', t, reasonAtEnd);
        status = 'rejected';
        break;
      case 'cancelled-before-accept':
        t += gap();
        push('cancelled', t, 'Withdrawn');
        status = 'cancelled';
        break;
      case 'accepted':
        accept();
        break;
      case 'in-progress':
      case 'in-progress-then-completed-after-end':
      case 'on-hold':
      case 'in-progress-with-interim-procedure':
        accept();
        t += gap();
        if (scenario === 'in-progress-with-interim-procedure') {
          addProcedures(1, true);
          closedLoop = true;
        }
        push('in-progress', t);
        status = 'in-progress';
        if (scenario === 'on-hold') {
          t += gap();
          push('on-hold', t, 'Client unreachable');
          status = 'on-hold';
        }
        if (scenario === 'in-progress-then-completed-after-end') {
          addProcedures(1, true);
          firstServiceGap = undefined; // recorded after the end: not visible in this period
          push('completed', afterEnd());
        }
        break;
      case 'completed-with-procedure':
      case 'completed-code-only':
      case 'completed-no-output':
      case 'completed-dangling-procedure':
        accept();
        t += gap();
        push('in-progress', t);
        t += gap();
        if (scenario === 'completed-with-procedure') addProcedures(int(1, 2), true);
        if (scenario === 'completed-dangling-procedure') addProcedures(1, false);
        if (scenario === 'completed-code-only') outcomes += 1;
        closedLoop = scenario !== 'completed-no-output';
        withoutProcedure = scenario === 'completed-code-only' || scenario === 'completed-dangling-procedure';
        push('completed', t);
        completedGap = t - sentAt;
        status = 'completed';
        break;
      case 'failed':
        accept();
        t += gap();
        push('failed', t, 'Could not reach the client');
        status = 'failed';
        break;
      case 'cancelled-after-accept':
        accept();
        t += gap();
        push('cancelled', t, 'Need met elsewhere');
        status = 'cancelled';
        break;
      case 'entered-in-error':
        accept();
        t += gap();
        push('entered-in-error', t);
        break;
    }
    referrals.push({ id, authoredOn: iso(sentAt - int(0, 120) * MIN), categories, versions, consent });

    if (inCohort) {
      const final = status as ReferralTaskStatus; // also set inside accept()
      const expectedOrg = scenario === 'awaiting' || scenario === 'cancelled-before-accept' || scenario === 'awaiting-then-accepted-after-end' ? (openTask ? 'unassigned' : org) : org;
      for (const g of groupsOf(expectedOrg, categories)) {
        g.sent++;
        if (acceptedGap !== undefined) {
          g.accepted++;
          g.toAcceptance.push(acceptedGap);
        }
        if (completedGap !== undefined) g.toCompletion.push(completedGap);
        if (firstServiceGap !== undefined) g.toFirstService.push(firstServiceGap);
        if (final === 'rejected') {
          g.rejected++;
          const key = reasonAtEnd ?? 'unspecified';
          g.rejectedByReason[key] = (g.rejectedByReason[key] ?? 0) + 1;
        }
        if (final === 'requested') g.awaiting++;
        if (final === 'accepted' || final === 'in-progress' || final === 'on-hold') g.inProgress++;
        if (final === 'completed') g.completed++;
        if (final === 'failed') g.failed++;
        if (final === 'cancelled') g.cancelled++;
        if (closedLoop) g.closedLoop++;
        if (withoutProcedure) g.outcomesWithoutProcedure++;
        if (!consent) g.missingConsent++;
      }
    }
    if (rand() < 0.4) cohortForCarePlans.push({ id, org, categories });
  }

  // Care plans: most created in the period, some before or after; 1-2 referrals each.
  for (let k = 0; k < cohortForCarePlans.length; k++) {
    const first = cohortForCarePlans[k];
    const second = rand() < 0.2 ? pick(cohortForCarePlans) : undefined;
    const when = pick(['inside', 'inside', 'inside', 'inside', 'before', 'after']);
    const created = when === 'inside' ? START + int(0, 89 * 1440) * MIN : when === 'before' ? START - int(1, 30 * 1440) * MIN : END + int(0, 30 * 1440) * MIN;
    const organization = rand() < 0.05 ? undefined : first.org;
    const goals: GoalFact[] = [];
    let client = false;
    let achieved = 0;
    let progressing = 0;
    let steps = 0;
    const byDefiner = { client: 0, 'case-manager': 0, jointly: 0, unspecified: 0 };
    const nGoals = int(0, 3);
    for (let g = 0; g < nGoals; g++) {
      const definedBy = pick<GoalDefiner | undefined>(['client', 'client', 'case-manager', 'jointly', undefined]);
      byDefiner[definedBy ?? 'unspecified']++;
      if (definedBy === 'client') client = true;
      const history: GoalFact['history'] = [];
      let lastDefined: string | undefined;
      // Entries before the period, during it and after its end, in time order.
      for (const phase of ['before', 'during', 'during', 'during', 'after'] as const) {
        if (rand() < 0.35) continue;
        const at = phase === 'before' ? START - int(1, 20 * 1440) * MIN : phase === 'during' ? START + int(0, 89 * 1440) * MIN : END + int(0, 20 * 1440) * MIN;
        if (history.length && Date.parse(history[history.length - 1].lastUpdated) > at) continue; // keep time order
        if (rand() < 0.1) {
          history.push({ lastUpdated: iso(at) }); // a version that did not touch the achievement status
          continue;
        }
        const repeat = lastDefined !== undefined && rand() < 0.25;
        const status = repeat ? (lastDefined as string) : pick(ACHIEVEMENT.filter((s) => s !== lastDefined));
        history.push({ achievementStatus: status, lastUpdated: iso(at) });
        if (phase === 'after') continue;
        if (!repeat && phase === 'during') steps++;
        lastDefined = status;
      }
      if (lastDefined !== undefined && COUNTS_AS_ACHIEVED.includes(lastDefined)) achieved++;
      if (lastDefined !== undefined && COUNTS_AS_PROGRESSING.includes(lastDefined)) progressing++;
      goals.push({ id: `goal-${k}-${g}`, definedBy, history });
    }
    const referralIds = second && second.id !== first.id ? [first.id, second.id] : [first.id];
    const categories = [...new Set([...first.categories, ...(referralIds.length > 1 && second ? second.categories : [])])];
    // Half the care plans come with their referrals' categories resolved (as a store join
    // would give them), the other half leave the lookup to the report.
    const fact: CarePlanFact = { id: `careplan-${k}`, created: iso(created), organization, referralIds, goals };
    if (k % 2 === 0) fact.categories = [...categories].reverse();
    carePlans.push(fact);
    if (when !== 'inside') continue;
    for (const g of groupsOf(organization ?? 'unassigned', categories)) {
      g.carePlans++;
      if (client) g.carePlansWithClientDefinedGoals++;
      g.goals += nGoals;
      for (const key of Object.keys(byDefiner) as (keyof typeof byDefiner)[]) g.goalsByDefiner[key] += byDefiner[key];
      g.goalsAchieved += achieved;
      g.goalsProgressing += progressing;
      g.stepsRecorded += steps;
    }
  }

  return { input: { referrals, procedures, carePlans, pendingSyncFailures: int(0, 40) }, expected };
}
