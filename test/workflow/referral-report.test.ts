// The referral outcome report on a generated, seeded history of a few thousand referrals
// whose expected figures the generator recorded from its own decisions (issue 9 evidence:
// "each figure checked exactly").
import { describe, expect, it } from 'vitest';
import { computeReferralReport, groupSummaries, summariseReferral } from '../../src/workflow/report/compute-report.ts';
import { durationStats } from '../../src/workflow/report/percentiles.ts';
import type { GroupFigures, ReferralReport } from '../../src/workflow/report/report-types.ts';
import { type ExpectedGroup, type Generated, PERIOD, generateReferralHistory } from './support/referral-history-generator.ts';

const HOUR = 3_600_000;

/** Median and nearest-rank 90th percentile, written out independently for the test. */
function expectedStats(values: number[]): { count: number; medianHours: number | null; p90Hours: number | null } {
  if (values.length === 0) return { count: 0, medianHours: null, p90Hours: null };
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const rank = Math.floor((9 * n + 9) / 10); // = ceil(0.9 n) for whole n
  return { count: n, medianHours: median / HOUR, p90Hours: s[rank - 1] / HOUR };
}

function expectedFigures(g: ExpectedGroup): GroupFigures {
  const share = (a: number, b: number) => (b === 0 ? null : a / b);
  return {
    funnel: {
      sent: g.sent,
      accepted: g.accepted,
      rejected: g.rejected,
      rejectedByReason: g.rejectedByReason,
      awaiting: g.awaiting,
      inProgress: g.inProgress,
      completed: g.completed,
      failed: g.failed,
      cancelled: g.cancelled,
      closedLoop: g.closedLoop,
      closedLoopRate: share(g.closedLoop, g.sent),
    },
    timeliness: {
      toAcceptance: expectedStats(g.toAcceptance),
      toFirstService: expectedStats(g.toFirstService),
      toCompletion: expectedStats(g.toCompletion),
    },
    goals: {
      carePlans: g.carePlans,
      carePlansWithClientDefinedGoals: g.carePlansWithClientDefinedGoals,
      clientDefinedShare: share(g.carePlansWithClientDefinedGoals, g.carePlans),
      goals: g.goals,
      goalsByDefiner: g.goalsByDefiner,
      goalsAchieved: g.goalsAchieved,
      goalsProgressing: g.goalsProgressing,
      achievedOrProgressingShare: share(g.goalsAchieved + g.goalsProgressing, g.goals),
      stepsRecorded: g.stepsRecorded,
    },
    dataQuality: { missingConsent: g.missingConsent, outcomesWithoutProcedure: g.outcomesWithoutProcedure },
  };
}

function expectedReport(generated: Generated): ReferralReport {
  const sorted = (m: Map<string, ExpectedGroup>) => [...m.keys()].sort().map((key) => ({ key, figures: expectedFigures(m.get(key) as ExpectedGroup) }));
  return {
    period: PERIOD,
    overall: expectedFigures(generated.expected.overall),
    byOrganization: sorted(generated.expected.byOrganization),
    byCategory: sorted(generated.expected.byCategory),
    pendingSyncFailures: generated.input.pendingSyncFailures,
  };
}

