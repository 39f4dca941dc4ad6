// The report read from the store's projection equals the report read from the resource
// histories, figure for figure, on a seeded history of a few thousand referrals plus the
// cases the projection must leave out or follow (deleted Tasks, Goals, ServiceRequests and
// CarePlans, mirrors partOf a source Task, a focus changed, a draft kept until the period),
// and after a rebuild from the history. SQLite always, PostgreSQL when DATABASE_URL is set.
import type { CarePlan, Goal, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReferralReport } from '../../src/reports/referral-report.ts';
import type { Store } from '../../src/store/store.ts';
import { computeReferralReport, summariseReferral } from '../../src/workflow/report/compute-report.ts';
import { GOAL_DEFINED_BY } from '../../src/workflow/report/report-facts.ts';
import { RESULTING_ACTIVITY, TASK_CODE_FULFILL, TEMPORARY_CODES } from '../../src/workflow/sdohcc.ts';
import { ORGS, PERIOD, generateReferralHistory } from '../workflow/support/referral-history-generator.ts';
import { type Clock, openLoadedStore, reportStoreKinds } from './support/load-history.ts';

const generated = generateReferralHistory(3000, 23);
const kinds = reportStoreKinds();
const PATIENT = { reference: 'Patient/report-patient' };

function task(id: string, status: Task['status'], extra: Partial<Task> = {}): Task & { id: string } {
  return { resourceType: 'Task', id, status, intent: 'order', code: TASK_CODE_FULFILL, for: PATIENT, focus: { reference: `ServiceRequest/sr-${id}` }, ...extra };
}

/** Writes the edge cases, each at its own time, after the generated history. */
async function writeEdgeCases(store: Store, clock: Clock): Promise<void> {
  const at = (iso: string) => {
    clock.now = Date.parse(iso);
  };
  const referral = generated.input.referrals;
  // A referral deleted inside the period: left out.
  at('2026-02-10T10:00:00Z');
  await store.deleteResource('default', 'Task', referral[0].id);
  // A referral deleted after the period: counted as it stood.
  at('2026-05-10T10:00:00Z');
  await store.deleteResource('default', 'Task', referral[1].id);
  // Its ServiceRequest deleted: categories and consent gone.
  await store.deleteResource('default', 'ServiceRequest', `sr-${referral[2].id}`);
  // Another one in the period's cohort has its need changed after the period: its Task row
  // follows (as the history read does).
  const counted = referral.findIndex((r, i) => i > 8 && (summariseReferral(r, Date.parse(PERIOD.end))?.sentAt ?? -1) >= Date.parse(PERIOD.start));
  await store.updateResource('default', {
    resourceType: 'ServiceRequest',
    id: `sr-${referral[counted].id}`,
    status: 'active',
    intent: 'order',
    subject: PATIENT,
    category: [{ coding: [{ system: TEMPORARY_CODES, code: 'edge-need' }] }],
  });
  // A mirror of a downstream Task (partOf a source Task): not a referral of its own.
  at('2026-02-01T09:00:00Z');
  await store.updateResource('default', task('mirror-1', 'requested', { partOf: [{ reference: `Task/${referral[3].id}` }], owner: { reference: ORGS[0] } }));
  at('2026-02-02T09:00:00Z');
  await store.updateResource('default', task('mirror-1', 'accepted', { partOf: [{ reference: `Task/${referral[3].id}` }], owner: { reference: ORGS[0] } }));
  // A draft written before the period and sent in it: counted.
  at('2025-12-20T09:00:00Z');
  await store.updateResource('default', task('late-draft', 'draft', { owner: { reference: ORGS[2] } }));
  at('2026-01-05T09:00:00Z');
  await store.updateResource('default', task('late-draft', 'requested', { owner: { reference: ORGS[2] } }));
  at('2026-01-06T09:00:00Z');
  await store.updateResource('default', task('late-draft', 'completed', { owner: { reference: ORGS[2] }, output: [{ type: RESULTING_ACTIVITY, valueReference: { reference: 'Procedure/missing' } }] }));
  // A Procedure written after the Task whose outcome names it (and moved once): the first
  // service follows it.
  at('2026-03-01T09:00:00Z');
  await store.updateResource('default', task('late-procedure', 'requested', { owner: { reference: ORGS[1] } }));
  at('2026-03-02T09:00:00Z');
  await store.updateResource('default', task('late-procedure', 'completed', { owner: { reference: ORGS[1] }, output: [{ type: RESULTING_ACTIVITY, valueReference: { reference: 'Procedure/late-procedure' } }] }));
  at('2026-03-03T09:00:00Z');
  await store.updateResource('default', { resourceType: 'Procedure', id: 'late-procedure', status: 'completed', subject: PATIENT, performedDateTime: '2026-03-01T21:00:00Z' });
  at('2026-03-04T09:00:00Z');
  await store.updateResource('default', { resourceType: 'Procedure', id: 'late-procedure', status: 'completed', subject: PATIENT, performedDateTime: '2026-03-01T19:00:00Z' });
  // An owner dropped in a later version: the latest owner given counts.
  at('2026-01-08T09:00:00Z');
  await store.updateResource('default', task('owner-dropped', 'requested', { owner: { reference: ORGS[3] }, focus: { reference: `ServiceRequest/sr-${referral[7].id}` } }));
  at('2026-01-09T09:00:00Z');
  await store.updateResource('default', task('owner-dropped', 'accepted', { focus: { reference: `ServiceRequest/sr-${referral[7].id}` } }));
  // A focus changed after the period: the period's focus counts.
  at('2026-01-07T09:00:00Z');
  await store.updateResource('default', task('refocused', 'requested', { focus: { reference: `ServiceRequest/sr-${referral[4].id}` } }));
  at('2026-06-07T09:00:00Z');
  await store.updateResource('default', task('refocused', 'accepted', { focus: { reference: `ServiceRequest/sr-${referral[5].id}` } }));
  // A Goal deleted and a CarePlan deleted; a CarePlan whose referral Task is deleted.
  const plans = generated.input.carePlans;
  const withGoal = plans.find((cp) => cp.goals.length > 0);
  if (withGoal) await store.deleteResource('default', 'Goal', withGoal.goals[0].id);
  const other = plans.find((cp) => cp !== withGoal);
  if (other) await store.deleteResource('default', 'CarePlan', other.id);
  at('2026-02-03T09:00:00Z');
  const goal: Goal & { id: string } = {
    resourceType: 'Goal',
    id: 'edge-goal',
    lifecycleStatus: 'active',
    description: { text: 'goal' },
    subject: PATIENT,
    extension: [{ url: GOAL_DEFINED_BY, valueCode: 'client' }],
    achievementStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: 'improving' }] },
  };
  await store.updateResource('default', goal);
  const plan: CarePlan & { id: string } = {
    resourceType: 'CarePlan',
    id: 'edge-plan',
    status: 'active',
    intent: 'plan',
    subject: PATIENT,
    author: { reference: ORGS[1] },
    activity: [{ reference: { reference: `Task/${referral[0].id}` } }, { reference: { reference: `Task/${referral[6].id}` } }],
    goal: [{ reference: 'Goal/edge-goal' }, { reference: 'Goal/edge-goal-later' }],
  };
  await store.updateResource('default', plan);
  // A Goal the plan names written after it, and the need of one of its referrals changed:
  // the plan's row follows both.
  at('2026-02-04T09:00:00Z');
  await store.updateResource('default', {
    ...goal,
    id: 'edge-goal-later',
    extension: [{ url: GOAL_DEFINED_BY, valueCode: 'jointly' }],
    achievementStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code: 'achieved' }] },
  });
  await store.updateResource('default', {
    resourceType: 'ServiceRequest',
    id: `sr-${referral[6].id}`,
    status: 'active',
    intent: 'order',
    subject: PATIENT,
    category: [{ coding: [{ system: TEMPORARY_CODES, code: 'edge-plan-need' }] }],
  });
}

