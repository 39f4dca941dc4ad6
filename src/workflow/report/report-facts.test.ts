import type { CarePlan, Goal, ServiceRequest, Task } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { computeReferralReport } from './compute-report.ts';
import { GOAL_DEFINED_BY, carePlanFact, goalFact, procedureFact, referralFact } from './report-facts.ts';

const TMP = 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes';
const task = (status: Task['status'], at: string, extra: Partial<Task> = {}): Task => ({
  resourceType: 'Task', id: 't1', status, intent: 'order', authoredOn: '2026-02-01T08:00:00Z', owner: { reference: 'Organization/cbo' }, meta: { lastUpdated: at }, ...extra,
});
const sr: ServiceRequest = {
  resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p' },
  category: [{ coding: [{ system: 'http://snomed.info/sct', code: '410606002' }] }, { coding: [{ system: TMP, code: 'food-insecurity' }] }],
  supportingInfo: [{ reference: 'Consent/c1' }],
};

describe('report facts from FHIR resources', () => {
  it('turns a Task history, its Procedure, a care plan and a goal history into a report', () => {
    const output = [{ type: { coding: [{ system: TMP, code: 'resulting-activity' }] }, valueReference: { reference: 'Procedure/pr1' } }];
    const versions = [
      task('requested', '2026-02-01T09:00:00Z'),
      task('accepted', '2026-02-01T13:00:00Z'),
      task('completed', '2026-02-03T09:00:00Z', { output }),
    ];
    const referral = referralFact(versions, sr);
    expect(referral).toMatchObject({ id: 't1', categories: ['food-insecurity'], consent: true });
    expect(referral.versions[2]).toMatchObject({ status: 'completed', outcomes: 1, outputProcedures: ['pr1'], owner: 'Organization/cbo' });

    const goal = (code: string | undefined, at: string): Goal => ({
      resourceType: 'Goal', id: 'g1', lifecycleStatus: 'active', description: { text: 'x' }, subject: { reference: 'Patient/p' },
      extension: [{ url: GOAL_DEFINED_BY, valueCode: 'client' }], meta: { lastUpdated: at },
      ...(code ? { achievementStatus: { coding: [{ code }] } } : {}),
    });
    const cp: CarePlan = { resourceType: 'CarePlan', id: 'cp1', status: 'active', intent: 'plan', subject: { reference: 'Patient/p' }, created: '2026-02-02T10:00:00Z', author: { reference: 'Organization/cbo' }, activity: [{ reference: { reference: 'Task/t1' } }] };
    const plan = carePlanFact(cp, [[goal(undefined, '2026-02-02T10:00:00Z'), goal('in-progress', '2026-02-05T10:00:00Z'), goal('achieved', '2026-02-20T10:00:00Z')]]);
    expect(plan).toMatchObject({ referralIds: ['t1'], organization: 'Organization/cbo' });
    expect(goalFact([goal('achieved', '2026-02-20T10:00:00Z')]).definedBy).toBe('client');

    const report = computeReferralReport(
      { referrals: [referral], procedures: [procedureFact({ resourceType: 'Procedure', id: 'pr1', status: 'completed', subject: { reference: 'Patient/p' }, performedDateTime: '2026-02-02T09:00:00Z' })], carePlans: [plan], pendingSyncFailures: 0 },
      { period: { start: '2026-02-01T00:00:00Z', end: '2026-03-01T00:00:00Z' }, groupBy: ['category'] },
    );
    expect(report.overall.funnel).toMatchObject({ sent: 1, accepted: 1, completed: 1, closedLoop: 1, closedLoopRate: 1 });
    expect(report.overall.timeliness.toAcceptance.medianHours).toBe(4);
    expect(report.overall.timeliness.toFirstService.medianHours).toBe(24);
    expect(report.overall.timeliness.toCompletion.medianHours).toBe(48);
    expect(report.overall.goals).toMatchObject({ carePlans: 1, carePlansWithClientDefinedGoals: 1, goalsAchieved: 1, stepsRecorded: 2 });
    expect(report.byCategory?.map((c) => c.key)).toEqual(['food-insecurity']);
  });
});
