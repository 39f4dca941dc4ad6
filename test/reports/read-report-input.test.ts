// The report read from the store equals the report computed from the generated facts the
// store was loaded with (issue 9 "Reports"): Task histories stamped at their own times,
// referrals sent before the period left out, care plan categories from their referrals,
// dead letters as pending sync failures. SQLite always, PostgreSQL when DATABASE_URL is set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReferralReport } from '../../src/reports/referral-report.ts';
import type { Store } from '../../src/store/store.ts';
import { computeReferralReport } from '../../src/workflow/report/compute-report.ts';
import { ORGS, PERIOD, generateReferralHistory } from '../workflow/support/referral-history-generator.ts';
import { type Clock, openLoadedStore, reportStoreKinds } from './support/load-history.ts';

const generated = generateReferralHistory(1200, 11);
const kinds = reportStoreKinds();

describe.each(kinds)('referral report read from the %s store', (kind) => {
  const clock: Clock = { now: 0 };
  let store: Store;

  beforeAll(async () => {
    store = await openLoadedStore(kind, clock, generated.input);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
  });

  it('equals the report computed from the facts, figure for figure', async () => {
    const run = await runReferralReport(store, { period: PERIOD, pageSize: 700 });
    const expected = computeReferralReport(generated.input, { period: PERIOD, groupBy: ['organization', 'category'] });
    expect(run.report).toEqual(expected);
    // And against what the generator decided, independently of the computation.
    expect(run.report.overall.funnel.sent).toBe(generated.expected.overall.sent);
    expect(run.report.overall.funnel.completed).toBe(generated.expected.overall.completed);
    expect(run.report.overall.dataQuality.missingConsent).toBe(generated.expected.overall.missingConsent);
    expect(run.report.overall.goals.carePlans).toBe(generated.expected.overall.carePlans);
    expect(run.report.overall.goals.stepsRecorded).toBe(generated.expected.overall.stepsRecorded);
    expect(run.report.pendingSyncFailures).toBe(generated.input.pendingSyncFailures);
    // Referrals sent before the period but active in it were read and left out.
    expect(run.referrals).toBeGreaterThan(generated.expected.overall.sent);
  });

  it('for one organisation equals that organisation\'s row of the full report', async () => {
    const org = ORGS[1];
    const full = await runReferralReport(store, { period: PERIOD });
    const one = await runReferralReport(store, { period: PERIOD, organization: org });
    const row = full.report.byOrganization?.find((r) => r.key === org);
    expect(row).toBeDefined();
    expect(row?.figures.funnel.sent).toBe(generated.expected.byOrganization.get(org)?.sent);
    expect(one.report.overall).toEqual(row?.figures);
    expect(one.report.byOrganization?.map((r) => r.key)).toEqual([org]);
  });
});
