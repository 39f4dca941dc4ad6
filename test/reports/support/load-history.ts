// Writes a generated referral history (report facts) into a store as the FHIR resources the
// gateway keeps: ServiceRequests (need categories, Consent in supportingInfo), Task versions
// (status, statusReason, owner, resulting-activity outputs) stamped at the times the history
// says through the store's clock, Procedures, CarePlans and Goal versions, and dead letters
// for the pending sync failures. Used by the report tests and bench/report-store.ts.
import type { CarePlan, Goal, Procedure, ServiceRequest, Task, TaskOutput } from '@medplum/fhirtypes';
import type { Store, StoreOps } from '../../../src/store/store.ts';
import { openTestPostgres, openTestSqlite, postgresUrl } from '../../store/open-test-store.ts';
import { GOAL_DEFINED_BY } from '../../../src/workflow/report/report-facts.ts';
import type { ReferralFact, ReferralReportInput } from '../../../src/workflow/report/report-types.ts';
import { RESULTING_ACTIVITY, TASK_CODE_FULFILL, TEMPORARY_CODES } from '../../../src/workflow/sdohcc.ts';

/** A clock the store reads (`openStore({ now: () => clock.now })`). */
export interface Clock {
  now: number;
}

const PATIENT = { reference: 'Patient/report-patient' };
const GOAL_ACHIEVEMENT = 'http://terminology.hl7.org/CodeSystem/goal-achievement';
const BATCH = 500;

function serviceRequest(r: ReferralFact): ServiceRequest & { id: string } {
  return {
    resourceType: 'ServiceRequest',
    id: `sr-${r.id}`,
    status: 'active',
    intent: 'order',
    subject: PATIENT,
    category: r.categories.map((code) => ({ coding: [{ system: TEMPORARY_CODES, code }] })),
    ...(r.consent ? { supportingInfo: [{ reference: `Consent/consent-${r.id}` }] } : {}),
  };
}

function taskVersion(r: ReferralFact, i: number): Task & { id: string } {
  const v = r.versions[i];
  const output: TaskOutput[] = v.outputProcedures.map((id) => ({ type: RESULTING_ACTIVITY, valueReference: { reference: `Procedure/${id}` } }));
  for (let k = output.length; k < v.outcomes; k++) output.push({ type: RESULTING_ACTIVITY, valueCodeableConcept: { text: 'service provided' } });
  return {
    resourceType: 'Task',
    id: r.id,
    status: v.status,
    intent: 'order',
    code: TASK_CODE_FULFILL,
    focus: { reference: `ServiceRequest/sr-${r.id}` },
    for: PATIENT,
    authoredOn: r.authoredOn,
    ...(v.reason !== undefined ? { statusReason: { text: v.reason } } : {}),
    ...(v.owner !== undefined ? { owner: { reference: v.owner } } : {}),
    ...(output.length > 0 ? { output } : {}),
  };
}

async function inTransactions<T>(store: Store, items: readonly T[], write: (tx: StoreOps, item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) {
    const batch = items.slice(i, i + BATCH);
    await store.transaction(async (tx) => {
      for (const item of batch) await write(tx, item);
    });
  }
}

export async function loadHistory(store: Store, clock: Clock, input: ReferralReportInput, tenant = 'default'): Promise<void> {
  clock.now = Date.parse('2020-01-01T00:00:00Z');
  for (let i = 0; i < input.referrals.length; i += BATCH) {
    await store.createMany(tenant, input.referrals.slice(i, i + BATCH).map(serviceRequest));
  }
  const procedures: (Procedure & { id: string })[] = input.procedures.map((p) => ({
    resourceType: 'Procedure',
    id: p.id,
    status: 'completed',
    subject: PATIENT,
    ...(p.performed !== undefined ? { performedDateTime: p.performed } : {}),
  }));
  for (let i = 0; i < procedures.length; i += BATCH) await store.createMany(tenant, procedures.slice(i, i + BATCH));

  // Task versions, each stamped at its own time (the store keeps lastUpdated monotonic per resource).
  await inTransactions(store, input.referrals, async (tx, r) => {
    for (let i = 0; i < r.versions.length; i++) {
      clock.now = Date.parse(r.versions[i].lastUpdated);
      await tx.updateResource(tenant, taskVersion(r, i));
    }
  });

  await inTransactions(store, input.carePlans, async (tx, cp) => {
    for (const g of cp.goals) {
      // A stored Goal has at least one version; a generated one without history gets one
      // that records no achievement status, well before any period the tests use.
      const history = g.history.length > 0 ? g.history : [{ achievementStatus: undefined, lastUpdated: '2020-01-01T00:00:00.000Z' }];
      for (const h of history) {
        clock.now = Date.parse(h.lastUpdated);
        const goal: Goal & { id: string } = {
          resourceType: 'Goal',
          id: g.id,
          lifecycleStatus: 'active',
          description: { text: 'goal' },
          subject: PATIENT,
          ...(h.achievementStatus !== undefined ? { achievementStatus: { coding: [{ system: GOAL_ACHIEVEMENT, code: h.achievementStatus }] } } : {}),
          ...(g.definedBy !== undefined ? { extension: [{ url: GOAL_DEFINED_BY, valueCode: g.definedBy }] } : {}),
        };
        await tx.updateResource(tenant, goal);
      }
    }
    clock.now = Date.parse(cp.created);
    const carePlan: CarePlan & { id: string } = {
      resourceType: 'CarePlan',
      id: cp.id,
      status: 'active',
      intent: 'plan',
      subject: PATIENT,
      created: cp.created,
      ...(cp.organization !== undefined ? { author: { reference: cp.organization } } : {}),
      activity: cp.referralIds.map((id) => ({ reference: { reference: `Task/${id}` } })),
      ...(cp.goals.length > 0 ? { goal: cp.goals.map((g) => ({ reference: `Goal/${g.id}` })) } : {}),
    };
    await tx.updateResource(tenant, carePlan);
  });

  clock.now = Date.parse('2026-06-01T00:00:00Z');
  for (let i = 0; i < input.pendingSyncFailures; i++) {
    await store.enqueue({ destination: 'ehr', orderingKey: `Task/failing-${i}`, reason: 'task-status-changed', payload: {} });
  }
  const claimed = await store.claim('loader', input.pendingSyncFailures, 60_000);
  for (const item of claimed) await store.bury(item.id, 'loader', 'gave up');
}

/** The store kinds the report suites run on: SQLite, and PostgreSQL when DATABASE_URL is set. */
export function reportStoreKinds(): readonly ('sqlite' | 'postgres')[] {
  return postgresUrl().url ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A fresh test store of `kind` on `clock`, holding the generated history. */
export async function openLoadedStore(kind: 'sqlite' | 'postgres', clock: Clock, input: ReferralReportInput): Promise<Store> {
  const options = { now: () => clock.now };
  const store = kind === 'sqlite' ? await openTestSqlite(options) : await openTestPostgres(postgresUrl().url as string, options);
  await loadHistory(store, clock, input);
  return store;
}
