// Care plans end to end over HTTP (issue 9, "Care plans in the workflow"): the reference EHR
// holds an SDOHCC referral; the sync engine takes it in and offers it to the food bank; the
// food bank posts a case plan with a goal its client defined, for that referral
// (POST /partners/{partner}/care-plans); the plan is stored, valid against the project's
// CarePlan profile, linked to the referral in the platform's record and pushed to the EHR (read
// there). A second post moves the goal on: the Goal history holds both steps, the EHR's Goal is
// updated with If-Match (a stale version is refused once and re-applied), and the report
// counts the steps. A record naming a referral outside the inbox is refused on its own.
import type { Bundle, CarePlan, Goal, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReferralReport } from '../../src/reports/referral-report.ts';
import { platformCopyId } from '../../src/coordination/care-plans.ts';
import { CARE_PLAN_SYNC_ID } from '../../src/sync/care-plan-delivery.ts';
import { localIdOf } from '../../src/sync/ehr-tags.ts';
import { createSyncEngine, type SyncEngine } from '../../src/sync/sync-engine.ts';
import { startReferenceEhr, type ReferenceEhr } from '../support/reference-ehr.ts';
import { startTestGateway, storeKinds, type TestGateway } from '../support/gateway.ts';
import { FHIR, addPartner, caller, demoBundle } from './support.ts';

const FOOD_BANK = 'Organization/demo-food-bank';
const EHR = 'care-plan-ehr';
const CAREPLAN_PROFILE = 'https://w3id.org/social-care-gateway/fhir/StructureDefinition/case-management-careplan';

let ehr: ReferenceEhr;
let gw: TestGateway;
let engine: SyncEngine;
let key: string;
let call: ReturnType<typeof caller>;

const asPartner = () => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });
const today = new Date().toISOString().slice(0, 10);

function plan(referralId: string, progress: string): Record<string, unknown> {
  return {
    planId: 'CP-1',
    referralIds: [referralId],
    clientId: 'C-1',
    status: 'open',
    title: 'Food and stability',
    createdAt: today,
    caseManager: { id: 'STAFF-1', givenName: 'Pat', familyName: 'Williams' },
    needs: [{ category: 'food', description: 'Not enough food at the end of the month' }],
    goals: [{ goalId: 'G-1', text: 'Have food for my kids every day', definedBy: 'client', progress, need: 'food' }],
    activities: [{ kind: 'navigation', description: 'Enrol in the pantry programme', status: 'in-progress' }],
  };
}

async function drain(): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    await engine.worker.drain();
    if ((await gw.store.countOutbox('pending')) + (await gw.store.countOutbox('in-flight')) === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('outbox did not drain');
}

async function ehrSearch<T>(type: string, identifier: string): Promise<T[]> {
  const response = await fetch(new URL(`${type}?identifier=${encodeURIComponent(`${CARE_PLAN_SYNC_ID}|${identifier}`)}`, ehr.baseUrl), { headers: FHIR });
  const bundle = (await response.json()) as Bundle;
  return (bundle.entry ?? []).map((e) => e.resource as T);
}