describe('referral report on a generated history with known answers', () => {
  for (const seed of [7, 20260301]) {
    const generated = generateReferralHistory(3000, seed);
    it(`matches every figure of seed ${seed} (overall, per organisation, per category)`, () => {
      const report = computeReferralReport(generated.input, { period: PERIOD, groupBy: ['organization', 'category'] });
      const expected = expectedReport(generated);
      expect(report.overall).toEqual(expected.overall);
      expect(report.byOrganization).toEqual(expected.byOrganization);
      expect(report.byCategory).toEqual(expected.byCategory);
      expect(report).toEqual(expected);
    });

    it(`counts referrals summarised and grouped for a period holding all their versions as it counts their versions (seed ${seed})`, () => {
      const start = Date.parse(PERIOD.start);
      const end = Date.parse(PERIOD.end);
      const inside = (t: string) => Date.parse(t) >= start && Date.parse(t) < end;
      const wholly = generated.input.referrals.filter((r) => r.versions.length > 0 && r.versions.every((v) => inside(v.lastUpdated)));
      const rest = generated.input.referrals.filter((r) => !wholly.includes(r));
      const summaries = wholly.map((r) => summariseReferral(r, Number.POSITIVE_INFINITY)).filter((s) => s !== undefined);
      expect(wholly.length).toBeGreaterThan(1000);
      expect(rest.length).toBeGreaterThan(100);
      // Care plans carry the categories of the referrals they name, as the store's reader
      // gives them (a referral that does not count has no summary to take them from).
      const categoriesById = new Map(generated.input.referrals.map((r) => [r.id, r.categories]));
      const carePlans = generated.input.carePlans.map((cp) => ({ ...cp, categories: [...new Set(cp.referralIds.flatMap((id) => categoriesById.get(id) ?? []))] }));
      const performedById = new Map(generated.input.procedures.map((p) => [p.id, p.performed === undefined ? Number.NaN : Date.parse(p.performed)]));
      const summaryGroups = groupSummaries(summaries, start, performedById);
      expect(summaryGroups.length).toBeLessThan(summaries.length / 2);
      const split = computeReferralReport({ ...generated.input, referrals: rest, summaryGroups, carePlans }, { period: PERIOD, groupBy: ['organization', 'category'] });
      expect(split).toEqual(expectedReport(generated));
    });

    it(`exercises every figure for seed ${seed}`, () => {
      const o = generated.expected.overall;
      expect(o.sent).toBeGreaterThan(1500);
      expect(Object.keys(o.rejectedByReason).sort()).toEqual(['No capacity', 'Not eligible', 'Outside service area', 'unspecified']);
      for (const n of [o.awaiting, o.inProgress, o.completed, o.failed, o.cancelled, o.closedLoop, o.missingConsent, o.outcomesWithoutProcedure]) {
        expect(n).toBeGreaterThan(0);
      }
      expect(o.toAcceptance.length * o.toFirstService.length * o.toCompletion.length).toBeGreaterThan(0);
      expect(o.carePlans * o.carePlansWithClientDefinedGoals * o.goalsAchieved * o.goalsProgressing * o.stepsRecorded).toBeGreaterThan(0);
      expect(generated.expected.byOrganization.has('unassigned')).toBe(true);
      expect(generated.expected.byCategory.has('unspecified')).toBe(true);
    });
  }

  it('leaves out groupings that were not asked for', () => {
    const { input } = generateReferralHistory(200, 1);
    const report = computeReferralReport(input, { period: PERIOD, groupBy: [] });
    expect(report.byOrganization).toBeUndefined();
    expect(report.byCategory).toBeUndefined();
    expect(report.overall.funnel.sent).toBeGreaterThan(0);
  });

  it('reads history as of the end of the period: a later period sees later events', () => {
    const { input } = generateReferralHistory(500, 3);
    const early = computeReferralReport(input, { period: PERIOD, groupBy: [] });
    const later = computeReferralReport(input, { period: { start: PERIOD.start, end: '2026-06-01T00:00:00.000Z' }, groupBy: [] });
    expect(later.overall.funnel.sent).toBeGreaterThan(early.overall.funnel.sent);
    expect(later.overall.funnel.completed).toBeGreaterThan(early.overall.funnel.completed);
  });
});

describe('duration statistics', () => {
  it.each([
    [[5], 5, 5],
    [[1, 3], 2, 3],
    [[4, 1, 3, 2], 2.5, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5.5, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 6, 10],
  ])('%j hours: median %d, p90 %d', (hours, median, p90) => {
    const stats = durationStats(hours.map((h) => h * HOUR));
    expect(stats).toEqual({ count: hours.length, medianHours: median, p90Hours: p90 });
  });

  it('is empty without durations', () => {
    expect(durationStats([])).toEqual({ count: 0, medianHours: null, p90Hours: null });
  });
});
