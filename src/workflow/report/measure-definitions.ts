// Which figure of the referral report goes into which Measure group (FHIR R4 measure.html,
// measurereport.html). The Measure resources themselves are data files in
// src/workflow/measures/; a test checks that they declare exactly these groups.
import type { Quantity } from '@medplum/fhirtypes';
import type { DurationStats, GroupFigures } from './report-types.ts';

export const GATEWAY_CANONICAL = 'https://w3id.org/social-care-gateway/fhir';
/** Codes of the report's figures (group codes) and of its strata. */
export const FIGURE_SYSTEM = `${GATEWAY_CANONICAL}/CodeSystem/referral-report-figure`;
export const MEASURE_POPULATION = 'http://terminology.hl7.org/CodeSystem/measure-population';

export type PopulationCode = 'initial-population' | 'numerator' | 'denominator' | 'measure-population';

export interface GroupSpec {
  code: string;
  populations(f: GroupFigures): [PopulationCode, number][];
  score?(f: GroupFigures): Quantity | undefined;
  /** Figures that exist only overall (no strata). */
  overallOnly?: boolean;
}

export interface MeasureSpec {
  id: string;
  scoring: 'cohort' | 'proportion' | 'continuous-variable';
  groups: GroupSpec[];
}

export function measureUrl(id: string): string {
  return `${GATEWAY_CANONICAL}/Measure/${id}`;
}

function rate(n: number, d: number): Quantity | undefined {
  return d === 0 ? undefined : { value: n / d, unit: '1', system: 'http://unitsofmeasure.org', code: '1' };
}

function hours(value: number | null): Quantity | undefined {
  return value === null ? undefined : { value, unit: 'h', system: 'http://unitsofmeasure.org', code: 'h' };
}

function cohort(code: string, count: (f: GroupFigures) => number): GroupSpec {
  return { code, populations: (f) => [['initial-population', count(f)]] };
}

function proportion(code: string, denominator: (f: GroupFigures) => number, numerator: (f: GroupFigures) => number): GroupSpec {
  return {
    code,
    populations: (f) => [
      ['initial-population', denominator(f)],
      ['denominator', denominator(f)],
      ['numerator', numerator(f)],
    ],
    score: (f) => rate(numerator(f), denominator(f)),
  };
}

function duration(code: string, stats: (f: GroupFigures) => DurationStats, which: 'medianHours' | 'p90Hours'): GroupSpec {
  return {
    code,
    populations: (f) => [
      ['initial-population', stats(f).count],
      ['measure-population', stats(f).count],
    ],
    score: (f) => hours(stats(f)[which]),
  };
}

export const PENDING_SYNC_FAILURES = 'sync-failures-pending';

export const MEASURES: readonly MeasureSpec[] = [
  {
    id: 'referral-funnel',
    scoring: 'cohort',
    groups: [
      cohort('sent', (f) => f.funnel.sent),
      cohort('accepted', (f) => f.funnel.accepted),
      cohort('rejected', (f) => f.funnel.rejected),
      cohort('awaiting', (f) => f.funnel.awaiting),
      cohort('in-progress', (f) => f.funnel.inProgress),
      cohort('completed', (f) => f.funnel.completed),
      cohort('failed', (f) => f.funnel.failed),
      cohort('cancelled', (f) => f.funnel.cancelled),
      cohort('closed-loop', (f) => f.funnel.closedLoop),
    ],
  },
  {
    id: 'closed-loop-rate',
    scoring: 'proportion',
    groups: [proportion('closed-loop-rate', (f) => f.funnel.sent, (f) => f.funnel.closedLoop)],
  },
  {
    id: 'referral-timeliness',
    scoring: 'continuous-variable',
    groups: [
      duration('time-to-acceptance-median', (f) => f.timeliness.toAcceptance, 'medianHours'),
      duration('time-to-acceptance-p90', (f) => f.timeliness.toAcceptance, 'p90Hours'),
      duration('time-to-first-service-median', (f) => f.timeliness.toFirstService, 'medianHours'),
      duration('time-to-first-service-p90', (f) => f.timeliness.toFirstService, 'p90Hours'),
      duration('time-to-completion-median', (f) => f.timeliness.toCompletion, 'medianHours'),
      duration('time-to-completion-p90', (f) => f.timeliness.toCompletion, 'p90Hours'),
    ],
  },
  {
    id: 'client-defined-goals',
    scoring: 'proportion',
    groups: [proportion('care-plans-with-client-defined-goals', (f) => f.goals.carePlans, (f) => f.goals.carePlansWithClientDefinedGoals)],
  },
  {
    id: 'goals-achieved-or-progressing',
    scoring: 'proportion',
    groups: [
      proportion('goals-achieved-or-progressing', (f) => f.goals.goals, (f) => f.goals.goalsAchieved + f.goals.goalsProgressing),
      proportion('goals-achieved', (f) => f.goals.goals, (f) => f.goals.goalsAchieved),
      proportion('goals-progressing', (f) => f.goals.goals, (f) => f.goals.goalsProgressing),
    ],
  },
  {
    id: 'goal-activity',
    scoring: 'cohort',
    groups: [
      cohort('goal-steps-recorded', (f) => f.goals.stepsRecorded),
      cohort('goals-defined-by-client', (f) => f.goals.goalsByDefiner.client),
      cohort('goals-defined-jointly', (f) => f.goals.goalsByDefiner.jointly),
      cohort('goals-defined-by-case-manager', (f) => f.goals.goalsByDefiner['case-manager']),
      cohort('goals-definer-unspecified', (f) => f.goals.goalsByDefiner.unspecified),
    ],
  },
  {
    id: 'referral-data-quality',
    scoring: 'cohort',
    groups: [
      cohort('missing-consent', (f) => f.dataQuality.missingConsent),
      cohort('outcomes-without-procedure', (f) => f.dataQuality.outcomesWithoutProcedure),
      // Filled from ReferralReport.pendingSyncFailures (not a per-group figure).
      { code: PENDING_SYNC_FAILURES, populations: () => [], overallOnly: true },
    ],
  },
];

/** Stratifier codes (FIGURE_SYSTEM). */
export const STRATIFIER = { organization: 'organization', category: 'need-category', rejectionReason: 'rejection-reason' } as const;