describe.each(storeKinds())('care plans through the partner API (%s store)', (kind) => {
  beforeAll(async () => {
    ehr = await startReferenceEhr();
    const seeded = await fetch(ehr.baseUrl, { method: 'POST', headers: FHIR, body: JSON.stringify(demoBundle) });
    expect(seeded.status).toBe(200);
    gw = await startTestGateway(
      kind,
      {
        ehrs: [{ name: EHR, baseUrl: ehr.baseUrl, auth: { kind: 'none' }, organizations: [FOOD_BANK], pollSchedule: '0 6 * * 1-5', timeoutMs: 5_000 }],
        security: { urlAllowList: ['127.0.0.1'] } as never,
      },
      { schedules: false },
    );
    key = await addPartner(gw, 'food-bank', FOOD_BANK);
    engine = createSyncEngine({ store: gw.store, rest: gw.rest, settings: gw.settings, ehrs: gw.config.ehrs, overlapMs: 60_000, backoff: { baseMs: 5, maxMs: 20 } });
    call = caller(gw);
    await engine.runOnce();
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await ehr?.close();
  });

  it('stores, links, validates and delivers a care plan, then its goal progress, and the report counts the steps', async () => {
    const inbox = await call('GET', 'partners/food-bank/referrals', undefined, asPartner());
    expect(inbox.status).toBe(200);
    expect(inbox.body.referrals.length).toBeGreaterThan(0);
    const referralId = inbox.body.referrals[0].record.referralId as string;
    const downstream = (await gw.store.readResource<Task>('food-bank', 'Task', referralId))?.resource;
    const sourceRef = downstream?.partOf?.[0]?.reference ?? '';
    const sourceId = sourceRef.slice(sourceRef.lastIndexOf('Task/') + 'Task/'.length);
    const source = (await gw.store.readResource<Task>(gw.settings.tenant, 'Task', sourceId))?.resource;
    expect(source?.id).toBe(sourceId);
    const ehrTaskId = ['demo-task-1', 'demo-task-2', 'demo-task-3'].find((id) => localIdOf(EHR, 'Task', id) === sourceId);
    expect(ehrTaskId).toBeDefined();

    // 1. The partner posts the plan.
    const first = await call('POST', 'partners/food-bank/care-plans', plan(referralId, 'in-progress'), asPartner());
    expect(first.status).toBe(200);
    expect(first.body.results[0], JSON.stringify(first.body).slice(0, 2000)).toMatchObject({ status: 'applied', planId: 'CP-1', referralIds: [referralId] });
    const { carePlan, goals } = first.body.results[0] as { carePlan: { id: string; versionId: string }; goals: { id: string; versionId: string }[] };
    expect(goals).toHaveLength(1);

    // 2. Stored in the partner's record and copied into the platform's, linked to the source referral, valid.
    const own = (await gw.store.readResource<CarePlan>('food-bank', 'CarePlan', carePlan.id))?.resource;
    expect(own?.activity?.some((a) => a.reference?.reference === `Task/${referralId}`)).toBe(true);
    const platformId = platformCopyId('food-bank', 'CarePlan', carePlan.id);
    const copy = (await gw.store.readResource<CarePlan>(gw.settings.tenant, 'CarePlan', platformId))?.resource as CarePlan;
    expect(copy.meta?.profile).toContain(CAREPLAN_PROFILE);
    expect(copy.activity?.some((a) => a.reference?.reference === `Task/${sourceId}`)).toBe(true);
    expect(copy.subject?.reference).toBe(source?.for?.reference);
    expect(copy.contributor?.map((c) => c.reference)).toContain(FOOD_BANK);
    const errors = gw.conformance.validate(copy).issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    expect(errors, JSON.stringify(errors).slice(0, 1500)).toEqual([]);
    const goalCopyRef = copy.goal?.[0]?.reference ?? '';
    const goalCopyId = goalCopyRef.slice('Goal/'.length);
    const goalCopy = (await gw.store.readResource<Goal>(gw.settings.tenant, 'Goal', goalCopyId))?.resource as Goal;
    expect(goalCopy.extension?.find((e) => e.url.endsWith('/goal-defined-by'))?.valueCode).toBe('client');
    expect(gw.conformance.validate(goalCopy).issue.filter((i) => i.severity === 'error')).toEqual([]);

    // 3. Delivered to the EHR: the CarePlan names the EHR's Task and Goal.
    await drain();
    const [ehrPlan] = await ehrSearch<CarePlan>('CarePlan', `CarePlan/${platformId}`);
    expect(ehrPlan, 'care plan on the EHR').toBeDefined();
    expect(ehrPlan.activity?.some((a) => a.reference?.reference === `Task/${ehrTaskId}`)).toBe(true);
    const [ehrGoal] = await ehrSearch<Goal>('Goal', `Goal/${goalCopyId}`);
    expect(ehrGoal.achievementStatus?.coding?.[0]?.code).toBe('in-progress');
    expect(ehrPlan.goal?.[0]?.reference).toBe(`Goal/${ehrGoal.id}`);
    expect(ehrGoal.subject?.reference).toBe(ehrPlan.subject?.reference);

    // 4. The goal moves on; the EHR answers the first update with a stale-version 412.
    const conflictOnce = ehr.faults.add({ method: 'PUT', path: /\/Goal\//, times: 1, action: { kind: 'conflict', status: 412 } });
    const second = await call('POST', 'partners/food-bank/care-plans', { carePlans: [plan(referralId, 'improving')] }, asPartner());
    expect(second.body.results[0], JSON.stringify(second.body).slice(0, 2000)).toMatchObject({ status: 'applied' });
    expect(second.body.results[0].carePlan.versionId).not.toBe(carePlan.versionId);
    expect(second.body.results[0].goals[0]).toMatchObject({ id: goals[0].id, changed: true });
    const history = await gw.store.readHistory(gw.settings.tenant, 'Goal', goalCopyId, { count: 10 });
    expect(history.map((v) => (v.resource as Goal).achievementStatus?.coding?.[0]?.code)).toEqual(['improving', 'in-progress']);
    await drain();
    expect(conflictOnce.applied).toBe(1);
    const ehrGoalAfter = (await ehrSearch<Goal>('Goal', `Goal/${goalCopyId}`))[0];
    expect(ehrGoalAfter.id).toBe(ehrGoal.id);
    expect(ehrGoalAfter.achievementStatus?.coding?.[0]?.code).toBe('improving');
    expect(ehrGoalAfter.meta?.versionId).not.toBe(ehrGoal.meta?.versionId);
    expect(await ehr.countByIdentifier('CarePlan', CARE_PLAN_SYNC_ID, `CarePlan/${platformId}`)).toBe(1);
    const puts = ehr.requests.filter((r) => r.method === 'PUT' && r.path.includes('/Goal/'));
    expect(puts.map((r) => r.status)).toEqual([412, 200]);

    // 5. The report counts the plan, its client-defined goal and both steps.
    const period = { start: `${today}T00:00:00.000Z`, end: new Date(Date.parse(`${today}T00:00:00.000Z`) + 86_400_000).toISOString() };
    const report = (await runReferralReport(gw.store, { period })).report;
    expect(report.overall.goals).toMatchObject({ carePlans: 1, carePlansWithClientDefinedGoals: 1, goals: 1, goalsProgressing: 1, stepsRecorded: 2 });
    const byOrg = (await runReferralReport(gw.store, { period, organization: FOOD_BANK })).report;
    expect(byOrg.overall.goals.carePlans).toBe(1);
  });

  it('a FHIR client\'s CarePlan on the platform: its referral must exist, and the EHR holding it receives the plan', async () => {
    const sourceId = localIdOf(EHR, 'Task', 'demo-task-1');
    const source = (await gw.store.readResource<Task>(gw.settings.tenant, 'Task', sourceId))?.resource as Task;
    const body: CarePlan = {
      resourceType: 'CarePlan',
      id: 'clinic-plan-1',
      status: 'active',
      intent: 'plan',
      subject: source.for as CarePlan['subject'],
      created: today,
      activity: [{ reference: { reference: 'Task/no-such-task' } }],
    };
    const refused = await call('PUT', 'CarePlan/clinic-plan-1', body);
    expect(refused.status).toBe(422);
    expect(refused.body.issue[0].expression).toEqual(['CarePlan.activity[0].reference']);
    const stored = await call('PUT', 'CarePlan/clinic-plan-1', { ...body, activity: [{ reference: { reference: `Task/${sourceId}` } }] });
    expect(stored.status, JSON.stringify(stored.body).slice(0, 1000)).toBe(201);
    await drain();
    const [onEhr] = await ehrSearch<CarePlan>('CarePlan', 'CarePlan/clinic-plan-1');
    expect(onEhr?.activity?.[0]?.reference?.reference).toBe('Task/demo-task-1');
    expect(onEhr?.subject?.reference).toMatch(/^Patient\//);

    // The plan gets a Goal; later the client writes a step on the Goal alone: it reaches the EHR too.
    const achievement = (code: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/goal-achievement', code }] });
    const goal: Goal = { resourceType: 'Goal', id: 'clinic-goal-1', lifecycleStatus: 'active', description: { text: 'Stable housing' }, subject: body.subject, achievementStatus: achievement('in-progress') };
    expect((await call('PUT', 'Goal/clinic-goal-1', goal)).status).toBe(201);
    const withGoal = await call('PUT', 'CarePlan/clinic-plan-1', { ...body, activity: [{ reference: { reference: `Task/${sourceId}` } }], goal: [{ reference: 'Goal/clinic-goal-1' }] });
    expect(withGoal.status, JSON.stringify(withGoal.body).slice(0, 1000)).toBe(200);
    await drain();
    const [goalOnEhr] = await ehrSearch<Goal>('Goal', 'Goal/clinic-goal-1');
    expect(goalOnEhr?.achievementStatus?.coding?.[0]?.code).toBe('in-progress');
    const goalPuts = () => ehr.requests.filter((r) => r.method === 'PUT' && r.path.includes('/Goal/')).map((r) => r.status);
    const putsBefore = goalPuts().length;
    expect((await call('PUT', 'Goal/clinic-goal-1', { ...goal, achievementStatus: achievement('improving') })).status).toBe(200);
    await drain();
    // One update of the EHR's Goal for the step, and the Goal there moved on.
    expect(goalPuts().slice(putsBefore)).toEqual([200]);
    const [goalAfter] = await ehrSearch<Goal>('Goal', 'Goal/clinic-goal-1');
    expect(goalAfter.id).toBe(goalOnEhr.id);
    expect(goalAfter.achievementStatus?.coding?.[0]?.code).toBe('improving');
  });

  it('refuses, on its own, a record naming a referral outside the inbox or failing the schema', async () => {
    const inbox = await call('GET', 'partners/food-bank/referrals', undefined, asPartner());
    const referralId = inbox.body.referrals[0].record.referralId as string;
    const bad = { ...plan('not-mine', 'in-progress'), planId: 'CP-2' };
    const invalid = { ...plan(referralId, 'in-progress'), planId: 'CP-3', goals: [] };
    const good = { ...plan(referralId, 'achieved'), planId: 'CP-4' };
    const result = await call('POST', 'partners/food-bank/care-plans', [bad, invalid, good], asPartner());
    expect(result.status).toBe(200);
    const [r0, r1, r2] = result.body.results;
    expect(r0.status).toBe('rejected');
    expect(r0.outcome.issue[0].expression).toEqual(['referralIds[0]']);
    expect(r1.status).toBe('rejected');
    expect(JSON.stringify(r1.outcome)).toContain('goals');
    expect(r2.status).toBe('applied');
    expect((await gw.store.readResource('food-bank', 'CarePlan', r2.carePlan.id))?.resource).toBeDefined();
    // Not JSON: 400 naming what to send.
    const csv = await fetch(new URL('partners/food-bank/care-plans', gw.base), { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' });
    expect(csv.status).toBe(400);
  });
});
