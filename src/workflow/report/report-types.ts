// Plain data the outcome report is computed from, and the report itself (issue 9,
// "Reports"). The facts are what the store already holds: Task version histories,
// Procedures, CarePlans with their Goals' achievement history, consent presence and the
// count of pending sync failures. `report-facts.ts` builds them from FHIR resources.
import type { ReferralTaskStatus } from '../task-status.ts';

export interface TaskVersionFact {
  status: ReferralTaskStatus;
  /** Task.statusReason.text (or its first code) of this version. */
  reason?: string;
  /** Task.owner reference of this version (the organisation working the referral). */
  owner?: string;
  /** meta.lastUpdated of this version (ISO instant). */
  lastUpdated: string;
  /** Number of resulting-activity outputs (Procedure references or procedure codes). */
  outcomes: number;
  /** Ids of the Procedures those outputs reference. */
  outputProcedures: string[];
}

export interface ReferralFact {
  /** Task id. */
  id: string;
  authoredOn: string;
  /** SDOH need categories (SDOHCC-ValueSetSDOHCategory codes) of the referral. */
  categories: string[];
  /** Every version of the Task, oldest first. */
  versions: TaskVersionFact[];
  /** A Consent is referenced by the referral's ServiceRequest. */
  consent: boolean;
}

export interface ProcedureFact {
  id: string;
  /** Start of performed[x] (performedDateTime or performedPeriod.start). */
  performed?: string;
}

export type GoalDefiner = 'client' | 'case-manager' | 'jointly';

export interface GoalFact {
  id: string;
  definedBy?: GoalDefiner;
  /** Goal.achievementStatus over time, oldest first (one entry per Goal version). */
  history: { achievementStatus?: string; lastUpdated: string }[];
}

export interface CarePlanFact {
  id: string;
  /** CarePlan.created (or the first version's lastUpdated). */
  created: string;
  /** The organisation whose case plan it is. */
  organization?: string;
  /** Ids of the referral Tasks the care plan contains. */
  referralIds: string[];
  /**
   * Need categories of those referrals, when the caller already has them (e.g. from a join
   * in the store); otherwise they are looked up from `referrals` by id.
   */
  categories?: readonly string[];
  goals: GoalFact[];
}

/** A Goal as a care plan's figures read it: who defined it, its achievement status per version and when (epoch ms, NaN when unreadable). */
export interface GoalSteps {
  definedBy?: GoalDefiner;
  times: readonly number[];
  statuses: readonly (string | undefined)[];
}

/** How the Goals of a care plan count in a period (compute-report.ts summariseGoals). */
export interface GoalsSummary {
  /** At least one Goal defined by the client. */
  clientDefined: boolean;
  goals: number;
  goalsByDefiner: Record<GoalDefiner | 'unspecified', number>;
  /** Goals achieved / progressing as of the end of the period. */
  achieved: number;
  progressing: number;
  /** Changes of achievement status recorded in the period. */
  steps: number;
}

/** A care plan created in the period, summarised for it (the store's projection builds these). */
export interface CarePlanSummary extends GoalsSummary {
  organization?: string;
  categories: readonly string[];
}

/**
 * A referral as it counts in a report whose period holds every one of its versions: what
 * compute-report.ts derives from its versions, kept by the store's projection per Task so
 * that a report need not read the versions of referrals that lie wholly in its period.
 * Times in epoch ms; -1 when the referral never got there.
 */
export interface ReferralSummary {
  id: string;
  sentAt: number;
  acceptedAt: number;
  completedAt: number;
  /** Task status of the latest version. */
  status: ReferralTaskStatus;
  /** Its statusReason (text or first code). */
  reason?: string;
  /** The latest owner given. */
  owner?: string;
  /** resulting-activity outputs of the latest version, and the Procedures they name. */
  outcomes: number;
  outputProcedures: readonly string[];
  categories: readonly string[];
  consent: boolean;
}

/**
 * Referrals of the cohort counted together: those sent in the period whose summaries share
 * owner, need categories, status, reason, consent and closed loop (groupSummaries; the store
 * builds the same groups in SQL). Durations in ms, one per referral that has one.
 */
export interface SummaryGroup {
  owner?: string;
  categories: readonly string[];
  status: ReferralTaskStatus;
  reason?: string;
  consent: boolean;
  closedLoop: boolean;
  count: number;
  toAcceptance: number[];
  toCompletion: number[];
  toFirstService: number[];
  /** Closed-loop referrals none of whose outputs names a Procedure the input holds. */
  outcomesWithoutProcedure: number;
}

export interface ReferralReportInput {
  referrals: readonly ReferralFact[];
  /**
   * Referrals of the cohort already summarised and grouped because the period holds all
   * their versions; counted like `referrals`, each once. Care plans naming them must carry
   * their `categories` (the groups hold no referral ids).
   */
  summaryGroups?: readonly SummaryGroup[];
  procedures: readonly ProcedureFact[];
  carePlans: readonly CarePlanFact[];
  /** Care plans created in the period, already summarised for it; counted like `carePlans`. */
  carePlanSummaries?: readonly CarePlanSummary[];
  /** Outbox entries that failed and wait for a retry or sit in the dead-letter list. */
  pendingSyncFailures: number;
}

export type ReportDimension = 'organization' | 'category';

export interface ReportOptions {
  /** Half-open [start, end) ISO instants. */
  period: { start: string; end: string };
  groupBy: readonly ReportDimension[];
}

export interface Funnel {
  sent: number;
  /** Ever accepted (accepted or any status that follows acceptance). */
  accepted: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Still waiting for the target's answer (requested). */
  awaiting: number;
  /** Accepted, in-progress or on-hold at the end of the period. */
  inProgress: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Referrals with an outcome reported back (a resulting-activity output). */
  closedLoop: number;
  /** closedLoop / sent; null when nothing was sent. */
  closedLoopRate: number | null;
}

export interface DurationStats {
  count: number;
  medianHours: number | null;
  p90Hours: number | null;
}

export interface Timeliness {
  toAcceptance: DurationStats;
  toFirstService: DurationStats;
  toCompletion: DurationStats;
}

export interface GoalFigures {
  carePlans: number;
  carePlansWithClientDefinedGoals: number;
  /** carePlansWithClientDefinedGoals / carePlans; null when there is no care plan. */
  clientDefinedShare: number | null;
  goals: number;
  goalsByDefiner: Record<GoalDefiner | 'unspecified', number>;
  goalsAchieved: number;
  goalsProgressing: number;
  /** (achieved + progressing) / goals; null without goals. */
  achievedOrProgressingShare: number | null;
  /** Changes of achievement status recorded during the period (progress in small steps). */
  stepsRecorded: number;
}

export interface DataQuality {
  missingConsent: number;
  /** Referrals with an outcome reported whose outputs name no known Procedure. */
  outcomesWithoutProcedure: number;
}

export interface GroupFigures {
  funnel: Funnel;
  timeliness: Timeliness;
  goals: GoalFigures;
  dataQuality: DataQuality;
}

export interface ReferralReport {
  period: { start: string; end: string };
  overall: GroupFigures;
  /** Present when grouped by organisation; sorted by key. */
  byOrganization?: { key: string; figures: GroupFigures }[];
  /** Present when grouped by need category; sorted by key. */
  byCategory?: { key: string; figures: GroupFigures }[];
  pendingSyncFailures: number;
}