describe.each(kinds)('referral report from the %s projection', (kind) => {
  const clock: Clock = { now: 0 };
  let store: Store;

  beforeAll(async () => {
    store = await openLoadedStore(kind, clock, generated.input);
  }, 240_000);
  afterAll(async () => {
    await store?.close();
  });

  it('equals the history read and the computation over the generated facts', async () => {
    const fromProjection = await runReferralReport(store, { period: PERIOD });
    const fromHistory = await runReferralReport(store, { period: PERIOD, source: 'history' });
    const expected = computeReferralReport(generated.input, { period: PERIOD, groupBy: ['organization', 'category'] });
    expect(fromProjection.report).toEqual(fromHistory.report);
    expect(fromProjection.report).toEqual(expected);
    // Referrals wholly inside the period that do not count (never sent, entered in error)
    // are not read from the projection at all: it reads at most what the history read does.
    expect(fromProjection.referrals).toBeGreaterThan(0);
    expect(fromProjection.referrals).toBeLessThanOrEqual(fromHistory.referrals);
    // Both ways of counting a referral took part: in SQL from the summaries of those wholly
    // inside the period, from the entries of those with a version outside it.
    const read = await store.readReportProjection('default', PERIOD);
    expect(read.summaryGroups.reduce((n, g) => n + g.count, 0)).toBeGreaterThan(fromProjection.report.overall.funnel.sent / 2);
    expect(read.referrals.length).toBeGreaterThan(0);
    expect(fromProjection.report.overall.funnel.sent).toBe(generated.expected.overall.sent);
    expect(fromProjection.report.overall.goals.stepsRecorded).toBe(generated.expected.overall.stepsRecorded);
  });

  it('follows deletes, mirrors, drafts and changed focus as the history read does, and survives a rebuild', async () => {
    await writeEdgeCases(store, clock);
    const before = await runReferralReport(store, { period: PERIOD, source: 'history' });
    const fromProjection = await runReferralReport(store, { period: PERIOD });
    expect(fromProjection.report).toEqual(before.report);
    expect(fromProjection.report.byCategory?.find((c) => c.key === 'edge-need')?.figures.funnel.sent).toBe(1);
    const planNeed = fromProjection.report.byCategory?.find((c) => c.key === 'edge-plan-need')?.figures.goals;
    expect(planNeed?.carePlans).toBeGreaterThanOrEqual(1);
    expect(planNeed?.goalsByDefiner.jointly).toBeGreaterThanOrEqual(1);
    // The edge cases moved the figures away from the generated ones.
    expect(fromProjection.report).not.toEqual(computeReferralReport(generated.input, { period: PERIOD, groupBy: ['organization', 'category'] }));
    for (const org of [ORGS[1], ORGS[2], ORGS[3]]) {
      const one = await runReferralReport(store, { period: PERIOD, organization: org });
      const oneHistory = await runReferralReport(store, { period: PERIOD, organization: org, source: 'history' });
      expect(one.report).toEqual(oneHistory.report);
    }
    const rebuilt = await store.rebuildReportProjection('default');
    expect(rebuilt.versions).toBeGreaterThan(generated.input.referrals.length);
    expect((await runReferralReport(store, { period: PERIOD })).report).toEqual(before.report);
    // Another period, another cut of the same projection.
    const q = { start: '2026-02-01T00:00:00.000Z', end: '2026-03-01T00:00:00.000Z' };
    expect((await runReferralReport(store, { period: q })).report).toEqual((await runReferralReport(store, { period: q, source: 'history' })).report);
  }, 120_000);
});
